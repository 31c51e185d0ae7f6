/** The git commit and dirty state of the repository holding a folder, for the manifest. */
import { execa } from "execa";

export interface GitState {
  repo: string;
  commit: string;
  dirty: boolean;
}

/** Null when `dir` is in no repository (or git is not installed). */
export async function gitState(dir: string): Promise<GitState | null> {
  const top = await execa("git", ["-C", dir, "rev-parse", "--show-toplevel"], { reject: false });
  if (top.exitCode !== 0) return null;
  const commit = await execa("git", ["-C", dir, "rev-parse", "HEAD"], { reject: false });
  const status = await execa("git", ["-C", dir, "status", "--porcelain"], { reject: false });
  return {
    repo: String(top.stdout).trim(),
    commit: commit.exitCode === 0 ? String(commit.stdout).trim() : "(no commits)",
    dirty: String(status.stdout).trim().length > 0,
  };
}
