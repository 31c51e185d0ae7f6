/**
 * Which packages a recipe's stage args need beyond the base environment (a tracker in report_to,
 * an 8-bit optimizer, DeepSpeed, Liger, flash attention), and whether the environment asked for
 * (base lock + requested extras) has them. Decided from lock data, never by starting Python: what
 * would fail minutes into a run fails here, at the arg's location.
 */
import { extraProblem, normalizeName, type PackageUniverse } from "../env/extras.js";
import type { Finding } from "./errors.js";
import type { FieldPath, RecipeProblem } from "./errors.js";
import type { ParsedRecipe } from "./parse.js";
import type { Recipe, Stage } from "./schema.js";
import { didYouMean } from "./suggest.js";

/** One package an arg needs. `path` is where the arg's value is written. */
export interface PackageNeed {
  path: FieldPath;
  /** The distribution name on the package index. */
  package: string;
  /** What asks for it, e.g. "report_to 'wandb'". */
  why: string;
}

/** transformers' report_to integrations and the distribution each one imports. */
const TRACKER_PACKAGES: Readonly<Record<string, string>> = {
  azure_ml: "azureml-core",
  clearml: "clearml",
  codecarbon: "codecarbon",
  comet_ml: "comet-ml",
  dagshub: "dagshub",
  dvclive: "dvclive",
  flyte: "flytekit",
  mlflow: "mlflow",
  neptune: "neptune",
  swanlab: "swanlab",
  tensorboard: "tensorboard",
  trackio: "trackio",
  wandb: "wandb",
};
/** report_to values that name no integration: every installed one, or none. */
const REPORT_TO_SPECIAL = ["all", "none"];

/** Optimizer families outside torch, by the package their `optim` names import (order matters: torchao's 8-bit first). */
const OPTIMIZER_PACKAGES: ReadonlyArray<[RegExp, string]> = [
  [/^adamw_torch_(4|8)bit$/, "torchao"],
  [/^galore_/, "galore-torch"],
  [/^apollo_/, "apollo-torch"],
  // transformers takes AdEMAMix and Lion (8- and 32-bit) from bitsandbytes too.
  [/bnb|8bit|paged|^ademamix|^lion_/, "bitsandbytes"],
  [/lomo/, "lomo-optim"],
  [/^schedule_free_/, "schedulefree"],
  [/^grokadamw$/, "grokadamw"],
];

