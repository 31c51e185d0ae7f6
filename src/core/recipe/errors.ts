/** Recipe problems point at `file:line:col` and the field path, one line each. */

import { TrellisError } from "../errors.js";
export type FieldPath = ReadonlyArray<string | number>;

/** One problem `trellis check` finds in a recipe (the checks in check.ts, model-checks.ts, ...). */
export interface Finding {
  path: FieldPath;
  /** Set when the problem is an unknown key under `path`: the location is the key's. */
  key?: string;
  message: string;
}

export interface RecipeProblem {
  file: string;
  line?: number;
  col?: number;
  path: FieldPath;
  message: string;
}

/** `stages[1].args.learning_rate` */
function formatPath(path: FieldPath): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

export function formatProblem(p: RecipeProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.col ?? 1}` : p.file;
  const field = p.path.length ? `${formatPath(p.path)}: ` : "";
  return `${where}: ${field}${p.message}`;
}

/** Thrown for any invalid recipe: exit code 2, before any Python process starts. */
export class RecipeError extends TrellisError {
  override readonly exitCode = 2;
  override readonly located = true;
  constructor(readonly problems: RecipeProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "RecipeError";
  }
}
