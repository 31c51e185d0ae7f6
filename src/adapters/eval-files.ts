/** The files `trellis eval` reads and writes (prompts, judge prompt, spec, verdicts, report). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const fileExists = (file: string) => existsSync(file);

export const readTextFile = (file: string) => readFileSync(file, "utf8");

/** Writes `text`, creating the folder first. */
export function writeTextFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}
