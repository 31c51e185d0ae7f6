/**
 * runs/<compare-id>/compare.json: what a comparison is made of (each arm's recipe file and the
 * exact text it runs) and which run each arm became, written as soon as an arm's run exists, so
 * `trellis compare --resume <id>` goes on arm by arm after an interruption.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

export const CompareRecord = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  /** The command line's files (a comparison file, or the recipes). */
  files: z.array(z.string()),
  arms: z.array(z.object({ name: z.string(), file: z.string(), recipeSha256: z.string(), runId: z.string().nullable() })),
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

export function writeRecord(dir: string, record: CompareRecord): void {
  const file = compareFiles(dir).record;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file); // a crash never leaves half a record
}

export function readRecord(dir: string): CompareRecord | undefined {
  const file = compareFiles(dir).record;
  return existsSync(file) ? CompareRecord.parse(JSON.parse(readFileSync(file, "utf8"))) : undefined;
}