/** attn_implementation values served by a package outside torch. */
const ATTENTION_PACKAGES: Readonly<Record<string, string>> = {
  flash_attention_2: "flash-attn",
  flash_attention_3: "flash-attn-3",
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The packages a stage's args need, each with the location of the arg that asks. Args are TRL's, verbatim. */
export function packageNeeds(args: Stage["args"], at: FieldPath): PackageNeed[] {
  const needs: PackageNeed[] = [];
  const report = args.report_to;
  const trackers: Array<[unknown, FieldPath]> = Array.isArray(report)
    ? report.map((r, k) => [r, [...at, "report_to", k]])
    : [[report, [...at, "report_to"]]];
  for (const [name, path] of trackers) {
    if (typeof name !== "string" || REPORT_TO_SPECIAL.includes(name)) continue;
    const pkg = TRACKER_PACKAGES[name];
    if (pkg) needs.push({ path, package: pkg, why: `report_to '${name}'` });
  }
  if (typeof args.optim === "string") {
    const pkg = OPTIMIZER_PACKAGES.find(([pattern]) => pattern.test(args.optim as string))?.[1];
    if (pkg) needs.push({ path: [...at, "optim"], package: pkg, why: `optim '${args.optim}'` });
  }
  if (args.deepspeed !== undefined && args.deepspeed !== null && args.deepspeed !== false) {
    needs.push({ path: [...at, "deepspeed"], package: "deepspeed", why: "deepspeed" });
  }
  if (args.use_liger_kernel === true)
    needs.push({ path: [...at, "use_liger_kernel"], package: "liger-kernel", why: "use_liger_kernel: true" });
  const init = args.model_init_kwargs;
  if (isObject(init) && typeof init.attn_implementation === "string") {
    const pkg = ATTENTION_PACKAGES[init.attn_implementation];
    if (pkg)
      needs.push({
        path: [...at, "model_init_kwargs", "attn_implementation"],
        package: pkg,
        why: `attn_implementation '${init.attn_implementation}'`,
      });
  }
  return needs;
}

/** The packages the model block needs: bitsandbytes for quantised loading, flash-attn for its attention. */
export function modelPackageNeeds(model: Recipe["model"]): PackageNeed[] {
  const needs: PackageNeed[] = [];
  if (model.quantization)
    needs.push({
      path: ["model", "quantization"],
      package: "bitsandbytes",
      why: `model.quantization (${model.quantization.bits}-bit loading)`,
    });
  const attention = model.attn_implementation;
  const pkg = attention ? ATTENTION_PACKAGES[attention] : undefined;
  if (pkg)
    needs.push({ path: ["model", "attn_implementation"], package: pkg, why: `attn_implementation '${attention}'` });
  return needs;
}

/** report_to names transformers would reject at startup (`ValueError: ... is not supported`). */
function unknownTrackers(args: Stage["args"], at: FieldPath): Finding[] {
  const report = args.report_to;
  const entries: Array<[unknown, FieldPath]> = Array.isArray(report)
    ? report.map((r, k) => [r, [...at, "report_to", k]])
    : [[report, [...at, "report_to"]]];
  const known = [...Object.keys(TRACKER_PACKAGES), ...REPORT_TO_SPECIAL];
  return entries.flatMap(([name, path]) =>
    typeof name === "string" && !known.includes(name)
      ? [
          {
            path,
            message: `'${name}' is not a report_to integration${didYouMean(name, known)} (known: ${known.join(", ")})`,
          },
        ]
      : [],
  );
}

/**
 * Findings for the recipe's `extras` (unknown or uninstallable names) and for every arg whose package
 * is in neither the base lock nor a requested extra. `cliExtras` are the `--extra` flags, already checked.
 */
export function checkPackages(
  recipe: Recipe,
  universe: PackageUniverse,
  cliExtras: ReadonlyArray<string> = [],
): Finding[] {
  const findings: Finding[] = [];
  const recipeExtras = recipe.extras ?? [];
  recipeExtras.forEach((name, j) => {
    const problem = extraProblem(name, universe);
    if (problem) findings.push({ path: ["extras", j], message: problem });
  });
  const requested = new Set([...recipeExtras, ...cliExtras]);
  const present = new Set(universe.base);
  for (const extra of universe.extras)
    if (requested.has(extra.name) && extra.lockText !== undefined) extra.packages.forEach((p) => present.add(p));
  for (const need of modelPackageNeeds(recipe.model)) {
    if (!present.has(normalizeName(need.package)))
      findings.push({ path: need.path, message: missingMessage(need, universe) });
  }
  recipe.stages.forEach((stage, i) => {
    const at: FieldPath = ["stages", i, "args"];
    findings.push(...unknownTrackers(stage.args, at));
    for (const need of packageNeeds(stage.args, at)) {
      if (!present.has(normalizeName(need.package)))
        findings.push({ path: need.path, message: missingMessage(need, universe) });
    }
  });
  return findings;
}

function missingMessage(need: PackageNeed, universe: PackageUniverse): string {
  const pkg = normalizeName(need.package);
  const extra =
    universe.extras.find((e) => e.packages.includes(pkg) && e.requires.some((r) => normalizeName(r) === pkg)) ??
    universe.extras.find((e) => e.packages.includes(pkg));
  const lacks = `${need.why} needs the package ${need.package}, which the environment lacks`;
  if (!extra)
    return `${lacks} and no trellis extra provides (extras: ${universe.extras.map((e) => e.name).join(", ")}): remove it (trellis cannot install it)`;
  if (extra.unavailable !== undefined || extra.lockText === undefined)
    return `${lacks}, and the ${extra.name} extra cannot be installed here: ${extra.unavailable ?? "it has no lock file"}`;
  return `${lacks}: add "extras: [${extra.name}]" to the recipe, or run with --extra ${extra.name}`;
}

/** checkPackages, each finding placed at `file:line:col` of the recipe text it came from. */
export function packageProblems(
  parsed: Pick<ParsedRecipe, "recipe" | "sourceMap">,
  file: string,
  universe: PackageUniverse,
  cliExtras: ReadonlyArray<string> = [],
): RecipeProblem[] {
  const problems: RecipeProblem[] = checkPackages(parsed.recipe, universe, cliExtras).map((f) => {
    const pos = parsed.sourceMap.value(f.path);
    return { file, line: pos?.line, col: pos?.col, path: f.path, message: f.message };
  });
  // In file order, like the recipe's other problems.
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
