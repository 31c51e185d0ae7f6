/** The git commit and dirty state of the repository holding a folder, for the manifest. */
import { execa } from "execa";
import { lowerPriority } from "./low-priority.js";

interface GitState {
  repo: string;
  commit: string;
  dirty: boolean;
}

/** Null when `dir` is in no repository (or git is not installed). */
export async function gitState(dir: string): Promise<GitState | null> {
  const git = (...args: string[]) => {
    const child = execa("git", ["-C", dir, ...args], { reject: false });
    lowerPriority(child.pid); // recorded while the first stage starts: it must not slow it
    return child;
  };
  const top = await git("rev-parse", "--show-toplevel");
  if (top.exitCode !== 0) return null;
  const commit = await git("rev-parse", "HEAD");
  const status = await git("status", "--porcelain");
  return {
    repo: String(top.stdout).trim(),
    commit: commit.exitCode === 0 ? String(commit.stdout).trim() : "(no commits)",
    dirty: String(status.stdout).trim().length > 0,
  };
}
