/** Reads the column names of local data files without loading them (jsonl, json, csv, parquet). */
import { open, readFile, stat } from "node:fs/promises";
import type { FileFormat } from "../core/recipe/resolve.js";

/** Enough of a file to see its first record; real rows are far shorter. */
const HEAD_BYTES = 1 << 20;
/** A whole .json array is parsed to find its first record: cap what we are willing to read. */
const MAX_JSON_ARRAY_BYTES = 256 << 20;

export class DataFileError extends Error {
  readonly exitCode = 2;
}

export async function readColumns(file: string, format: FileFormat): Promise<string[]> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new DataFileError(`${file}: not a file`);
    size = info.size;
  } catch (err) {
    if (err instanceof DataFileError) throw err;
    throw new DataFileError(`${file}: data file not found`);
  }
  if (size === 0) throw new DataFileError(`${file}: the data file is empty`);
  if (format === "parquet") return parquetColumns(file);
  const head = await readHead(file);
  if (format === "csv") return csvHeader(head);
  const text = head.trimStart();
  if (!text && size <= HEAD_BYTES) throw new DataFileError(`${file}: the data file is empty (only whitespace)`);
  if (text.startsWith("[")) return jsonArrayColumns(file, size);
  if (!text.includes("\n") && size > HEAD_BYTES) throw new DataFileError(`${file}: the first line is longer than ${HEAD_BYTES >> 20} MiB; a row that size is not preference data (is this JSON lines?)`);
  const firstLine = text.split("\n", 1)[0]!;
  return objectKeys(firstLine, file, "the first line");
}

async function readHead(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

function objectKeys(text: string, file: string, where: string): string[] {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch {
    throw new DataFileError(`${file}: ${where} is not valid JSON (expected one JSON object per line)`);
  }
  if (!row || typeof row !== "object" || Array.isArray(row)) throw new DataFileError(`${file}: ${where} is not a JSON object`);
  return Object.keys(row);
}

async function jsonArrayColumns(file: string, size: number): Promise<string[]> {
  if (size > MAX_JSON_ARRAY_BYTES) throw new DataFileError(`${file}: a JSON array this large is slow to check; convert it to JSON lines (.jsonl)`);
  let rows: unknown;
  try {
    rows = JSON.parse(await readFile(file, "utf8"));
  } catch {
    throw new DataFileError(`${file}: not valid JSON`);
  }
  const first = Array.isArray(rows) ? rows[0] : undefined;
  if (first === undefined) throw new DataFileError(`${file}: the JSON array is empty`);
  return objectKeys(JSON.stringify(first), file, "the first record");
}

function csvHeader(head: string): string[] {
  const line = head.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") cells.push(cell), (cell = "");
    else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

async function parquetColumns(file: string): Promise<string[]> {
  try {
    // Loaded only for parquet files: most recipes never need it.
    const { asyncBufferFromFile, parquetMetadataAsync, parquetSchema } = await import("hyparquet");
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    return parquetSchema(metadata).children.map((c) => c.element.name);
  } catch (err) {
    throw new DataFileError(`${file}: not a readable parquet file (${(err as Error).message})`);
  }
}
