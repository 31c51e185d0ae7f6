/** Checks that need the whole recipe: stage links, and `args` against the targeted TRL. */
import { configClass, describeKinds, fieldAt, accepts, sameRelease, type FieldAt } from "../trl/fields.js";
import { checkLoss } from "./loss-checks.js";
import { earlierName, removedField, stillPresent } from "../trl/compat.js";
import { formatVersion, type Version } from "../trl/version.js";
import type { FieldPath, Finding } from "./errors.js";
import { orderStages } from "./graph.js";
import { checkQuantization } from "./quantization-checks.js";
import { formatOf } from "./resolve.js";
import { TRAINERS, type Data, type Recipe, type Stage, type Trainer } from "./schema.js";
import { didYouMean } from "./suggest.js";

export interface CheckOptions {
  /** The TRL version the scripts are rendered for. */
  trl: Version;
}

/** Args trellis sets itself: a recipe value would be ignored or would break the run layout. */
const RESERVED_ARGS: Record<string, string> = {
  output_dir: "trellis gives each stage its own output folder; set the recipe's top-level output_dir instead",
};

export function checkRecipe(recipe: Recipe, options: CheckOptions): Finding[] {
  const findings: Finding[] = [];
  const seen = new Map<string, number>();
  recipe.stages.forEach((stage, i) => {
    const first = seen.get(stage.id);
    if (first !== undefined)
      findings.push({ path: ["stages", i, "id"], message: `duplicate stage id '${stage.id}' (also stages[${first}])` });
    else seen.set(stage.id, i);
  });
  recipe.stages.forEach((stage, i) => {
    if (stage.from === undefined) return;
    if (stage.from === stage.id)
      findings.push({ path: ["stages", i, "from"], message: "a stage cannot start from itself" });
    else if (!seen.has(stage.from)) {
      findings.push({
        path: ["stages", i, "from"],
        message: `no stage has id '${stage.from}'${didYouMean(stage.from, seen.keys())} (stages: ${[...seen.keys()].join(", ")})`,
      });
    }
  });
  if (!findings.length) {
    const order = orderStages(recipe.stages);
    if (!order.ok) {
      const i = recipe.stages.findIndex((s) => s.id === order.cycle[0]);
      findings.push({
        path: ["stages", i, "from"],
        message: `stages start from each other in a cycle: ${order.cycle.join(" -> ")}`,
      });
    }
  }
  recipe.stages.forEach((stage, i) => findings.push(...checkArgs(stage, ["stages", i, "args"], options.trl)));
  findings.push(...checkQuantization(recipe));
  const dataBlocks: Array<[Data, FieldPath]> = [[recipe.data, ["data"]]];
  recipe.stages.forEach((s, i) => s.data && dataBlocks.push([s.data, ["stages", i, "data"]]));
  for (const [data, path] of dataBlocks) {
    for (const role of ["train", "eval"] as const) {
      const source = data[role];
      if (!source?.path || source.format) continue;
      for (const file of Array.isArray(source.path) ? source.path : [source.path]) {
        if (!formatOf(file))
          findings.push({
            path: [...path, role, "path"],
            message: `cannot tell the format of '${file}' from its extension (.jsonl, .json, .csv, .parquet): add format: json|csv|parquet`,
          });
      }
    }
  }
  if (recipe.model.tiny && !recipe.model.tiny.data && recipe.data.train.path === undefined) {
    findings.push({
      path: ["model", "tiny"],
      message: "a tiny model trains its tokenizer on local files: set model.tiny.data to a list of files",
    });
  }
  return findings;
}

/** Args checks on a recipe that failed the schema, for stages whose trainer and args can be read. */
export function checkRawArgs(raw: unknown, options: CheckOptions): Finding[] {
  const stages = (raw as { stages?: unknown }).stages;
  if (!Array.isArray(stages)) return [];
  return stages.flatMap((s: unknown, i) => {
    const stage = s as Partial<Stage> | null;
    const readable =
      stage &&
      TRAINERS.includes(stage.trainer as Trainer) &&
      stage.args &&
      typeof stage.args === "object" &&
      !Array.isArray(stage.args);
    return readable ? checkArgs(stage as Stage, ["stages", i, "args"], options.trl) : [];
  });
}

