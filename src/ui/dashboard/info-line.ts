/** Last checkpoint, latest eval and saved output of the current stage, on one line. */
import { compact } from "./numbers.js";
import { fit } from "./text.js";
import type { PanelContext } from "./panel-context.js";

const EVAL_SHOWN: Array<[string, string]> = [
  ["eval_loss", "loss"],
  ["eval_rewards/accuracies", "acc"],
  ["eval_rewards/margins", "margins"],
  ["eval_kl", "kl"],
  ["eval_mean_token_accuracy", "tok acc"],
];

export function infoLine(v: PanelContext): string | null {
  const cur = v.shown;
  const d = cur?.detail;
  if (!cur || !d) return null;
  const parts: string[] = [];
  if (d.lastCheckpoint)
    parts.push(`${v.paint.dim("ckpt")} ${basename(d.lastCheckpoint.path)} @${d.lastCheckpoint.step}`);
  if (d.evalStep !== null) {
    const values = EVAL_SHOWN.filter(([k]) => d.evalLatest[k] !== undefined).map(
      ([k, label]) => `${label} ${compact(d.evalLatest[k])}`,
    );
    parts.push(`${v.paint.dim("eval")} @${d.evalStep} ${values.join(" ")}`);
  }
  if (cur.stage.savedTo) parts.push(`${v.paint.dim("saved")} ${cur.stage.savedTo}`);
  return parts.length ? fit(` ${parts.join("  ")}`, v.width, v.sym.ellipsis) : null;
}

function basename(p: string): string {
  return p.split(/[\\/]/).filter(Boolean).at(-1) ?? p;
}
