/**
 * Reads every row of a local data file, streamed, with where each row is: JSON lines line by
 * line, CSV through csv-parse, parquet a row group at a time. A 1 GB file costs no more memory
 * than a small one (a .json array is the exception: one document, read whole, capped).
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { FileFormat } from "../core/recipe/resolve.js";
import { TrellisError } from "../core/errors.js";

/** A whole .json array is parsed at once: cap what we are willing to read. */
const MAX_JSON_ARRAY_BYTES = 256 << 20;
/** One line this long is not a preference pair: a wrong file, or JSON without line breaks. */
export const MAX_LINE_BYTES = 64 << 20;
/**
 * Sets the line (and CSV record) limit in bytes: tests use a small one, so that a file of a few
 * MB shows what a 1 GB line does. Whatever the limit, a longer line is never held in memory.
 */
export const MAX_LINE_BYTES_ENV = "TRELLIS_MAX_LINE_BYTES";
/** hyparquet reads a row group's column whole: a chunk over this is refused before it is read. */
const MAX_PARQUET_CHUNK_BYTES = 1 << 30;
export const MAX_PARQUET_CHUNK_BYTES_ENV = "TRELLIS_MAX_PARQUET_CHUNK_BYTES";

/** The line limit in force: the environment's, else MAX_LINE_BYTES. */
export const maxLineBytes = (env: NodeJS.ProcessEnv = process.env) =>
  positiveInt(env[MAX_LINE_BYTES_ENV]) ?? MAX_LINE_BYTES;
const maxParquetChunkBytes = (env: NodeJS.ProcessEnv = process.env) =>
  positiveInt(env[MAX_PARQUET_CHUNK_BYTES_ENV]) ?? MAX_PARQUET_CHUNK_BYTES;

function positiveInt(text: string | undefined): number | undefined {
  const value = Number(text);
  return text && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** A size in words: "1.2 GB", "64 MiB" for limits (powers of two), "512 bytes". */
function sizeText(bytes: number, binary = false): string {
  const [unit, name] = binary ? [1 << 20, "MiB"] : [1e6, "MB"];
  if (bytes < unit) return `${bytes} bytes`;
  if (!binary && bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  return `${Number((bytes / unit).toFixed(1))} ${name}`;
}

export type RowItem =
  /** `line` is 1-based; `text` is the raw line, to find a column's position in it. */
  | { kind: "row"; index: number; row: Record<string, unknown>; where: string; text?: string; line?: number }
  | { kind: "bad"; where: string; message: string };

/** A data file that cannot be used; `details` carries what was found, for `check --json`. */
export class DataFileError extends TrellisError {
  override readonly exitCode = 2;
  override readonly located = true;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export async function* readRows(file: string, format: FileFormat): AsyncGenerator<RowItem> {
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
  if (format === "parquet") yield* parquetRows(file);
  else if (format === "csv") yield* csvRows(file);
  else if (await startsWithBracket(file)) yield* jsonArrayRows(file, size);
  else yield* jsonLines(file);
}

async function startsWithBracket(file: string): Promise<boolean> {
  for await (const chunk of createReadStream(file, { start: 0, end: 4095, encoding: "utf8" })) {
    const text = (chunk as string).replace(/^\uFEFF/, "").trimStart();
    if (text) return text.startsWith("[");
  }
  return false;
}

/** One line of a file: its text, or only its size when it is over the limit (never read whole). */
type Line = { line: number; text: string } | { line: number; over: number };

/**
 * The lines of a file, split on bytes: a line over `limit` bytes is skipped as it streams past
 * (its size counted, up to where the file stops), so memory stays one chunk plus one line at most
 * the limit, however long the line. readline would build the whole line as one string, and a 1 GB
 * line is over V8's longest string (RangeError: Invalid string length).
 */
export async function* fileLines(file: string, limit: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let line = 0;
  const end = function* (): Generator<Line> {
    line++;
    if (size > limit) yield { line, over: size };
    else {
      const text = Buffer.concat(parts).toString("utf8");
      yield { line, text: text.endsWith("\r") ? text.slice(0, -1) : text };
    }
    parts = [];
    size = 0;
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); ; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl < 0 ? chunk.length : nl);
      size += piece.length;
      if (size <= limit) parts.push(piece);
      else parts = [];
      if (nl < 0) break;
      yield* end();
      from = nl + 1;
    }
  }
  if (size > 0 || parts.length) yield* end();
}

async function* jsonLines(file: string): AsyncGenerator<RowItem> {
  const limit = maxLineBytes();
  let index = 0;
  let blank = true;
  // A syntax error on the last line that ends mid-object is a cut-off file: held until we know.
  let held: Extract<RowItem, { kind: "bad" }> | undefined;
  for await (const item of fileLines(file, limit)) {
    const { line } = item;
    const where = `${file}:${line}`;
    if ("over" in item) {
      if (held) yield held;
      held = undefined;
      blank = false;
      yield {
        kind: "bad",
        where,
        message: `a line of ${sizeText(item.over)}, over the limit of ${sizeText(limit, true)} for one line; a row that size is not preference data (is this JSON lines?)`,
      };
      continue;
    }
    const text = line === 1 ? item.text.replace(/^\uFEFF/, "") : item.text;
    if (!text.trim()) continue;
    blank = false;
    if (held) yield held;
    held = undefined;
    if (text.includes("\uFFFD")) {
      yield {
        kind: "bad",
        where: `${where}:${text.indexOf("\uFFFD") + 1}`,
        message: "not valid UTF-8 (save the file as UTF-8)",
      };
      continue;
    }
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (err) {
      const bad = {
        kind: "bad" as const,
        where: `${where}:${jsonErrorColumn(err, text)}`,
        message: `not valid JSON: ${jsonErrorText(err)}`,
      };
      if (endsEarly(err, text)) held = bad;
      else yield bad;
      continue;
    }
    if (!row || typeof row !== "object" || Array.isArray(row)) {
      yield { kind: "bad", where: `${where}:1`, message: "not a JSON object (expected one object per line)" };
      continue;
    }
    yield { kind: "row", index: index++, row: row as Record<string, unknown>, where, text, line };
  }
  if (held)
    yield {
      ...held,
      where: held.where.replace(/:\d+$/, ""),
      message: "cut off in the middle of a JSON object: the file looks truncated",
    };
  if (blank) throw new DataFileError(`${file}: the data file is empty (only whitespace)`);
}

