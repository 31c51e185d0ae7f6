/** `--help` of `trellis import` and `trellis export`: apart, so that `trellis --help` loads nothing else. */
const IMPORT_HELP = `Usage: trellis import <config.yaml> [options]

Turns a TRL CLI, alignment-handbook, axolotl or LLaMA-Factory config into a trellis recipe, and
reports what became of every key: mapped (to which recipe field), migrated (renamed, or removed
in TRL 1.13 and replaced) or unsupported (and why). The recipe is validated before it is written.

Options:
  --from FORMAT        trl | handbook | axolotl | llamafactory, or llama-factory (either of its
                       layouts); default: detected from the keys
  --trainer NAME       sft | dpo | orpo: force the trainer (TRL CLI and handbook files do not name
                       it; it is inferred from their keys, comments and file name)
  -o, --output FILE    write the recipe here (default: stdout); relative data paths are rebased
                       from the working directory (where the tools read them) to FILE's folder
  --override FILE      merge this YAML over the imported recipe: mappings merge key by key, null
                       deletes a key, stages merge by id (or position); its paths are relative to
                       FILE. recipes/overrides/quickstart.yaml swaps in the CPU quickstart's model
                       and data.
  --json               print {format, trainer, report, notes, yaml} as JSON on stdout
  --trl-version X.Y    validate for this TRL version (default: the managed environment's pin)

The report goes to stderr as a table (or into the JSON with --json).
`;

const EXPORT_HELP = `Usage: trellis export <recipe.yaml> --to trl [-o DIR] [--json]

Writes one TRL CLI config per stage, <stage-id>.yaml, to run with \`trl sft|dpo --config FILE\`,
and says which stages cannot be written that way and why (there is no \`trl orpo\` command; a
tiny model exists only in trellis). A stage that starts from another gets the earlier stage's
output folder as model_name_or_path.

Options:
  --to trl             the target (only trl for now; the default)
  -o, --out DIR        where the files go (default: ./exported/<recipe name>)
  --json               print what was written as JSON
  --trl-version X.Y    validate the recipe for this TRL version
`;
export = { IMPORT_HELP, EXPORT_HELP };
