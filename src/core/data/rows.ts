/**
 * Every row of a data file checked against what its stage's trainer will need: the columns, a
 * usable value in each (text or chat messages, one kind per column, not empty), chosen differing
 * from rejected, and one shape for the whole file. Pure: rows arrive from an adapter that reads
 * the file, which adds the location (file:line:col) to each problem.
 */
import { kindOf, rowShape, sftRowShape, unpairedRowShape, type Shape } from "./shape.js";
import {
  MAX_VALUE_BYTES,
  ROLES,
  SCORE_COLUMNS,
  STANDARD_COLUMNS,
  TRAINER_NEEDS,
  pairColumns,
  type Trainer,
} from "./trainers.js";

export interface RowProblem {
  /** The source column the problem is in (as the file names it), when there is one. */
  column?: string;
  message: string;
}

/** Which standard columns a stage reads from this file, decided from its first row (unpaired: KTO's examples). */
export type Use = { pairs: true; columns: string[] } | { pairs: false; columns: string[]; unpaired?: true };

/** The standard -> source column mapping of data.columns, and the reverse lookups it needs. */
export class ColumnMap {
  private readonly sources: Set<string>;

  constructor(readonly mapping: Record<string, string>) {
    this.sources = new Set(
      Object.entries(mapping)
        .filter(([s, src]) => s !== src)
        .map(([, src]) => src),
    );
  }

  /** The source column a standard column is read from, or undefined when none can be. */
  sourceOf(standard: string): string | undefined {
    const mapped = this.mapping[standard];
    if (mapped !== undefined) return mapped;
    // A column renamed to another standard name (a swap) no longer answers to its own name.
    return this.sources.has(standard) ? undefined : standard;
  }

  /** The row under standard names: only the standard columns, mapped. */
  standard(row: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of [...STANDARD_COLUMNS, ...SCORE_COLUMNS]) {
      const source = this.sourceOf(name);
      if (source !== undefined && Object.hasOwn(row, source)) out[name] = row[source];
    }
    return out;
  }
}

/** The columns used, by the table both sides read (trainers.json; the runtime's check_columns). */
export function columnUseOf(trainer: Trainer, present: readonly string[]): Use {
  const has = (c: string) => present.includes(c);
  const need = TRAINER_NEEDS[trainer];
  if (need.unpaired_columns && has("label")) return { pairs: false, unpaired: true, columns: need.unpaired_columns };
  // sft trains on the first column set it has in full, else on pairs, else on chosen alone.
  const direct = need.preference ? undefined : need.column_sets?.find((set) => set.every(has));
  if (need.preference || (!direct && has("chosen") && has("rejected")))
    return { pairs: true, columns: [...pairColumns(present), ...SCORE_COLUMNS.filter(has)] };
  return { pairs: false, columns: direct ?? ["chosen"] };
}

export class RowChecker {
  private shape: Shape | undefined;
  private firstShapeRow = 0;
  private readonly kinds = new Map<string, string>();
  rows = 0;
  /** KTO's unpaired examples: how many are labelled desirable (true). */
  desirable = 0;
  /** Plain-text rows whose prompt and answers would run together: the separator goes there. */
  joins = 0;

  constructor(
    private readonly use: Use,
    private readonly map: ColumnMap,
  ) {}

  get detectedShape(): Shape | undefined {
    return this.shape;
  }

  /** Problems of one row (already parsed as an object); `index` is 0-based. */
  check(raw: Record<string, unknown>, index: number): RowProblem[] {
    this.rows++;
    const row = this.map.standard(raw);
    const problems: RowProblem[] = [];
    const at = (standard: string) => this.map.sourceOf(standard) ?? standard;
    for (const name of this.use.columns) {
      const problem = SCORE_COLUMNS.includes(name)
        ? scoreProblem(row[name])
        : name === "label"
          ? labelProblem(row[name])
          : this.valueProblem(name, row[name]);
      if (problem) problems.push({ column: at(name), message: problem });
    }
    if (problems.length) return problems;
    if (this.use.pairs && deepEqual(row.chosen, row.rejected)) {
      return [{ column: at("chosen"), message: "chosen and rejected are identical: the pair teaches nothing" }];
    }
    if (row.label === true) this.desirable++;
    const shape = this.use.pairs
      ? rowShape(row)
      : "unpaired" in this.use
        ? unpairedRowShape(row)
        : this.use.columns[0] === "chosen"
          ? chosenOnlyShape(row.chosen)
          : sftRowShape(row);
    if (shape instanceof Error) return [{ message: shape.message }];
    if (this.shape === undefined) {
      this.shape = shape;
      this.firstShapeRow = index;
    } else if (shape !== this.shape) {
      return [
        {
          message: `this row is ${shape} where row ${this.firstShapeRow + 1} is ${this.shape}; one shape per data file`,
        },
      ];
    }
    const split = splitProblem(shape, row);
    if (split) return [{ message: split }];
    if (shape === "text" && needsSeparator(row.prompt as string, row.chosen as string, row.rejected as string))
      this.joins++;
    if (
      shape === "unpaired-text" &&
      needsSeparator(row.prompt as string, row.completion as string, row.completion as string)
    )
      this.joins++;
    return [];
  }

