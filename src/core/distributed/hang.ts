/** A stalled collective, told from the ranks' heartbeats (each rank's last finished step). */

export interface Heartbeat {
  rank: number;
  step: number;
  /** Seconds since the epoch. */
  time: number;
  host?: string;
  /** torchrun's folder of the rank's stdout.log and stderr.log. */
  log_dir?: string | null;
}

/** A stalled collective: no rank finished a step for `hangSeconds`; the ranks, those behind first. */
export function hangOf(beats: Heartbeat[], worldSize: number, hangSeconds: number, nowSeconds: number): string | null {
  if (!beats.length) return null;
  const newest = Math.max(...beats.map((b) => b.time));
  if (nowSeconds - newest < hangSeconds) return null;
  const missing = Array.from({ length: worldSize }, (_, r) => r).filter((r) => !beats.some((b) => b.rank === r));
  const behind = Math.min(...beats.map((b) => b.step));
  const parts = beats.map(
    (b) => `rank ${b.rank}${b.host ? ` (${b.host})` : ""} at step ${b.step}, ${Math.round(nowSeconds - b.time)} s ago`,
  );
  const suspects = missing.length ? missing : beats.filter((b) => b.step === behind).map((b) => b.rank);
  return `no rank finished a step for ${Math.round(nowSeconds - newest)} s (limit ${hangSeconds} s): ${parts.join("; ")}${missing.length ? `; rank ${missing.join(", ")} never reported` : ""}. Stalled: rank ${suspects.join(", ")}`;
}
