/** What the health rules report. */

export type Severity = "warn" | "error";

/** The rules that can fire; an alert's `id` names its rule. */
export type AlertId =
  | "nonfinite"
  | "zero-loss"
  | "early-collapse"
  | "accuracy-stuck"
  | "accuracy-below-chance"
  | "grad-spike"
  | "rewards-falling"
  | "gpu-memory"
  | "oom"
  | "stalled";

export interface Alert {
  /** The rule that fired; with `stage` and `step` it identifies the alert. */
  id: AlertId;
  severity: Severity;
  stage: string | null;
  step: number | null;
  /** One line: what was seen, with the numbers, then what to do. */
  message: string;
}

/** The health line shows one token per family (docs/design/DASHBOARD.md §6.3 "Presentation"). */
export type HealthFamily = "finite" | "init" | "learn" | "acc" | "grad" | "drift" | "gpu" | "alive";

export const ALERT_FAMILY: Record<AlertId, HealthFamily> = {
  nonfinite: "finite",
  "zero-loss": "finite",
  "early-collapse": "init",
  "accuracy-stuck": "learn",
  "accuracy-below-chance": "acc",
  "grad-spike": "grad",
  "rewards-falling": "drift",
  "gpu-memory": "gpu",
  oom: "gpu",
  // No token of its own on the health line (a stall is rare, and the alert line shows it).
  stalled: "alive",
};

/** Families worth a token for a trainer: SFT has no preference accuracy or rewards. */
export function familiesFor(trainer: string | undefined, gpu: boolean): HealthFamily[] {
  const base: HealthFamily[] = isPreference(trainer)
    ? ["finite", "init", "learn", "acc", "grad", "drift"]
    : ["finite", "init", "grad"];
  return gpu ? [...base, "gpu"] : base;
}

/** Trainers that log `rewards/*` and `rewards/accuracies` on preference pairs. */
export function isPreference(trainer: string | undefined): boolean {
  return trainer !== undefined && trainer !== "sft";
}

export const severityRank = (s: Severity | undefined): number => (s === "error" ? 2 : s === "warn" ? 1 : 0);
