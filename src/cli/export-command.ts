/** `trellis export`: TRL CLI configs from a recipe; exit codes: 0 written, 2 nothing could be. */
import { exportRecipeFile } from "../app/export.js";
import { parse, UsageError } from "./args.js";
import { guarded, USAGE } from "./guarded.js";

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

export function exportCommand(args: string[], help: () => number): Promise<number> {
  return guarded(async () => {
    const { values, positionals } = parse(args, "export");
    if (values.help) return help();
    if (positionals.length !== 1) throw new UsageError("export takes one recipe file (see trellis export --help)");
    const to = str(values.to) ?? "trl";
    if (to !== "trl") throw new UsageError(`--to must be trl (got '${to}')`);
    const result = await exportRecipeFile(positionals[0]!, {
      to,
      outDir: str(values.out),
      trlVersion: str(values["trl-version"]),
    });
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({
          out: result.outDir,
          stages: result.stages.map((s) => ({
            id: s.stage,
            trainer: s.trainer,
            file: result.written[s.stage],
            command: `trl ${s.trainer} --config ${result.written[s.stage]}`,
            notes: s.notes,
          })),
          skipped: result.skipped.map((s) => ({ id: s.stage, trainer: s.trainer, reasons: s.reasons })),
        })}\n`,
      );
    } else {
      const out = process.stdout;
      for (const s of result.stages) {
        out.write(`wrote ${result.written[s.stage]}  (run: trl ${s.trainer} --config ${result.written[s.stage]})\n`);
        for (const n of s.notes) out.write(`  note: ${n}\n`);
      }
      for (const s of result.skipped) {
        out.write(`cannot export stage '${s.stage}' (${s.trainer}):\n`);
        for (const r of s.reasons) out.write(`  ${r}\n`);
      }
    }
    return result.stages.length ? 0 : USAGE;
  });
}
