/**
 * `trellis ls` and `trellis logs` as a user runs them, on recorded runs placed in a runs folder:
 * ls names the failing stage and its reason, the steps of the stage that ran last, the duration
 * and the final preference accuracy; logs filters by type, stage and time, shows each metric
 * once, and ends quietly when the reader closes the pipe early (`| head -1`, a real pipe).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { execa } from "execa";
import { BIN, ROOT, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("ls-logs");
const runs = path.join(ws.dir, "runs");
const STREAMS = path.join(ROOT, "test", "fixtures", "streams");

/** A run folder holding a recorded stream as its events.jsonl. */
function place(fixture: string, transform: (text: string) => string = (t) => t): string {
  const text = transform(readFileSync(path.join(STREAMS, fixture), "utf8"));
  const id = (JSON.parse(text.split("\n")[0]!) as { run_id: string }).run_id;
  mkdirSync(path.join(runs, id), { recursive: true });
  writeFileSync(path.join(runs, id, "events.jsonl"), text);
  return id;
}

/** The failed two-stage run of the issue: SFT finished, DPO failed at step 4 of 160. */
function failedSftDpo(text: string): string {
  const lines = text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const cut = lines.findIndex((e) => e.type === "metrics" && e.stage === "dpo" && e.step === 4);
  const t = lines[cut]!.time as number;
  const reason = "stage 'dpo' failed: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB";
  const out = [
    ...lines
      .slice(0, cut + 1)
      .map((e) => (typeof e.run_id === "string" ? { ...e, run_id: "20261201-100000-quickstart-sft-dpo-fail" } : e)),
    {
      type: "stage_end",
      time: t + 1,
      stage: "dpo",
      status: "failed",
      exit_code: 1,
      signal: null,
      reason: `${reason}\n(more on a second line)`,
    },
    { type: "run_end", time: t + 2, status: "failed", reason, preference: { before: 0.575, after: 0.79 } },
  ];
  return out.map((e, i) => JSON.stringify({ ...e, seq: i + 1 })).join("\n") + "\n";
}

const finished = place("sft-dpo-phases.jsonl");
const failed = place("sft-dpo-phases.jsonl", failedSftDpo);
const stopped = place("stopped.jsonl");

describe("trellis ls", () => {
  it("status with the failing stage and a one-line reason, steps of the last stage, duration, accuracy", async () => {
    const ls = await trellis(["ls", "--runs-dir", runs], { cwd: ws.dir, env: ws.env });
    assert.equal(ls.exitCode, 0, ls.stderr);
    const [head, ...rows] = ls.stdout.trim().split("\n");
    assert.match(head!, /^RUN +STATUS +TRAINER +STEPS +TIME +PREF +STARTED +REASON$/);
    const row = (id: string) => rows.find((r) => r.startsWith(id))!;
    assert.match(row(finished), /finished +sft\+dpo +dpo 160\/160 +1:4\d +0\.95 +2026-/);
    assert.match(
      row(failed),
      /failed in dpo +sft\+dpo +dpo 4\/160 +\d:\d\d +0\.79 +2026-\S+ \S+ +stage 'dpo' failed: torch\.OutOfMemoryError: CUDA out of memory/,
    );
    assert.doesNotMatch(ls.stdout, /more on a second line/);
    assert.match(row(stopped), /stopped in orpo +orpo +100\/240 +\d:\d\d +0\.57 +2026-\S+ \S+ +stopped on request/);
    const json = JSON.parse(
      (await trellis(["ls", "--runs-dir", runs, "--json"], { cwd: ws.dir, env: ws.env })).stdout,
    ) as Array<Record<string, unknown>>;
    assert.deepEqual(
      json
        .filter((r) => r.id === failed)
        .map((r) => [r.status, r.failedStage, r.stage, r.step, r.maxSteps, r.preference]),
      [["failed", "dpo", "dpo", 4, 160, 0.7875]],
    );
  });
});

describe("trellis logs", () => {
  const lines = async (...args: string[]) =>
    (await trellis(["logs", finished, "--runs-dir", runs, ...args], { cwd: ws.dir, env: ws.env })).stdout
      .trim()
      .split("\n");

  it("shows each metric once: TRL's printed dicts are left out", async () => {
    const all = await lines();
    assert.ok(all.some((l) => / metrics step=1 /.test(l)));
    assert.equal(all.filter((l) => /\{'loss'/.test(l)).length, 0);
    const recorded = readFileSync(path.join(runs, finished, "events.jsonl"), "utf8");
    assert.ok(recorded.includes("{'loss'"), "the recording does have them");
  });

  it("--type, --stage and --since filter", async () => {
    const types = await lines("--type", "phase,run_end");
    assert.ok(types.length > 10 && types.every((l) => / (phase|run_end) /.test(l)), types.join("\n"));
    const dpo = await lines("--stage", "dpo", "--type", "phase");
    assert.deepEqual(
      dpo.map((l) => /phase=(\w+)/.exec(l)?.[1]),
      ["environment", "data", "model", "preference_eval", "training", "saving", "preference_eval"],
    );
    assert.deepEqual(await lines("--since", "1m"), [""], "nothing of this recording is from the last minute");
    assert.ok((await lines("--since", "2026-01-01T00:00:00Z")).length > 100);
    const bad = await trellis(["logs", finished, "--runs-dir", runs, "--since", "yesterday"], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /--since takes a duration/);
  });

  it("ends quietly, exit 0, when the reader closes the pipe early (| head -1)", async () => {
    // Enough events that the writer is still writing when head has gone: 64 KiB and more.
    const big = place("sft-dpo-phases.jsonl", (t) => {
      const rows = t.trim().split("\n");
      const many = Array.from({ length: 40 }, () => rows.slice(1)).flat();
      return (
        [rows[0]!, ...many]
          .map((l, i) =>
            JSON.stringify({
              ...(JSON.parse(l) as object),
              seq: i + 1,
              ...(i === 0 ? { run_id: "20261201-110000-big" } : {}),
            }),
          )
          .join("\n") + "\n"
      );
    });
    const status = await execa(
      "bash",
      ["-c", `set -o pipefail; node ${BIN} logs ${big} --runs-dir ${runs} | head -1`],
      { env: ws.env, reject: false },
    );
    assert.equal(status.exitCode, 0, String(status.stderr));
    assert.equal(String(status.stdout).split("\n").length, 1);
    assert.equal(String(status.stderr), "");
  });
});
