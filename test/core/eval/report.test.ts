import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePrompts, PromptsError } from "../../../src/core/eval/prompts.js";
import { evalMarkdown, judgePairs, type EvalResult } from "../../../src/core/eval/report.js";

describe("parsePrompts", () => {
  it("takes JSON strings and objects with a prompt, skipping blank lines", () => {
    assert.deepEqual(parsePrompts('"a"\n\n{"prompt": "b", "chosen": "x"}\n', "p.jsonl"), ["a", "b"]);
  });
  it("names the file and line of a bad one", () => {
    assert.throws(() => parsePrompts('"a"\nnot json\n', "p.jsonl"), { message: /^p\.jsonl:2: not JSON/ });
    assert.throws(() => parsePrompts('"a"\n{"prompt": ""}\n', "p.jsonl"), { message: /^p\.jsonl:2: no prompt/ });
    assert.throws(() => parsePrompts("\n", "p.jsonl"), PromptsError);
  });
});

describe("the eval report", () => {
  const answers = { start: ["aa", "bbbb"], tuned: ["aaaa", "bb"] };
  const pairs = judgePairs(
    [
      {
        x: "tuned",
        y: "start",
        prompts: [
          { x_first: "first", y_first: "second" },
          { x_first: "first", y_first: "first" },
        ],
      },
    ],
    answers,
  );
  const result: EvalResult = {
    models: [
      { name: "start", source: "the starting model" },
      { name: "tuned", source: "after stage tuned" },
    ],
    prompts: ["p1", "p2"],
    answers,
    judge: { kind: "openai", model: "m", base_url: "http://127.0.0.1:1/v1", api_key_env: "KEY" },
    judgePrompt: { file: "default", sha256: "f".repeat(64) },
    pairs,
  };
  it("measures lengths from each model's own answers", () => {
    assert.equal(pairs[0]!.result.xMeanLength, 3);
    assert.equal(pairs[0]!.result.winRate, 0.75);
  });
  it("shows the answers, then the judge's row, and marks a length fit on few prompts", () => {
    const md = evalMarkdown(result, "t");
    assert.ok(md.indexOf("## Answers") < md.indexOf("## Judge"));
    assert.match(
      md,
      /\| tuned \| start \| 75\.0% \| .* \| .*\(unstable: few prompts\) \| 1 \/ 1 \/ 0 \| 75\.0% \(3 of 4\) \| 3 vs 3 \|/,
    );
    assert.match(md, /m at http:\/\/127\.0\.0\.1:1\/v1/);
  });
});
