/**
 * Quantised loading (QLoRA) and the attention kernel, as every importer maps them: onto
 * model.quantization and model.attn_implementation, with the bitsandbytes extra added to the
 * recipe. Each tool's own names are translated by its importer; the rules live here.
 */
import { ATTENTION_IMPLEMENTATIONS } from "../../recipe/schema.js";
import type { Draft } from "./draft.js";
import { show } from "./types.js";

const BNB_EXTRA = "bitsandbytes";
const QUANT_TYPES = ["nf4", "fp4"];
const QUANT_STORAGE = ["uint8", "float32", "bfloat16", "float16"];
/** Why quantised weights need an adapter: the Trainer refuses to train them (so does every tool). */
export const NEEDS_ADAPTER = "quantised weights cannot be trained themselves: only with a LoRA adapter (QLoRA)";

/** Sets model.quantization (with the bitsandbytes extra) from the key that turns it on. */
export function setQuantization(d: Draft, key: string, quantization: Record<string, unknown>, note: string): void {
  // A 4-bit setting read before this key (key order is the file's) is kept over the defaults.
  d.model.quantization = { ...quantization, ...(d.model.quantization as Record<string, unknown> | undefined) };
  d.addExtra(BNB_EXTRA);
  d.report.mapped(key, "model.quantization", `${note}; needs the ${BNB_EXTRA} extra (added to extras)`);
}

/** One 4-bit setting: its row, once model.quantization exists; `field` is the recipe's name. */
export function quantSetting(
  d: Draft,
  key: string,
  field: "quant_type" | "double_quant" | "quant_storage",
  value: unknown,
  fourBit: boolean,
): void {
  if (!fourBit) return d.report.unset(key, "only used with 4-bit loading");
  const ok =
    field === "double_quant"
      ? typeof value === "boolean"
      : field === "quant_type"
        ? QUANT_TYPES.includes(value as string)
        : QUANT_STORAGE.includes(value as string);
  if (!ok) {
    const expected =
      field === "double_quant" ? "true or false" : (field === "quant_type" ? QUANT_TYPES : QUANT_STORAGE).join(", ");
    return d.report.unsupported(key, `model.quantization.${field} takes ${expected} (got ${show(value)})`);
  }
  d.model.quantization = { ...(d.model.quantization as Record<string, unknown> | undefined), [field]: value };
  d.report.mapped(key, `model.quantization.${field}`);
}

/** model.attn_implementation from a tool's setting; the first key that sets it wins, a second one is reported. */
export function setAttention(d: Draft, key: string, value: unknown, note = ""): void {
  if (typeof value !== "string" || !(ATTENTION_IMPLEMENTATIONS as readonly string[]).includes(value)) {
    return d.report.unsupported(
      key,
      `model.attn_implementation takes ${ATTENTION_IMPLEMENTATIONS.join(", ")} (got ${show(value)}); transformers' default (sdpa where the model has it) is used`,
    );
  }
  const earlier = d.model.attn_implementation;
  if (earlier !== undefined && earlier !== value)
    return d.report.unsupported(
      key,
      `model.attn_implementation is already ${show(earlier)} from another key; this value is not used`,
    );
  d.model.attn_implementation = value;
  const fa2 =
    value === "flash_attention_2"
      ? "flash-attn has no wheels on PyPI and trellis cannot install it: `trellis check` says so; sdpa is the portable choice"
      : "";
  d.report.mapped(key, "model.attn_implementation", [note, fa2].filter(Boolean).join("; "));
}
