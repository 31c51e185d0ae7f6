/**
 * What can be known about a model without loading it: its module names and sizes (from the
 * safetensors headers, a few kilobytes each), and whether its tokenizer has a chat template.
 * Read from a local folder or the Hugging Face cache; a Hub model not yet downloaded gives null.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import path from "node:path";
import type { ModelFacts } from "../core/recipe/model-checks.js";
import { hubCacheDir } from "./hub.js";

/** A header this large is not a safetensors header: stop rather than read a weight file whole. */
const MAX_HEADER_BYTES = 100 << 20;
const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  I64: 8,
  F32: 4,
  I32: 4,
  F16: 2,
  BF16: 2,
  I16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The folder holding the model: a local path (from the working or the recipe's folder), or its cache snapshot. */
/** A model named as a folder, looked for from the working directory, then from the recipe's folder. */
export function localModelFolder(name: string, recipeDir: string): string | null {
  for (const base of [process.cwd(), recipeDir]) {
    const local = path.resolve(base, name);
    if (isDir(local)) return local;
  }
  return null;
}

export function modelFolder(
  name: string,
  revision: string | undefined,
  recipeDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const local = localModelFolder(name, recipeDir);
  if (local) return local;
  // org/name, or a legacy one-word id (gpt2), cached as models--org--name and models--gpt2.
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(name)) return null;
  const repo = path.join(hubCacheDir(env), `models--${name.replace("/", "--")}`);
  const ref = path.join(repo, "refs", revision ?? "main");
  const commit = existsSync(ref) ? readText(ref) : revision;
  if (commit && isDir(path.join(repo, "snapshots", commit))) return path.join(repo, "snapshots", commit);
  const snapshots = isDir(path.join(repo, "snapshots")) ? readdirSync(path.join(repo, "snapshots")) : [];
  return snapshots.length === 1 ? path.join(repo, "snapshots", snapshots[0]!) : null;
}

export async function readModelFacts(folder: string): Promise<ModelFacts> {
  const tensors = await readTensors(folder);
  return {
    where: folder,
    modules: tensors
      ? [
          ...new Set(
            tensors
              .filter((t) => t.shape.length === 2 && t.name.endsWith(".weight"))
              .map((t) => t.name.slice(0, -".weight".length)),
          ),
        ]
      : null,
    chatTemplate: await hasChatTemplate(folder),
    weightBytes: tensors ? tensors.reduce((sum, t) => sum + t.bytes, 0) : null,
    parameters: tensors ? tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0) : null,
  };
}

interface Tensor {
  name: string;
  shape: number[];
  bytes: number;
}

async function readTensors(folder: string): Promise<Tensor[] | null> {
  const index = path.join(folder, "model.safetensors.index.json");
  let files: string[];
  if (existsSync(index)) {
    const map = (JSON.parse(await readFile(index, "utf8")) as { weight_map?: Record<string, string> }).weight_map ?? {};
    files = [...new Set(Object.values(map))].map((f) => path.join(folder, f));
  } else if (existsSync(path.join(folder, "model.safetensors"))) {
    files = [path.join(folder, "model.safetensors")];
  } else if (existsSync(path.join(folder, "adapter_model.safetensors"))) {
    return null; // an adapter: its base model has the modules
  } else {
    return null;
  }
  const out: Tensor[] = [];
  for (const file of files) {
    const header = await readHeader(file);
    if (!header) return null;
    for (const [name, info] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
      out.push({
        name,
        shape,
        bytes: data_offsets
          ? data_offsets[1] - data_offsets[0]
          : shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[dtype] ?? 4),
      });
    }
  }
  return out;
}

/** A safetensors file begins with the header's length (u64, little-endian), then the header JSON. */
async function readHeader(file: string): Promise<Record<string, unknown> | null> {
  const handle = await open(file, "r");
  try {
    const size = Buffer.alloc(8);
    await handle.read(size, 0, 8, 0);
    const length = Number(size.readBigUInt64LE());
    if (length <= 0 || length > MAX_HEADER_BYTES) return null;
    const header = Buffer.alloc(length);
    await handle.read(header, 0, length, 8);
    return JSON.parse(header.toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

async function hasChatTemplate(folder: string): Promise<boolean | null> {
  if (existsSync(path.join(folder, "chat_template.jinja")) || existsSync(path.join(folder, "chat_template.json")))
    return true;
  const config = path.join(folder, "tokenizer_config.json");
  if (!existsSync(config)) return null;
  try {
    const template = (JSON.parse(await readFile(config, "utf8")) as { chat_template?: unknown }).chat_template;
    return typeof template === "string" ? template.length > 0 : Array.isArray(template) && template.length > 0;
  } catch {
    return null;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}