function checkArgs(stage: Pick<Stage, "trainer" | "args">, path: FieldPath, trl: Version): Finding[] {
  const findings: Finding[] = [];
  const cls = configClass(stage.trainer);
  for (const [name, value] of Object.entries(stage.args)) {
    const reserved = RESERVED_ARGS[name];
    if (reserved) {
      findings.push({ path, key: name, message: reserved });
      continue;
    }
    const removed = removedField(stage.trainer, name, trl);
    if (removed) {
      findings.push({
        path,
        key: name,
        message: `${cls} has no '${name}' since TRL ${removed.removedIn} (rendering for TRL ${formatVersion(trl)}): ${removed.instead}`,
      });
      continue;
    }
    const at = fieldAt(stage.trainer, name, trl);
    if (at.kind !== "known") {
      if (stillPresent(stage.trainer, name, trl)) continue; // removed later than the target, by the curated list
      const problem = fieldProblem(stage.trainer, cls, name, trl, at);
      if (problem !== undefined) findings.push({ path, key: name, message: problem });
      continue;
    }
    const info = at.info;
    if (!accepts(info, value)) {
      findings.push({
        path: [...path, name],
        message: `must be ${describeKinds(info.kinds)} (got ${JSON.stringify(value)})`,
      });
    }
  }
  const loss = fieldAt(stage.trainer, "loss_type", trl);
  if (loss.kind === "known" && !findings.some((f) => f.path.at(-1) === "loss_type" || f.key === "loss_type"))
    findings.push(...checkLoss(stage, path, cls, loss.table, loss.info, sameRelease(trl, loss.table)));
  return findings;
}

/**
 * The message for a field the target's table lacks, or undefined when the tables cannot tell: the
 * field is in a newer table and the target lies between two tables (it may have arrived by then).
 */
function fieldProblem(
  trainer: Trainer,
  cls: string,
  name: string,
  trl: Version,
  at: Exclude<FieldAt, { kind: "known" }>,
): string | undefined {
  const target = formatVersion(trl);
  const exact = sameRelease(trl, at.table);
  const older = at.kind === "later" ? earlierName(trainer, name) : undefined;
  const hint = older && at.names.includes(older) ? `; this release calls it '${older}'` : didYouMean(name, at.names);
  if (at.kind === "later") {
    if (!exact) return undefined;
    return `${cls} in TRL ${target} has no '${name}': it arrived in a later TRL (it is there in ${at.since})${hint}`;
  }
  if (at.kind === "earlier")
    return `${cls} in TRL ${exact ? target : `${at.table} (the newest field table at or below ${target})`} has no '${name}': TRL removed it (last seen in ${at.lastSeen})${hint}`;
  return `unknown ${cls} field in TRL ${exact ? target : at.table}${hint}`;
}

/** Who a run's output folder belongs to (src/adapters/output-owner.ts records it). */
export interface OutputOwner {
  run_id: string;
  run_dir: string;
  since: string;
}

export type OutputFolderState =
  { kind: "free" } | { kind: "owned"; owner: OutputOwner } | { kind: "foreign_model"; files: string[] };

/**
 * A run writes its models and checkpoints only into an output folder that is empty or its own:
 * another run's folder would have its checkpoints overwritten and rotated away (save_total_limit),
 * and a model trellis did not write would be mixed with this one's. There is no flag to overwrite:
 * moving the folder away is the explicit way to start afresh there.
 */
export function outputFolderProblem(
  dir: string,
  state: OutputFolderState,
  resumeCommand: (owner: OutputOwner) => string,
): Finding | undefined {
  if (state.kind === "owned")
    return {
      path: ["output_dir"],
      message: `${dir} belongs to run ${state.owner.run_id} (${state.owner.run_dir}): continue it with \`${resumeCommand(state.owner)}\`, or set another output_dir (or move ${dir} away to start afresh)`,
    };
  if (state.kind === "foreign_model")
    return {
      path: ["output_dir"],
      message: `${dir} already holds a model trellis did not write (${state.files.join(", ")}): set another output_dir, or move ${dir} away`,
    };
  return undefined;
}
