import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  advise,
  LARGE_PAIRS,
  noiseBand,
  plannedPasses,
  readMeasurement,
  SMALL_PAIRS,
  startOf,
} from "../../../src/core/compare/advice.js";
import { armResult } from "../../../src/core/compare/arm-result.js";
import { checkArms, CompareError, firstDifference, type Arm } from "../../../src/core/compare/arms.js";
import { reportMarkdown } from "../../../src/core/compare/report.js";
import type { RunEvent } from "../../../src/core/events/protocol.js";
import { parseRecipe } from "../../../src/core/recipe/parse.js";
import { parseVersion } from "../../../src/core/trl/version.js";

const TRL = { trl: parseVersion("1.13")! };

const recipe = (extra: string, stages = "stages:\n  - {id: orpo, trainer: orpo, args: {num_train_epochs: 2}}\n") =>
  parseRecipe(`name: x\nmodel: {tiny: {}}\ndata: {train: a.jsonl, eval: e.jsonl}\n${extra}${stages}`, "r.yaml", TRL)
    .recipe;
const arm = (
  name: string,
  extra = "",
  stages?: string,
  data: unknown = { train: "/d/a.jsonl", eval: "/d/e.jsonl" },
): Arm => ({ name, file: `${name}.yaml`, recipe: recipe(extra, stages), resolvedData: data });
const SFT_DPO =
  "stages:\n  - {id: sft, trainer: sft, args: {num_train_epochs: 2}}\n  - {id: dpo, trainer: dpo, from: sft, args: {num_train_epochs: 4}}\n";

describe("checkArms", () => {
  it("accepts arms that share data, seed, model and scoring", () => {
    checkArms([arm("orpo"), arm("sft-dpo", "", SFT_DPO)]);
  });
  it("takes the same model loaded in 4 bits as the same starting model (LoRA or QLoRA?), not another model", () => {
    const model = (m: string): Arm => {
      const a = arm("q");
      return { ...a, recipe: { ...a.recipe, model: { ...a.recipe.model, ...JSON.parse(m) } } };
    };
    checkArms([arm("lora"), model('{"quantization": {"bits": 4}}')]);
    assert.throws(() => checkArms([arm("lora"), model('{"dtype": "bfloat16"}')]), /differ in model/);
  });
  it("refuses two arms writing into one output_dir before anything trains", () => {
    assert.throws(
      () => checkArms([arm("a", "output_dir: out\n"), arm("b", "output_dir: ./out\n")]),
      /a.yaml and b.yaml both set output_dir .*out: each arm writes its own models/,
    );
    checkArms([arm("a", "output_dir: out-a\n"), arm("b", "output_dir: out-b\n")]);
  });
  it("names the field that differs and what each arm has", () => {
    assert.throws(
      () => checkArms([arm("orpo"), arm("sft-dpo", "", SFT_DPO, { train: "/d/b.jsonl", eval: "/d/e.jsonl" })]),
      (e: Error) => {
        assert.ok(e instanceof CompareError);
        assert.match(
          e.message,
          /the arms differ in data: orpo has data.train = \/d\/a.jsonl; sft-dpo has data.train = \/d\/b.jsonl. compare needs the same training pairs/,
        );
        return true;
      },
    );
    assert.throws(
      () => checkArms([arm("a"), arm("b", "seed: 7\n")]),
      /differ in seed: a has seed = 42; b has seed = 7/,
    );
  });
  it("refuses one arm, two arms of one name, and arms without held-out pairs", () => {
    assert.throws(() => checkArms([arm("a")]), /at least 2 arms/);
    assert.throws(() => checkArms([arm("a"), arm("a")]), /same name 'a'/);
    const noEval: Arm = {
      ...arm("b"),
      recipe: parseRecipe(
        "name: b\nmodel: {tiny: {}}\ndata: {train: a.jsonl}\nstages: [{id: o, trainer: orpo}]\n",
        "b.yaml",
        TRL,
      ).recipe,
    };
    assert.throws(() => checkArms([arm("a"), noEval]), /b.yaml: data.eval is missing/);
  });
  it("finds the first nested difference", () => {
    assert.equal(firstDifference({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 3 } }, "x"), "x.b.c = 3");
    assert.equal(firstDifference({ a: 1 }, { a: 1 }, "x"), undefined);
  });
});

