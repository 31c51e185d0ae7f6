/**
 * runs/<compare-id>/: compare.json (what a comparison is made of, and which run each arm
 * became), report.md, result.json, curves.json and plot.png. The record is replaced atomically,
 * so a crash never leaves half of one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

export const CompareRecord = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  /** The command line's files (a comparison file, or the recipes). */
  files: z.array(z.string()),
  arms: z.array(
    z.object({ name: z.string(), file: z.string(), recipeSha256: z.string(), runId: z.string().nullable() }),
  ),
  /** What the reward and benchmark scores were made with (src/app/compare-scores.ts ScoreRecord). */
  evaluation: z.unknown().optional(),
});
export type CompareRecord = z.infer<typeof CompareRecord>;

export const compareFiles = (dir: string) => ({
  record: path.join(dir, "compare.json"),
  report: path.join(dir, "report.md"),
  result: path.join(dir, "result.json"),
  curves: path.join(dir, "curves.json"),
  plot: path.join(dir, "plot.png"),
  log: path.join(dir, "compare.log"),
});

export function createCompareDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

export function writeRecord(dir: string, record: CompareRecord): void {
  const file = compareFiles(dir).record;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function readRecord(dir: string): CompareRecord | undefined {
  const file = compareFiles(dir).record;
  return existsSync(file) ? CompareRecord.parse(JSON.parse(readFileSync(file, "utf8"))) : undefined;
}

/** The folders of `runsDir` that hold a comparison. */
export function listComparisons(runsDir: string): string[] {
  return existsSync(runsDir)
    ? readdirSync(runsDir)
        .filter((d) => existsSync(compareFiles(path.join(runsDir, d)).record))
        .sort()
    : [];
}

export function writeText(file: string, text: string): void {
  writeFileSync(file, text);
}

export function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, "utf8"));
}

export function readText(file: string): string {
  return readFileSync(file, "utf8");
}
