/**
 * Which trainer a flat TRL / alignment-handbook config is for. The file does not say: the
 * keys (fields only one config class has), then its comments (`# DPOTrainer arguments`,
 * `trl sft --config`), then its name (`..._orpo_config_full.yaml`) decide.
 */
import { configClass } from "../../trl/fields.js";
import { TRAINERS, type Trainer } from "../../recipe/schema.js";
import { trainersWithField } from "./args.js";
import type { Raw } from "./types.js";

/** Keys of ModelConfig / ScriptArguments / the handbook: every trainer has them. */
const COMMON_KEYS = new Set(["model_name_or_path", "dataset_name", "chat_template", "trainer", "use_peft", "env"]);

export interface TrainerChoice {
  trainer: Trainer;
  reason: string;
}

export function inferTrainer(raw: Raw, file: string, text: string | undefined, forced?: Trainer): TrainerChoice {
  if (forced) return { trainer: forced, reason: "--trainer" };
  // Only the SimPO repository's SimPOConfig (princeton-nlp/SimPO) has gamma_beta_ratio.
  if ("gamma_beta_ratio" in raw)
    return { trainer: "simpo", reason: "gamma_beta_ratio: a SimPO repository config (princeton-nlp/SimPO)" };
  if (typeof raw.trainer === "string" && (TRAINERS as readonly string[]).includes(raw.trainer)) {
    return { trainer: raw.trainer as Trainer, reason: "the file's 'trainer' key" };
  }
  // simpo is trellis's preset with SimPO's defaults: a TRL CPOConfig file is a cpo stage, its
  // loss_type (simpo included) and TRL's defaults kept as they are.
  let candidates = new Set<Trainer>(TRAINERS.filter((t) => t !== "simpo"));
  const evidence: string[] = [];
  for (const key of Object.keys(raw)) {
    if (COMMON_KEYS.has(key)) continue;
    const have = trainersWithField(key);
    if (!have.length || have.length === TRAINERS.length) continue;
    const narrowed = new Set(have.filter((t) => candidates.has(t)));
    if (!narrowed.size) continue;
    if (narrowed.size < candidates.size) evidence.push(key);
    candidates = narrowed;
  }
  const list = [...candidates];
  const byKeys = evidence.length
    ? `keys only ${list.map(configClass).join("/")} ${list.length > 1 ? "have" : "has"}: ${evidence.join(", ")}`
    : "";
  if (list.length === 1) return { trainer: list[0]!, reason: byKeys };

  const fromComments = hint(comments(text ?? ""), list);
  if (fromComments)
    return {
      trainer: fromComments.trainer,
      reason: `the file's comments ('${fromComments.match}')${byKeys ? `; ${byKeys}` : ""}`,
    };
  const base = file.split(/[\\/]/).pop() ?? file;
  const fromName = hint(base, list);
  if (fromName) return { trainer: fromName.trainer, reason: `the file name (${base})${byKeys ? `; ${byKeys}` : ""}` };
  // Keys of preference configs only: DPO first, then ORPO (whose keys CPOConfig shares), then CPO.
  const preference = (["dpo", "orpo", "cpo"] as const).find((t) => candidates.has(t));
  if (!candidates.has("sft") && preference)
    return {
      trainer: preference,
      reason: `${byKeys}; ${configClass(preference).replace("Config", "")} assumed (use --trainer to change)`,
    };
  return {
    trainer: "sft",
    reason:
      "no DPO/ORPO-only keys, comments or file name point elsewhere: SFT, as for `trl sft` (use --trainer to change)",
  };
}

function comments(text: string): string {
  return text
    .split("\n")
    .map((line) => /(?:^|\s)#(.*)$/.exec(line)?.[1] ?? "")
    .join("\n");
}

/** Trainer names as words: `DPOTrainer`, `ORPOConfig`, `trl cpo` first, then `_orpo_`, `sft-`. */
export function hint(text: string, allowed: Trainer[]): { trainer: Trainer; match: string } | undefined {
  const strong = (t: string) => new RegExp(`\\btrl\\s+${t}\\b|\\b${t}\\s*(?:trainer|config)\\b`, "i");
  const weak = (t: string) => new RegExp(`(?:^|[^a-z])${t}(?:[^a-z]|$)`, "i");
  for (const form of [strong, weak]) {
    for (const trainer of ["orpo", "cpo", "dpo", "sft"] as const) {
      if (!allowed.includes(trainer)) continue;
      const m = form(trainer).exec(text);
      if (m) return { trainer, match: m[0].replace(/^[^A-Za-z]+|[^A-Za-z]+$/g, "") };
    }
  }
  return undefined;
}
