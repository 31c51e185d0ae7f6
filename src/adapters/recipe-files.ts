/**
 * The files a user names: recipes and foreign configs (read with a size cap, so a wrong path to
 * a huge file is refused rather than read), the JSON files beside them, and exported configs.
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

type CappedText = { status: "missing" } | { status: "too_large"; bytes: number } | { status: "read"; text: string };

/** The file as UTF-8 text (bad bytes replaced), unless it is missing or larger than `maxBytes`. */
export async function readCappedText(file: string, maxBytes: number): Promise<CappedText> {
  let bytes: number;
  try {
    bytes = (await stat(file)).size;
  } catch {
    return { status: "missing" };
  }
  if (bytes > maxBytes) return { status: "too_large", bytes };
  return { status: "read", text: new TextDecoder("utf-8", { fatal: false }).decode(await readFile(file)) };
}

/** Throws when the file is missing or is not JSON. */
export async function readJsonFile(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, "utf8"));
}

/** The file's text, or undefined when it is gone (a recipe moved since its run). */
export function readTextIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** Writes each file into `dir` (made when there is something to write); their absolute paths, by key. */
export async function writeTextFiles(dir: string, files: Array<{ key: string; name: string; text: string }>) {
  const written: Record<string, string> = {};
  if (files.length) await mkdir(dir, { recursive: true });
  for (const f of files) {
    const target = path.join(dir, f.name);
    await writeFile(target, f.text);
    written[f.key] = target;
  }
  return written;
}
