/** The import report as a table for the terminal: one line per source key. */
import type { ReportRow } from "./types.js";

const MAX_KEY = 44;
const MAX_TO = 40;

export function formatReport(rows: ReportRow[]): string {
  const keyWidth = Math.min(MAX_KEY, Math.max(3, ...rows.map((r) => r.key.length)));
  const toWidth = Math.min(MAX_TO, Math.max(2, ...rows.map((r) => (r.to ?? "").length)));
  const line = (key: string, status: string, to: string, note: string) =>
    `  ${key.padEnd(keyWidth)}  ${status.padEnd(11)}  ${to.padEnd(toWidth)}  ${note}`.trimEnd();
  const count = (s: ReportRow["status"]) => rows.filter((r) => r.status === s).length;
  return [
    line("KEY", "STATUS", "TO", "NOTE"),
    ...rows.map((r) => line(r.key, r.status, r.to ?? "-", r.note)),
    `${rows.length} keys: ${count("mapped")} mapped, ${count("migrated")} migrated, ${count("unsupported")} unsupported`,
  ].join("\n");
}
