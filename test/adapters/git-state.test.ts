/** The git state the manifest records, read by running git in real repositories. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { execa } from "execa";
import { gitState } from "../../src/adapters/git-state.js";

const git = (dir: string, ...args: string[]) =>
  execa("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args]);
const temp = () => mkdtempSync(path.join(tmpdir(), "trellis-git-"));

describe("gitState", () => {
  it("is null outside a repository", async () => {
    assert.equal(await gitState(temp()), null);
  });

  it("names the commit, and dirty once a file is not committed", async () => {
    const repo = temp();
    await git(repo, "init", "-q");
    const empty = await gitState(repo);
    assert.equal(empty?.commit, "(no commits)");
    writeFileSync(path.join(repo, "recipe.yaml"), "name: x\n");
    await git(repo, "add", ".");
    await git(repo, "commit", "-qm", "x");
    const head = String((await git(repo, "rev-parse", "HEAD")).stdout).trim();
    assert.deepEqual(await gitState(repo), { repo: empty?.repo, commit: head, dirty: false });
    writeFileSync(path.join(repo, "notes.txt"), "uncommitted\n");
    assert.equal((await gitState(repo))?.dirty, true);
  });
});
