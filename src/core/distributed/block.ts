/**
 * The recipe's `launch` block: how many processes train each stage and on how many machines,
 * through which engine. trellis only fills in the engines' own flags (torchrun, accelerate);
 * scheduling stays with them and with Slurm.
 */
import { z } from "zod";

export const ENGINES = ["torchrun", "accelerate"] as const;
export type Engine = (typeof ENGINES)[number];
/** TRL's accelerate configs (trl/accelerate_configs/<name>.yaml). */
export const PROFILES = ["multi_gpu", "zero1", "zero2", "zero3", "fsdp1", "fsdp2"] as const;
export type Profile = (typeof PROFILES)[number];

/** No step finished on any rank for this long: the run is reported as hung (NCCL waits 10-30 minutes). */
export const DEFAULT_HANG_MINUTES = 5;

export const LaunchBlock = z
  .object({
    engine: z.enum(ENGINES).default("torchrun"),
    /** Processes on each node; `auto`: every visible GPU, 1 on a machine without one. */
    processes_per_node: z.union([z.literal("auto"), z.number().int().positive()]).default("auto"),
    nodes: z.number().int().positive().default(1),
    /** This machine's place among the nodes (Slurm sets it per node at run time). */
    node_rank: z.number().int().min(0).default(0),
    /** The c10d rendezvous, on the first node; a free local port when absent on one node. */
    rendezvous: z
      .object({
        host: z
          .string()
          .min(1)
          .regex(/^[A-Za-z0-9_.:-]+$/, "must be a host name or an address"),
        port: z.number().int().min(1).max(65535),
      })
      .strict()
      .optional(),
    /** One of TRL's accelerate profiles (engine: accelerate). */
    profile: z.enum(PROFILES).optional(),
    /** Your own accelerate config (.yaml, engine: accelerate) or DeepSpeed config (.json, either engine). */
    config_file: z.string().min(1).optional(),
    hang_minutes: z.number().positive().default(DEFAULT_HANG_MINUTES),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.node_rank >= l.nodes)
      ctx.addIssue({
        code: "custom",
        path: ["node_rank"],
        message: `node_rank ${l.node_rank} is not below nodes (${l.nodes})`,
      });
    if (l.profile && l.engine !== "accelerate")
      ctx.addIssue({
        code: "custom",
        path: ["profile"],
        message: "profiles are accelerate configs: set engine: accelerate",
      });
    if (l.profile && l.config_file)
      ctx.addIssue({ code: "custom", path: ["config_file"], message: "give a profile or a config_file, not both" });
    if (l.config_file && /\.ya?ml$/i.test(l.config_file) && l.engine !== "accelerate")
      ctx.addIssue({
        code: "custom",
        path: ["config_file"],
        message: "an accelerate config (.yaml) needs engine: accelerate; a DeepSpeed config is a .json file",
      });
    if (l.config_file && !/\.(ya?ml|json)$/i.test(l.config_file))
      ctx.addIssue({
        code: "custom",
        path: ["config_file"],
        message: "must be an accelerate config (.yaml) or a DeepSpeed config (.json)",
      });
  });
export type LaunchBlock = z.infer<typeof LaunchBlock>;
