/**
 * Text -> validated Recipe, or a RecipeError listing every problem at `file:line:col`.
 * Pure: the caller reads the file. Hostile input (alias bombs, deep nesting, binary junk, huge
 * files) fails here with a located message, never with a stack overflow.
 */
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { RecipeError, type FieldPath, type RecipeProblem } from "./errors.js";
import { knownKeysAt } from "./known-keys.js";
import { SourceMap } from "./locate.js";
import { Recipe } from "./schema.js";
import { didYouMean } from "./suggest.js";
import { checkRawArgs, checkRecipe, type CheckOptions } from "./check.js";

/** Recipes are hand-written: a megabyte is far beyond any real one. */
export const MAX_RECIPE_BYTES = 1 << 20;
/** Real recipes reuse an anchor a few times; thousands of expansions is an alias bomb. */
const MAX_ALIAS_COUNT = 100;

export interface ParsedRecipe {
  recipe: Recipe;
  /** The YAML mapping as written (before defaults), for reports and re-export. */
  raw: unknown;
  sourceMap: SourceMap;
}

export function parseRecipe(text: string, file: string, options: CheckOptions): ParsedRecipe {
  const fail = (message: string, line?: number, col?: number): never => {
    throw new RecipeError([{ file, line, col, path: [], message }]);
  };
  if (Buffer.byteLength(text, "utf8") > MAX_RECIPE_BYTES)
    fail(`the recipe is larger than ${MAX_RECIPE_BYTES} bytes; is this the right file?`);
  const nul = text.indexOf("\u0000");
  if (nul >= 0 || text.includes("\uFFFD"))
    fail("the recipe is not UTF-8 text (binary bytes found); is this the right file?");

  const lines = new LineCounter();
  let raw: unknown;
  let sourceMap: SourceMap;
  try {
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first) {
      const pos = lines.linePos(first.pos[0]);
      fail(`invalid YAML: ${first.message.split("\n")[0]}`, pos.line, pos.col);
    }
    sourceMap = new SourceMap(doc, lines);
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof RecipeError) throw err;
    // yaml reports too many aliases as a ReferenceError and deep nesting as a RangeError.
    const reason =
      err instanceof RangeError ? "the YAML is nested too deeply" : `invalid YAML: ${(err as Error).message}`;
    return fail(reason);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail("a recipe is a YAML mapping with name, model, data and stages");
  }

  const parsed = Recipe.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => describeIssue(issue, file, sourceMap));
    // Report mistakes in TRL args in the same pass, as far as the stages can be read.
    const args = checkRawArgs(raw, options).map((p) => locate(p.path, p.message, file, sourceMap, p.key));
    throw new RecipeError(byLine([...problems, ...args]));
  }
  const problems = checkRecipe(parsed.data, options).map((p) => locate(p.path, p.message, file, sourceMap, p.key));
  if (problems.length) throw new RecipeError(byLine(problems));
  return { recipe: parsed.data, raw, sourceMap };
}

const byLine = (problems: RecipeProblem[]) =>
  [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));

/** A finding's path -> file:line:col in the recipe text. */
export function locate(path: FieldPath, message: string, file: string, map: SourceMap, key?: string): RecipeProblem {
  const pos = key !== undefined ? map.key(path, key) : map.value(path);
  return { file, line: pos?.line, col: pos?.col, path: key !== undefined ? [...path, key] : path, message };
}

function describeIssue(issue: z.core.$ZodIssue, file: string, map: SourceMap): RecipeProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => locate(path, `unknown key${didYouMean(key, knownKeysAt(path))}`, file, map, key));
    case "invalid_type": {
      const missing = issue.input === undefined;
      return [
        locate(
          path,
          missing
            ? `is required (${expectedWords(issue.expected)})`
            : `must be ${expectedWords(issue.expected)} (got ${show(issue.input)})`,
          file,
          map,
        ),
      ];
    }
    case "invalid_value":
      return [
        locate(
          path,
          `must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")} (got ${show(issue.input)})`,
          file,
          map,
        ),
      ];
    default:
      return [locate(path, issue.message, file, map)];
  }
}

function expectedWords(expected: string): string {
  const words: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "an integer",
    boolean: "true or false",
    array: "a list",
    object: "a mapping",
    record: "a mapping",
  };
  return words[expected] ?? expected;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
