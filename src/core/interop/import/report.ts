/** Collects report rows, one per source key: a second row for the same key is a bug. */
import type { ReportRow, ReportStatus } from "./types.js";

export class Report {
  readonly rows: ReportRow[] = [];
  readonly notes: string[] = [];
  private readonly keys = new Set<string>();

  add(key: string, status: ReportStatus, to: string | undefined, note: string): void {
    if (this.keys.has(key)) throw new Error(`importer bug: '${key}' reported twice`);
    this.keys.add(key);
    this.rows.push(to === undefined ? { key, status, note } : { key, status, to, note });
  }
  mapped(key: string, to: string | undefined, note = ""): void {
    this.add(key, "mapped", to, note);
  }
  migrated(key: string, to: string | undefined, note: string): void {
    this.add(key, "migrated", to, note);
  }
  unsupported(key: string, note: string): void {
    this.add(key, "unsupported", undefined, note);
  }
  /** A key left at its default: nothing to carry over. */
  unset(key: string, note = "left at the default: nothing to carry over"): void {
    this.add(key, "mapped", undefined, note);
  }
  has(key: string): boolean {
    return this.keys.has(key);
  }
  note(text: string): void {
    this.notes.push(text);
  }
}

/** `parent.key`, `parent[3]`. */
export const keyPath = (parent: string, key: string | number) =>
  typeof key === "number" ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;
