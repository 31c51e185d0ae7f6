/**
 * `trellis import`: argument parsing, output, exit codes: 0 done, 2 a bad command line, source
 * file or resulting recipe.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { importRecipeFile, ImportedRecipeError, type ImportedRecipe } from "../app/import.js";
import { formatReport, IMPORT_FORMATS, type ImportFormat } from "../core/interop/import/index.js";
import { TRAINERS, type Trainer } from "../core/recipe/schema.js";
import { parse, UsageError } from "./args.js";
import { guarded, USAGE } from "./guarded.js";

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

export function importCommand(args: string[], help: () => number): Promise<number> {
  return guarded(async () => {
    const { values, positionals } = parse(args, "import");
    if (values.help) return help();
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
