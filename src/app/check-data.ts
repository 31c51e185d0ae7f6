/**
 * Every row of every local data file, checked before any Python starts: the columns its stage
 * needs (data.columns applied), a usable value in each, and one shape per file. Problems are
 * reported with file:line:col, up to MAX_PROBLEMS a file; the rest are counted.
 *
 * A file that passed is not read again while it, the way it is read and this code are unchanged
 * (src/adapters/stamp-cache.ts): checking a gigabyte of pairs takes tens of seconds, and
 * every run would otherwise spend them before its first step.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ColumnMap, RowChecker, columnUseOf } from "../core/data/rows.js";
import { convertRow } from "../core/data/convert.js";
import { ktoNote } from "../core/data/kto.js";
import { shapeNote, SHAPES, type Shape } from "../core/data/shape.js";
import { missingColumns } from "../core/recipe/columns.js";
import { localDataFiles, type ResolvedRecipe, type ResolvedStage } from "../core/recipe/resolve.js";
import { DataFileError, readRows } from "../adapters/data-files.js";
import { stampedCache, stampsOf } from "../adapters/stamp-cache.js";
import { cacheRoot } from "../adapters/venv/paths.js";

/** Enough to see the pattern of what is wrong; the rest is counted. */
const MAX_PROBLEMS = 20;

export interface DataFileReport {
  file: string;
  role: "train" | "eval";
  stages: string[];
  rows: number;
  shape: Shape | null;
  /** What trellis will do with data of this shape. */
  note: string | null;
  problems: string[];
  /** Problems found beyond those listed. */
  more: number;
}

export async function checkDataFiles(
  resolved: ResolvedRecipe,
  shown: (file: string) => string,
): Promise<DataFileReport[]> {
  const reports = new Map<string, DataFileReport>();
  for (const { file, format, stage, role } of localDataFiles(resolved)) {
    // The same file read the same way by two stages is checked once.
    const reading = stage.stage.trainer === "sft" || stage.stage.trainer === "kto" ? stage.stage.trainer : "pairs";
    const key = `${file}\0${reading}\0${JSON.stringify(stage.data)}`;
    const known = reports.get(key);
    if (known) {
      known.stages.push(stage.stage.id);
      continue;
    }
    reports.set(key, await checkFileOnce(file, format, stage, role, shown));
  }
  const all = [...reports.values()];
  const problems = all.flatMap((r) => [
    ...r.problems,
    ...(r.more ? [`${shown(r.file)}: ${r.more} more problems not shown`] : []),
  ]);
  if (problems.length) throw new DataFileError(problems.join("\n"), all);
  return all;
}

const PassedCheck = z.object({
  rows: z.number(),
  shape: z.enum(Object.keys(SHAPES) as [Shape, ...Shape[]]).nullable(),
  note: z.string().nullable(),
});
/** This module, as built: a new build of the checker is a new cache. */
const CHECKER_FILE = fileURLToPath(import.meta.url);

/** checkFile, or what it found the last time, when that was a pass and nothing has changed since. */
async function checkFileOnce(
  file: string,
  format: Parameters<typeof readRows>[1],
  stage: ResolvedStage,
  role: "train" | "eval",
  shown: (file: string) => string,
): Promise<DataFileReport> {
  const real = path.resolve(file);
  const cache = stampedCache(path.join(cacheRoot(), "data-checks"), PassedCheck);
  const key = JSON.stringify({ file: real, format, trainer: stage.stage.trainer, data: stage.data });
  const passed = await cache.get(key);
  if (passed) return { file, role, stages: [stage.stage.id], ...passed, problems: [], more: 0 };
  const stamps = await stampsOf([real, CHECKER_FILE]);
  const report = await checkFile(file, format, stage, role, shown);
  if (!report.problems.length && !report.more)
    await cache.set(key, stamps, { rows: report.rows, shape: report.shape, note: report.note });
  return report;
}

