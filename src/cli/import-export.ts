/**
 * `trellis import` and `trellis export`: argument parsing, output, exit codes. Each returns its
 * exit code: 0 done, 2 a bad command line, source file or resulting recipe.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { exportRecipeFile } from "../app/export.js";
import { importRecipeFile, ImportedRecipeError, type ImportedRecipe } from "../app/import.js";
import { formatReport, IMPORT_FORMATS, ImportError, type ImportFormat } from "../core/interop/import/index.js";
import { RecipeError } from "../core/recipe/errors.js";
import { TRAINERS, type Trainer } from "../core/recipe/schema.js";
import { parse, UsageError } from "./args.js";
import importExportHelp from "./import-export-help.cjs";

const USAGE = 2;

const { EXPORT_HELP, IMPORT_HELP } = importExportHelp;

/** Runs a command body, turning the errors a user can fix into one message and exit code 2. */
async function guarded(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof ImportError || err instanceof RecipeError) {
      process.stderr.write(`${err.message}\n`);
      return USAGE;
    }
    throw err;
  }
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

export function importCommand(args: string[]): Promise<number> {
  return guarded(async () => {
    const { values, positionals } = parse(args, {
      from: { type: "string" },
      trainer: { type: "string" },
      output: { type: "string", short: "o" },
      override: { type: "string" },
      json: { type: "boolean" },
      "trl-version": { type: "string" },
    });
    if (values.help) {
      process.stdout.write(IMPORT_HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("import takes one config file (see trellis import --help)");
    // The project spells itself LLaMA-Factory: take the hyphenated name too.
    const from = str(values.from) === "llama-factory" ? "llamafactory" : str(values.from);
    if (from !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(from))
      throw new UsageError(`--from must be one of ${IMPORT_FORMATS.join(", ")} (got '${from}')`);
    const trainer = str(values.trainer);
    if (trainer !== undefined && !(TRAINERS as readonly string[]).includes(trainer))
      throw new UsageError(`--trainer must be one of ${TRAINERS.join(", ")} (got '${trainer}')`);
    const output = str(values.output);
    const options = {
      from: from as ImportFormat | undefined,
      trainer: trainer as Trainer | undefined,
      override: str(values.override),
      trlVersion: str(values["trl-version"]),
      rebase: { from: process.cwd(), to: output ? path.dirname(path.resolve(output)) : process.cwd() },
      outputFile: output,
    };
    let imported: ImportedRecipe | ImportedRecipeError["imported"];
    let invalid: ImportedRecipeError | undefined;
    try {
      imported = await importRecipeFile(positionals[0]!, options);
    } catch (err) {
      if (!(err instanceof ImportedRecipeError)) throw err;
      invalid = err;
      imported = err.imported;
    }
    if (output) await writeFile(output, imported.yamlText);
    if (values.json) {
      const problems = invalid ? invalid.message.split("\n") : [];
      process.stdout.write(
        `${JSON.stringify({ ok: !invalid, file: positionals[0], format: imported.format, trainer: imported.trainer, trainer_reason: imported.trainerReason, output: output ?? null, report: imported.report, notes: imported.notes, problems, ...(output ? {} : { yaml: imported.yamlText }) })}\n`,
      );
    } else {
      if (!output) process.stdout.write(imported.yamlText);
      const err = process.stderr;
      err.write(
        `${positionals[0]}: ${imported.format} config, trainer ${imported.trainer} (${imported.trainerReason})\n`,
      );
      if (imported.format !== "trellis") err.write(`${formatReport(imported.report)}\n`);
      for (const note of imported.notes) err.write(`note: ${note}\n`);
      if (output)
        err.write(
          `wrote ${output}${invalid ? " (not valid yet: fix the problems below, then `trellis check` it)" : ""}\n`,
        );
      if (invalid) err.write(`the imported recipe is not valid:\n${invalid.message}\n`);
    }
    return invalid ? USAGE : 0;
  });
}

export function exportCommand(args: string[]): Promise<number> {
  return guarded(async () => {
    const { values, positionals } = parse(args, {
      to: { type: "string" },
      out: { type: "string", short: "o" },
      json: { type: "boolean" },
      "trl-version": { type: "string" },
    });
    if (values.help) {
      process.stdout.write(EXPORT_HELP);
      return 0;
    }
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
