/** A model folder as the Hub ships one, without weights worth loading: safetensors headers, configs. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Tensors of a two-layer Llama-like model (shapes only matter; the data is zeros). */
export const FAKE_TENSORS: Record<string, number[]> = {
  "model.embed_tokens.weight": [32, 8],
  "model.layers.0.self_attn.q_proj.weight": [8, 8],
  "model.layers.0.self_attn.v_proj.weight": [8, 8],
  "model.layers.0.mlp.down_proj.weight": [8, 16],
  "model.layers.0.input_layernorm.weight": [8],
  "lm_head.weight": [32, 8],
};

export function writeSafetensors(file: string, tensors: Record<string, number[]>): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const [name, shape] of Object.entries(tensors)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([size, json, Buffer.alloc(offset)]));
}

/** A model folder; `chatTemplate` false writes a tokenizer config without one. */
export function fakeModel(dir: string, chatTemplate: boolean): string {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(path.join(dir, "model.safetensors"), FAKE_TENSORS);
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model_type: "llama" }));
  const tokenizer: Record<string, unknown> = { eos_token: "</s>" };
  if (chatTemplate) tokenizer.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}";
  writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(tokenizer));
  return dir;
}