describe("advice", () => {
  it("leans ORPO for a base model and a large preference set, SFT then DPO for an instruct model and few pairs", () => {
    const base = advise({ pairs: LARGE_PAIRS + 1, start: "base", arms: [] });
    assert.equal(base.lean, "orpo");
    assert.match(base.summary, /lean to ORPO/);
    const instruct = advise({ pairs: SMALL_PAIRS - 1, start: "instruct", arms: [] });
    assert.equal(instruct.lean, "sft-dpo");
    assert.equal(advise({ pairs: 10_000, start: "unknown", arms: [] }).lean, "either");
  });
  it("reads the starting checkpoint from the model's name; a tiny model is a base model", () => {
    assert.equal(startOf(recipe("")), "base");
    const named = (name: string) =>
      parseRecipe(
        `name: x\nmodel: {name: ${name}}\ndata: {train: a.jsonl}\nstages: [{id: o, trainer: orpo}]\n`,
        "r.yaml",
        TRL,
      ).recipe;
    assert.equal(startOf(named("Qwen/Qwen2.5-0.5B-Instruct")), "instruct");
    assert.equal(startOf(named("meta-llama/Llama-3.2-1B")), "base");
  });
  it("counts planned sequence passes: SFT 1 a pair, ORPO 2, DPO 2 plus its reference forward", () => {
    assert.equal(plannedPasses(recipe(""), 100), 2 * 100 * 2);
    assert.equal(plannedPasses(recipe("", SFT_DPO), 100), 2 * 100 + 4 * 100 * 2 * (8 / 6));
    assert.equal(plannedPasses(recipe(""), null), null);
    const a = advise({
      pairs: 320,
      start: "base",
      arms: [
        { name: "orpo", passes: 1280, trainers: ["orpo"] },
        { name: "sft-dpo", passes: 4053, trainers: ["sft", "dpo"] },
      ],
    });
    assert.match(a.signals[2]!.what, /planned compute orpo 1x, sft-dpo 3.17x/);
    assert.equal(a.signals[2]!.lean, "orpo");
  });
  it("reads a measurement against the noise that the number of pairs allows", () => {
    const s = (accuracy: number) => ({
      pairs: 80,
      accuracy,
      accuracy_sum: accuracy,
      margin: 0,
      margin_sum: 0,
      chosen_nll: 1,
    });
    const adv = advise({ pairs: LARGE_PAIRS, start: "base", arms: [] });
    const clear = readMeasurement(adv, s(0.5), [
      { name: "orpo", trainers: ["orpo"], final: s(0.95), device_s: 10 },
      { name: "sft-dpo", trainers: ["sft", "dpo"], final: s(0.7), device_s: 30 },
    ]);
    assert.match(clear.join(" "), /orpo scores higher by 25.0 points/);
    assert.match(clear.join(" "), /sft-dpo took 3.00x its device-seconds/);
    assert.match(clear.join(" "), /agrees with the rules of thumb/);
    const close = readMeasurement(adv, s(0.5), [
      { name: "orpo", trainers: ["orpo"], final: s(0.9), device_s: 10 },
      { name: "sft-dpo", trainers: ["sft", "dpo"], final: s(0.88), device_s: 30 },
    ]);
    assert.match(close.join(" "), /within the ~\d+.\d points that 80 pairs can resolve/);
    assert.ok(noiseBand(0.5, 80) > 0.15 && noiseBand(0.5, 80) < 0.17);
    const displaced = readMeasurement(adv, s(0.5), [
      { name: "orpo", trainers: ["orpo"], final: s(0.9), device_s: 10 },
      { name: "dpo", trainers: ["dpo"], final: { ...s(0.9), chosen_nll: 3 }, device_s: 10 },
    ]);
    assert.match(
      displaced.join(" "),
      /dpo finds the chosen answers less likely than the starting model did \(NLL 3.00 against 1.00/,
    );
    assert.doesNotMatch(displaced.join(" "), /orpo finds/);
  });
});

let seq = 0;
const ev = (e: Record<string, unknown>) => ({ seq: ++seq, time: 0, stage: null, ...e }) as unknown as RunEvent;
const usage = (device_s: number, tokens: number) => ({
  wall_s: device_s,
  cpu_s: device_s,
  device: "cpu",
  devices: 1,
  device_s,
  tokens,
});
const scores = (when: "before" | "after", accuracy: number) => ({
  type: "preference_eval",
  when,
  accuracy,
  pairs: 80,
  accuracy_sum: accuracy,
  margin: 0.1,
  margin_sum: 1,
  chosen_nll: 2,
});

describe("armResult", () => {
  // SFT then DPO, DPO stopped once and resumed: each segment counts from its own process start,
  // the resumed one from its run_resumed event.
  const events: RunEvent[] = [
    ev({
      type: "run_start",
      run_id: "r1",
      recipe: "q",
      run_dir: "/r",
      stages: [
        { id: "sft", trainer: "sft" },
        { id: "dpo", trainer: "dpo" },
      ],
      trellis_version: "0",
      time: 100,
    }),
    ev({ type: "phase", stage: "sft", phase: "environment", time: 101 }),
    ev({ stage: "sft", ...scores("before", 0.5), time: 105 }),
    ev({
      type: "generations",
      stage: "sft",
      when: "before",
      step: 0,
      samples: [{ prompt: "p", answer: "??" }],
      time: 105,
    }),
    ev({
      type: "metrics",
      stage: "sft",
      step: 5,
      max_steps: 10,
      epoch: 0.5,
      metrics: { loss: 3 },
      usage: usage(6, 500),
      time: 106,
    }),
    ev({ type: "usage", stage: "sft", step: 10, ...usage(8, 1000), time: 108 }),
    ev({ stage: "sft", ...scores("after", 0.6), time: 109 }),
    ev({ type: "stage_end", stage: "sft", status: "finished", exit_code: 0, signal: null, time: 110 }),
    ev({ type: "phase", stage: "dpo", phase: "environment", time: 111 }),
    ev({
      type: "metrics",
      stage: "dpo",
      step: 2,
      max_steps: 10,
      epoch: 0.2,
      metrics: { loss: 0.69 },
      usage: usage(4, 200),
      time: 115,
    }),
    ev({ type: "stage_end", stage: "dpo", status: "stopped", exit_code: 0, signal: null, time: 116 }),
    ev({ type: "run_resumed", stage: "dpo", checkpoint: null, time: 200 }),
    ev({ type: "phase", stage: "dpo", phase: "environment", time: 201 }),
    ev({
      type: "metrics",
      stage: "dpo",
      step: 10,
      max_steps: 10,
      epoch: 1,
      metrics: { loss: 0.4 },
      usage: usage(5, 800),
      time: 206,
    }),
    ev({ stage: "dpo", ...scores("after", 0.9), time: 207 }),
    ev({
      type: "generations",
      stage: "dpo",
      when: "after",
      step: 10,
      samples: [{ prompt: "p", answer: "The lemon is yellow." }],
      time: 207,
    }),
    ev({ type: "stage_end", stage: "dpo", status: "finished", exit_code: 0, signal: null, time: 210 }),
    ev({ type: "run_end", status: "finished", time: 211 }),
  ];
  const a = armResult("sft-dpo", events);
  it("adds up the cost of each stage over its segments", () => {
    assert.deepEqual(
      a.stages.map((s) => [s.stage, s.trainer, s.steps, s.wall_s, s.device_s, s.tokens]),
      [
        ["sft", "sft", 5, 9, 8, 1000],
        ["dpo", "dpo", 10, 15, 9, 1000],
      ],
    );
    assert.deepEqual(a.total, { wall_s: 24, device_s: 17, tokens: 2000 });
  });
  it("puts curves on device-seconds and tokens across stages", () => {
    assert.deepEqual(
      a.curves.loss.map((p) => [p.stage, p.device_s, p.tokens, p.y]),
      [
        ["sft", 6, 500, 3],
        ["dpo", 12, 1200, 0.69],
        ["dpo", 17, 2000, 0.4],
      ],
    );
    assert.deepEqual(
      a.curves.accuracy.map((p) => [p.device_s, p.y]),
      [
        [0, 0.5],
        [8, 0.6],
        [17, 0.9],
      ],
    );
  });
  it("takes the baseline from the first stage's before, the result from the last stage's after", () => {
    assert.equal(a.baseline?.accuracy, 0.5);
    assert.equal(a.final?.accuracy, 0.9);
    assert.deepEqual(
      a.after.map((x) => x.stage),
      ["sft", "dpo"],
    );
    assert.equal(a.status, "finished");
  });
  it("writes a report whose tables carry those numbers", () => {
    const md = reportMarkdown({
      id: "c1",
      name: "q",
      arms: [{ ...a, file: "q.yaml" }],
      baseline: a.baseline,
      advice: advise({ pairs: 320, start: "base", arms: [] }),
      reading: ["x"],
      plot: { file: "plot.png", width: 1200, height: 450 },
    });
    assert.match(md, /\| starting model \(baseline\) \| 0\.5000 \| 0\.5000 \| 0\.1000 \| 1\.0000 \| 2\.0000 \|/);
    assert.match(md, /\| sft-dpo \| 0\.9000 \|/);
    assert.match(md, /\| sft-dpo \| dpo \| dpo \| 10 \| 15\.0 \| 9\.0 \| 1000 \|/);
    assert.match(md, /\| \*\*sft-dpo\*\* \| \*\*total\*\* \| \| \| \*\*24\.0\*\* \| \*\*17\.0\*\* \| \*\*2000\*\* \|/);
    assert.match(md, /!\[.*\]\(plot\.png\)/);
    assert.match(md, /\| starting model \| `\?\?` \|\n\| sft-dpo \| `The lemon is yellow.` \|/);
  });
});
