/**
 * The loss a preference stage asks for: DPO's `loss_type` (one name or a list, combined with
 * `loss_weights`) and CPO's, against the values the target TRL's config accepts (the field tables,
 * src/core/trl/fields.ts, read them from the installed release), and SimPO's preset kept SimPO.
 */
import type { FieldInfo } from "../trl/fields.js";
import type { FieldPath } from "./errors.js";
import type { Stage } from "./schema.js";

interface LossFinding {
  path: FieldPath;
  message: string;
}

/**
 * `info` is loss_type's entry in the target's table; `exact` is true when that table is the
 * target's own release (a newer release may have added loss types, so only then is a name wrong).
 */
export function checkLoss(
  stage: Pick<Stage, "trainer" | "args">,
  path: FieldPath,
  cls: string,
  release: string,
  info: FieldInfo | undefined,
  exact: boolean,
): LossFinding[] {
  const findings: LossFinding[] = [];
  const value = stage.args.loss_type;
  const names = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  if (info?.values && exact) {
    const lacking = names.filter((n) => typeof n !== "string" || !info.values!.includes(n));
    if (lacking.length)
      findings.push({
        path: [...path, "loss_type"],
        message: `${cls} in TRL ${release} has no loss type ${lacking.map((n) => `'${String(n)}'`).join(", ")}; it has ${info.values.join(", ")}`,
      });
  }
  const weights = stage.args.loss_weights;
  if (Array.isArray(weights) && weights.length !== names.length)
    findings.push({
      path: [...path, "loss_weights"],
      message: `${weights.length} loss_weights for ${names.length} loss type${names.length === 1 ? "" : "s"}: give one weight per entry of loss_type`,
    });
  if (names.includes("exo_pair") && !(Number(stage.args.label_smoothing) > 0))
    findings.push({
      path: [...path, "label_smoothing"],
      message: "the exo_pair loss needs label_smoothing above 0 (the EXO paper recommends 1e-3)",
    });
  if (stage.trainer === "simpo" && value !== undefined && value !== "simpo")
    findings.push({
      path: [...path, "loss_type"],
      message: `a simpo stage trains CPOConfig's loss_type simpo; for loss_type ${JSON.stringify(value)} use trainer: cpo`,
    });
  return findings;
}