/** The JSON ran out before it closed: an unterminated string, or the end of the input. */
function endsEarly(err: unknown, text: string): boolean {
  const message = (err as Error).message;
  return /Unterminated string|Unexpected end of JSON input/.test(message) || jsonErrorColumn(err, text) > text.length;
}

/** Node's JSON errors end with "at position N" (or "(line L column C)"): the 1-based column. */
function jsonErrorColumn(err: unknown, text: string): number {
  const message = (err as Error).message;
  const column = /column (\d+)/.exec(message);
  if (column) return Number(column[1]);
  const position = /position (\d+)/.exec(message);
  return position ? Number(position[1]) + 1 : text.length;
}

function jsonErrorText(err: unknown): string {
  return (err as Error).message
    .replace(/ in JSON at position \d+.*$/, "")
    .replace(/^Unexpected end of JSON input$/, "the line ends before the JSON does")
    .replace(/ \(line \d+ column \d+\)$/, "");
}

async function* jsonArrayRows(file: string, size: number): AsyncGenerator<RowItem> {
  if (size > MAX_JSON_ARRAY_BYTES)
    throw new DataFileError(`${file}: a JSON array this large is slow to check; convert it to JSON lines (.jsonl)`);
  const text = await readFile(file, "utf8");
  let rows: unknown;
  try {
    rows = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message);
    const where = at ? lineAndColumn(text, Number(at[1])) : file;
    throw new DataFileError(`${file}${at ? `:${where}` : ""}: not valid JSON: ${jsonErrorText(err)}`);
  }
  if (!Array.isArray(rows))
    throw new DataFileError(`${file}: a .json data file must be an array of objects, or use JSON lines`);
  if (!rows.length) throw new DataFileError(`${file}: the JSON array is empty`);
  for (const [i, row] of rows.entries()) {
    const where = `${file}: record ${i + 1}`;
    if (!row || typeof row !== "object" || Array.isArray(row))
      yield { kind: "bad", where, message: "not a JSON object" };
    else yield { kind: "row", index: i, row: row as Record<string, unknown>, where };
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  return `${line}:${position - before.lastIndexOf("\n")}`;
}

async function* csvRows(file: string): AsyncGenerator<RowItem> {
  // Loaded when a CSV file is read: most runs read JSON lines, and start-up time counts.
  const { parse: parseCsv } = await import("csv-parse");
  const limit = maxLineBytes();
  const parser = createReadStream(file).pipe(
    parseCsv({
      columns: true,
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // csv-parse builds a field until it ends: without a cap a 1 GB field is a 1 GB string.
      max_record_size: limit,
    }),
  );
  let index = 0;
  try {
    for await (const record of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number; invalid_field_length: number };
    }>) {
      const where = `${file}:${record.info.lines}`;
      yield { kind: "row", index: index++, row: record.record, where, line: record.info.lines };
    }
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    if ((err as { code?: string }).code === "CSV_MAX_RECORD_SIZE")
      throw new DataFileError(
        `${file}${line ? `:${line}` : ""}: a CSV record over the limit of ${sizeText(limit, true)}; a row that size is not preference data (is this the right file, with matching quotes?)`,
      );
    throw new DataFileError(
      `${file}${line ? `:${line}` : ""}: not valid CSV: ${(err as Error).message.replace(/^Invalid Record Length: /, "")}`,
    );
  }
  if (index === 0) throw new DataFileError(`${file}: the CSV file has a header but no rows`);
}

async function* parquetRows(file: string): AsyncGenerator<RowItem> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import("hyparquet");
  let buffer;
  let metadata;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new DataFileError(`${file}: not a readable parquet file (${(err as Error).message})`);
  }
  const limit = maxParquetChunkBytes();
  let start = 0;
  for (const [g, group] of metadata.row_groups.entries()) {
    const end = start + Number(group.num_rows);
    const big = group.columns.find((c) => Number(c.meta_data?.total_uncompressed_size ?? 0) > limit);
    if (big)
      throw new DataFileError(
        `${file}: row group ${g + 1} (rows ${start + 1}-${end}), column '${big.meta_data?.path_in_schema.join(".")}': ${sizeText(Number(big.meta_data?.total_uncompressed_size))} uncompressed, over the ${sizeText(limit, true)} trellis reads at once; write the file with smaller row groups (pyarrow: pq.write_table(..., row_group_size=10000))`,
      );
    const rows = (await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end })) as Array<
      Record<string, unknown>
    >;
    for (const [i, row] of rows.entries())
      yield { kind: "row", index: start + i, row, where: `${file}: row ${start + i + 1}` };
    start = end;
  }
}