/** The row checker the first row calls for, or why the file's columns cannot serve the stage. */
function checkerFor(stage: ResolvedStage, row: Record<string, unknown>, map: ColumnMap): RowChecker | string {
  const missing = missingColumns(stage.stage.trainer, Object.keys(row), stage.data.columns);
  if (missing) return `stage '${stage.stage.id}': ${missing}`;
  const use = columnUseOf(stage.stage.trainer, Object.keys(map.standard(row)));
  if (
    stage.data.min_score_margin !== null &&
    !(use.columns.includes("score_chosen") && use.columns.includes("score_rejected"))
  )
    return `data.min_score_margin needs columns score_chosen and score_rejected (map them with data.columns); found: ${Object.keys(row).join(", ")}`;
  return new RowChecker(use, map);
}

async function checkFile(
  file: string,
  format: Parameters<typeof readRows>[1],
  stage: ResolvedStage,
  role: "train" | "eval",
  shown: (file: string) => string,
): Promise<DataFileReport> {
  const report: DataFileReport = {
    file,
    role,
    stages: [stage.stage.id],
    rows: 0,
    shape: null,
    note: null,
    problems: [],
    more: 0,
  };
  const add = (where: string, message: string) => {
    if (report.problems.length < MAX_PROBLEMS) report.problems.push(`${where.replace(file, shown(file))}: ${message}`);
    else report.more++;
  };
  const map = new ColumnMap(stage.data.columns);
  const convert = stage.data.convert;
  let checker: RowChecker | undefined;
  try {
    for await (const read of readRows(file, format)) {
      if (read.kind === "bad") {
        add(read.where, read.message);
        continue;
      }
      // A declared layout (LLaMA-Factory's sharegpt, alpaca) is converted first; its problems name the source column.
      const converted = convert ? convertRow(read.row, convert) : { row: read.row };
      if ("problem" in converted) {
        const { column, message } = converted.problem;
        add(locate(read, column), message + (column && !message.startsWith(`column`) ? ` (column '${column}')` : ""));
        continue;
      }
      const item = { ...read, row: converted.row };
      if (!checker) {
        const first = checkerFor(stage, item.row, map);
        if (typeof first === "string") {
          add(shown(file), first);
          return report;
        }
        checker = first;
      }
      for (const problem of checker.check(item.row, item.index))
        add(
          locate(convert ? { where: item.where } : item, problem.column),
          problem.message + (problem.column ? ` (column '${problem.column}')` : ""),
        );
    }
  } catch (err) {
    if (!(err instanceof DataFileError)) throw err;
    // "file:line: message" keeps its line; "file: message" is about the whole file.
    const rest = err.message.startsWith(file) ? err.message.slice(file.length) : null;
    const at = rest === null ? null : /^((?::\d+)*): /.exec(rest);
    if (at) add(shown(file) + at[1], rest!.slice(at[0].length));
    else add(shown(file), err.message.replace(file, shown(file)));
    return report;
  }
  report.rows = checker?.rows ?? 0;
  report.shape = checker?.detectedShape ?? null;
  if (report.shape) {
    report.note = shapeNote(report.shape, stage.data, checker!.joins);
    if (stage.stage.trainer === "kto")
      report.note += `; ${ktoNote(report.shape, report.rows, checker!.desirable, stage.stage.args, role)}`;
    for (const message of settingProblems(report.shape, stage)) add(shown(file), message);
  }
  return report;
}

/** Data settings that do nothing for this shape would be silently ignored: say so. */
function settingProblems(shape: Shape, stage: ResolvedStage): string[] {
  const out: string[] = [];
  const data = stage.data;
  const plain = shape === "text" || shape === "hh-text" || shape === "implicit-text" || shape === "unpaired-text";
  if (data.system_prompt && plain && !data.to_messages)
    out.push(`data.system_prompt applies to chat messages; this data is ${SHAPES[shape]}: add data.to_messages: true`);
  if (data.to_messages && !plain)
    out.push(`data.to_messages applies to plain-text pairs; this data is already ${SHAPES[shape]}`);
  return out;
}

/** file:line:col of a column in a JSON line (the column where its key starts), else the row's place. */
function locate(item: { where: string; text?: string }, column: string | undefined): string {
  if (!item.text || !column) return item.where;
  const at = item.text.indexOf(JSON.stringify(column));
  return at >= 0 ? `${item.where}:${at + 1}` : item.where;
}
