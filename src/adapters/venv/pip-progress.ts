// Pure: turns pip's output lines into progress reports. No I/O, so it is tested on recorded lines.

export type InstallPhase = "create" | "install" | "done";

/** Where an environment build stands: `done` of `total` packages, the one being fetched, and a guess at the rest. */
export interface InstallProgress {
  phase: InstallPhase;
  done: number;
  total: number;
  current?: string;
  etaSeconds?: number;
}

/** What `current` shows once pip has every package and is writing them into the venv. */
export const LINKING = "writing files";

const COLLECTING = /^Collecting\s+([A-Za-z0-9][A-Za-z0-9._-]*)/;
const PROCESSING = /^Processing\s+(\S+)/;
const ALREADY = /^Requirement already satisfied:\s+([A-Za-z0-9][A-Za-z0-9._-]*)/;
const INSTALLING = /^Installing collected packages/;

/**
 * Returns a function that takes each line of pip's output and answers a new progress report when the
 * line moves things forward (`Collecting x`, `Processing x.whl`, `Installing collected packages`).
 */
export function createPipProgress(
  total: number,
  startedAtMs: number,
): (line: string, nowMs: number) => InstallProgress | undefined {
  let done = 0;
  return (line, nowMs) => {
    const text = line.trim();
    if (INSTALLING.test(text)) {
      done = total;
      return { phase: "install", done, total, current: LINKING };
    }
    const name = packageOf(text);
    if (name === undefined) return undefined;
    done = Math.min(done + 1, total);
    const report: InstallProgress = { phase: "install", done, total, current: name };
    const eta = estimateSeconds(done, total, nowMs - startedAtMs);
    if (eta !== undefined) report.etaSeconds = eta;
    return report;
  };
}

function packageOf(text: string): string | undefined {
  const named = COLLECTING.exec(text) ?? ALREADY.exec(text);
  if (named?.[1]) return named[1];
  const file = PROCESSING.exec(text)?.[1];
  if (file === undefined) return undefined;
  // Wheel and sdist names start with the project name, then `-<version>`.
  const base = file.split(/[\\/]/).at(-1) ?? file;
  return /^(.+?)-\d/.exec(base)?.[1] ?? base;
}

/** Remaining time at the average rate so far; undefined until there is a rate to speak of. */
function estimateSeconds(done: number, total: number, elapsedMs: number): number | undefined {
  if (done <= 0 || elapsedMs <= 0) return undefined;
  return Math.round(((total - done) * elapsedMs) / done / 1000);
}
