/** A value as a user wrote it, for a message: strings as they are, anything else as JSON. */
export function shown(v: unknown): string {
  return typeof v === "string" ? v : (JSON.stringify(v) ?? "undefined");
}
