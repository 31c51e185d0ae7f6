/**
 * Reads every row of a local data file, streamed, with where each row is: JSON lines line by
 * line, CSV through csv-parse, parquet a row group at a time. A 1 GB file costs no more memory
 * than a small one (a .json array is the exception: one document, read whole, capped).
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { FileFormat } from "../core/recipe/resolve.js";
import { TrellisError } from "../core/errors.js";

/** A whole .json array is parsed at once: cap what we are willing to read. */
const MAX_JSON_ARRAY_BYTES = 256 << 20;
/** One line this long is not a preference pair: a wrong file, or JSON without line breaks. */
export const MAX_LINE_BYTES = 64 << 20;

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

async function* jsonLines(file: string): AsyncGenerator<RowItem> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  let index = 0;
  let blank = true;
  // A syntax error on the last line that ends mid-object is a cut-off file: held until we know.
  let held: Extract<RowItem, { kind: "bad" }> | undefined;
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (!text.trim()) continue;
    blank = false;
    if (held) yield held;
    held = undefined;
    const where = `${file}:${line}`;
    if (text.length > MAX_LINE_BYTES) {
      yield {
        kind: "bad",
        where,
        message: `a line of ${(text.length / 1e6).toFixed(0)} MB; a row that size is not preference data (is this JSON lines?)`,
      };
      continue;
    }
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
  const parser = createReadStream(file).pipe(
    parseCsv({ columns: true, bom: true, info: true, relax_column_count: true, skip_empty_lines: true }),
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
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const rows = (await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end })) as Array<
      Record<string, unknown>
    >;
    for (const [i, row] of rows.entries())
      yield { kind: "row", index: start + i, row, where: `${file}: row ${start + i + 1}` };
    start = end;
  }
}
