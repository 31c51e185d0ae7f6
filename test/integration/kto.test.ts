/**
 * KTO, run for real: TRL's KTOTrainer on the CPU with the tiny local model, through the real CLI
 * and the managed environment. From the bundled colour pairs (unpaired by trellis, one desirable
 * and one undesirable example each) and from unpaired thumbs-up/down data (prompt, completion,
 * label; 320 desirable, 213 undesirable: trellis sets the class weights). Both runs go at once,
 * to keep the suite's wall time down; each ends above the starting model's held-out accuracy.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { eventsOf, onlyRun, readEvents, RECIPES, RUN_TIMEOUT_MS, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("kto");

async function run(recipe: string) {
  const runs = path.join(ws.dir, `runs-${recipe}`);
  const result = await trellis(["run", path.join(RECIPES, recipe), "--runs-dir", runs, "--json"], {
    cwd: ws.dir,
    env: ws.env,
  });
  assert.equal(result.exitCode, 0, `${recipe} failed:\n${result.stderr}`);
  return { events: readEvents(path.join(onlyRun(runs), "events.jsonl")), result };
}

describe("KTO on the CPU", { timeout: RUN_TIMEOUT_MS }, () => {
  let paired: Awaited<ReturnType<typeof run>>;
  let unpaired: Awaited<ReturnType<typeof run>>;
  before(async () => {
    const setup = await trellis(["env", "setup"], { cwd: ws.dir, env: ws.env });
    assert.equal(setup.exitCode, 0, setup.stderr);
    [paired, unpaired] = await Promise.all([run("quickstart-kto.yaml"), run("quickstart-kto-unpaired.yaml")]);
  });

  const notices = (events: typeof paired.events, code: string) =>
    eventsOf(events, "notice").filter((n) => n.code === code);

  it("from pairs: unpairs them (reported), trains, and beats the starting model's held-out accuracy", () => {
    assert.match(notices(paired.events, "kto-unpaired")[0]?.message ?? "", /320 preference pairs: unpaired into 640/);
    assert.match(notices(paired.events, "kto-weights")[0]?.message ?? "", /320 desirable and 320 undesirable/);
    const [end] = eventsOf(paired.events, "run_end");
    assert.equal(end?.status, "finished");
    const { before: start, after } = end.preference!;
    assert.ok(after! > start! + 0.1, `held-out preference accuracy ${start} -> ${after}`);
  });

  it("from unpaired, imbalanced data: sets the class weights TRL recommends, trains, and beats the start", () => {
    assert.equal(notices(unpaired.events, "kto-unpaired").length, 0);
    assert.match(
      notices(unpaired.events, "kto-weights")[0]?.message ?? "",
      /320 desirable and 213 undesirable examples: set desirable_weight 1, undesirable_weight 1\.5 \(ratio 1\.00/,
    );
    const [end] = eventsOf(unpaired.events, "run_end");
    assert.equal(end?.status, "finished");
    const { before: start, after } = end.preference!;
    assert.ok(after! > start! + 0.1, `held-out preference accuracy ${start} -> ${after}`);
  });

  it("check reports the unpairing and the class balance, and locates a bad label", async () => {
    const paired = await trellis(["check", path.join(RECIPES, "quickstart-kto.yaml")], { cwd: ws.dir, env: ws.env });
    assert.equal(paired.exitCode, 0, paired.stderr);
    assert.match(
      paired.stdout,
      /colors-train\.jsonl: 320 rows, text .*KTO: unpaired into 320 desirable and 320 undesirable/,
    );
    const unpaired = await trellis(["check", path.join(RECIPES, "quickstart-kto-unpaired.yaml")], {
      cwd: ws.dir,
      env: ws.env,
    });
    assert.match(
      unpaired.stdout,
      /533 rows, unpaired-text .*KTO: 320 desirable and 213 undesirable examples: imbalanced, so trellis sets desirable_weight 1, undesirable_weight 1\.5/,
    );
    const bad = path.join(ws.dir, "bad-label.jsonl");
    writeFileSync(
      bad,
      [
        '{"prompt": "Q1?", "completion": " yes.", "label": true}',
        '{"prompt": "Q2?", "completion": " no.", "label": 1}',
      ].join("\n"),
    );
    const recipe = path.join(ws.dir, "bad-label.yaml");
    writeFileSync(
      recipe,
      "name: bad-label\nmodel: {tiny: {hidden_size: 64, num_layers: 2, num_heads: 4, vocab_size: 320}}\ndata: {train: bad-label.jsonl}\nstages:\n  - {id: kto, trainer: kto}\n",
    );
    const check = await trellis(["check", recipe], { cwd: ws.dir, env: ws.env });
    assert.equal(check.exitCode, 2);
    assert.match(
      check.stderr,
      /bad-label\.jsonl:2:41: a number \(1\); a label must be true \(a desirable answer\) or false/,
    );
  });

  it("logs KTO's metrics: the KL term and the desirable and undesirable rewards", () => {
    for (const { events } of [paired, unpaired]) {
      const metrics = eventsOf(events, "metrics", "kto");
      assert.ok(metrics.length > 0);
      for (const key of ["loss", "kl", "rewards/chosen", "rewards/rejected", "logps/chosen"])
        assert.ok(
          metrics.some((m) => typeof m.metrics[key] === "number"),
          key,
        );
      // MFU's FLOPs: policy forward and backward (6N), reference forward (2N), and the KL
      // sequences' forward passes by the policy and by the reference (2N each).
      const flops = eventsOf(events, "train_begin")[0]?.flops;
      assert.equal(flops?.reference_forward, true);
      assert.equal(flops?.flops_per_token, 12 * flops.params);
    }
  });
});