  private valueProblem(name: string, value: unknown): string | undefined {
    if (value === undefined || value === null) return "no value (null, or the key is missing); every row needs one";
    const kind = kindOf(value);
    if (kind === "other") return `${describeValue(value)}; expected text or a list of chat messages ({role, content})`;
    const seen = this.kinds.get(name);
    if (seen === undefined) this.kinds.set(name, kind);
    else if (seen !== kind)
      return `${kind === "text" ? "text" : "chat messages"}, where the first row has ${seen === "text" ? "text" : "chat messages"}; a column holds one kind of value`;
    if (kind === "text") return textProblem(value as string);
    return messagesProblem(value as unknown[]);
  }
}

/** Pairs without a prompt column must share one (the runtime's formats.split_*): the rows where they do not. */
function splitProblem(shape: Shape, row: Record<string, unknown>): string | undefined {
  if (shape === "implicit-text") {
    const [a, b] = [row.chosen as string, row.rejected as string];
    const n = commonLength(a, b);
    const atWord = /\S\s/.test(a.slice(0, n)) || /\s/.test(a[n] ?? "");
    return n > 0 && atWord ? undefined : "chosen and rejected share no beginning (up to a word) to use as the prompt";
  }
  if (shape === "hh-text") {
    const chosen = row.chosen as string;
    const prompt = chosen.slice(0, chosen.lastIndexOf("\n\nAssistant:"));
    return (row.rejected as string).startsWith(prompt)
      ? undefined
      : "chosen and rejected do not share the dialogue before the last 'Assistant:' turn";
  }
  if (shape === "implicit-messages") {
    const [a, b] = [row.chosen as Array<{ role?: unknown }>, row.rejected as Array<{ role?: unknown }>];
    return a.length > 1 && b.length > 1 && deepEqual(a[0], b[0]) && a[0]!.role !== "assistant"
      ? undefined
      : "chosen and rejected share no first turns to use as the prompt";
  }
  return undefined;
}

type Message = { role?: unknown; content?: unknown };

function commonLength(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** The runtime's rule (formats.join): a prompt not ending in whitespace, answers not both starting with it. */
function needsSeparator(prompt: string, chosen: string, rejected: string): boolean {
  return prompt.length > 0 && !/\s$/.test(prompt) && !(/^\s/.test(chosen) && /^\s/.test(rejected));
}

/** SFT data with answers but no rejected ones: whole texts or conversations. */
function chosenOnlyShape(chosen: unknown): Shape {
  return kindOf(chosen) === "messages" ? "sft-messages" : "sft-text";
}

function textProblem(text: string): string | undefined {
  // UTF-16 length x 3 bounds the UTF-8 size from above; measure exactly only when it might be over.
  if (text.length * 3 > MAX_VALUE_BYTES) {
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > MAX_VALUE_BYTES)
      return `a value of ${(bytes / 1e6).toFixed(1)} MB; at most ${MAX_VALUE_BYTES >> 20} MiB fits (about a million tokens, far beyond any max_length): is this the right file?`;
  }
  return text.trim() ? undefined : "empty text";
}

function messagesProblem(messages: unknown[]): string | undefined {
  if (!messages.length) return "an empty list of messages";
  for (const [i, m] of messages.entries()) {
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== "string" || !ROLES.includes(role))
      return `message ${i + 1}: role ${JSON.stringify(role) ?? "missing"}; expected one of ${ROLES.join(", ")}`;
    if (typeof content !== "string") return `message ${i + 1}: content must be text`;
    const problem = textProblem(content);
    if (problem && problem !== "empty text") return `message ${i + 1}: ${problem}`;
  }
  return undefined;
}

function labelProblem(value: unknown): string | undefined {
  return typeof value === "boolean"
    ? undefined
    : `${describeValue(value)}; a label must be true (a desirable answer) or false (an undesirable one)`;
}

function scoreProblem(value: unknown): string | undefined {
  return typeof value === "number" && Number.isFinite(value)
    ? undefined
    : `${describeValue(value)}; a score must be a number`;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "no value";
  if (Array.isArray(value)) return "a list that is not chat messages";
  if (typeof value === "object") return "an object";
  return `${typeof value === "number" ? "a number" : typeof value === "boolean" ? "a boolean" : typeof value} (${JSON.stringify(value)})`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    // Answers differ in their last message nearly always: look there first, cheaply.
    for (let i = a.length - 1; i >= 0; i--) {
      const [x, y] = [a[i] as Message | null, b[i] as Message | null];
      if (x?.role !== y?.role || x?.content !== y?.content) return false;
    }
  }
  return JSON.stringify(a) === JSON.stringify(b);
}
