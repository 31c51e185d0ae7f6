/**
 * Which events `trellis logs` prints: by type (`--type metrics,eval`), by stage, since a time
 * (`--since 10m`, `2h`, `90s`, or an ISO date), and never TRL's printed metric dicts, which repeat
 * what the metrics events say (each metric is shown once).
 */
import type { RunEvent } from "../events/protocol.js";
import { isMetricsEcho } from "./echo.js";
import { TrellisError } from "../errors.js";

interface LogFilterOptions {
  /** Each entry may list several, comma-separated. */
  types?: readonly string[];
  stages?: readonly string[];
  since?: string;
}

export class LogFilterError extends TrellisError {
  override readonly exitCode = 2;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `since` as Unix seconds: a duration back from `now`, or a date. */
export function sinceTime(since: string, now: number): number {
  const ago = /^(\d+(?:\.\d+)?)([smhd])$/.exec(since.trim());
  if (ago) return now - Number(ago[1]) * UNITS[ago[2]!]!;
  const date = Date.parse(since);
  if (Number.isNaN(date))
    throw new LogFilterError(
      `--since takes a duration (90s, 10m, 2h, 1d) or a date (2026-11-27T17:34:00Z), not '${since}'`,
    );
  return date / 1000;
}

export function logFilter(o: LogFilterOptions, now: number): (e: RunEvent) => boolean {
  const list = (v: readonly string[] | undefined) =>
    v?.length
      ? new Set(
          v
            .flatMap((x) => x.split(","))
            .map((x) => x.trim())
            .filter(Boolean),
        )
      : null;
  const types = list(o.types);
  const stages = list(o.stages);
  const from = o.since !== undefined ? sinceTime(o.since, now) : null;
  return (e) => {
    if (types && !types.has(e.type)) return false;
    if (stages && !(e.stage && stages.has(e.stage))) return false;
    if (from !== null && e.time < from) return false;
    return !(e.type === "output" && isMetricsEcho(e.line));
  };
}
