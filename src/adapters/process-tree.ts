/**
 * Signals a process and everything it started. torchrun starts each worker in a session of its
 * own, so signalling the launcher's process group misses them: the workers' groups are found
 * through /proc (Linux) and signalled too. A SIGKILL of the launcher alone would orphan them.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Parent pid and process group of a process, from /proc/<pid>/stat. */
function statOf(pid: number): { ppid: number; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: the fields after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Every descendant of `root` (children, their children...), as seen in /proc now. */
function descendants(root: number): number[] {
  let pids: number[];
  try {
    pids = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .map(Number);
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const pid of pids) {
    const s = statOf(pid);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    for (const c of children.get(todo.pop()!) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/** Signals the group led by `leader` and the groups of all its descendants. */
export function signalTree(leader: number | undefined, signal: NodeJS.Signals): void {
  if (leader === undefined) return;
  const groups = new Set<number>([leader]);
  for (const pid of descendants(leader)) groups.add(statOf(pid)?.pgrp ?? pid);
  for (const group of groups) {
    try {
      process.kill(-group, signal);
    } catch {
      // already gone
    }
  }
}
