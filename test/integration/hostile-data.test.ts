/**
 * Hostile data files end as one clear error naming the file, and the line and column where it
 * can, with exit code 2 and no run directory: every row is read before any Python starts. (The
 * runtime's own checks, for Hub data sets, are tested in python/tests/test_data.py.)
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { RECIPES, runDirs, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("hostile-data");
after(() => rmSync(ws.dir, { recursive: true, force: true }));

const COLORS_TRAIN = path.join(RECIPES, "data", "colors-train.jsonl");
const COLORS_EVAL = path.join(RECIPES, "data", "colors-eval.jsonl");
const quickstart = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8");
const goodLines = readFileSync(COLORS_TRAIN, "utf8").trimEnd().split("\n");
/** A huge value: 50 MB of text in one field. */
const HUGE_CHARS = 50_000_000;

/** The quickstart training on `train`; the tiny model's tokenizer still learns from the bundled data (and is cached). */
function recipeFor(name: string, train: string): string {
  const text = quickstart
    .replace("data/colors-train.jsonl", JSON.stringify(train))
    .replace("data/colors-eval.jsonl", JSON.stringify(COLORS_EVAL))
    .replace(/( {4}vocab_size: \d+\n)/, `$1    data: [${JSON.stringify(COLORS_TRAIN)}]\n`)
    .replace(/( {6}logging_steps: \d+\n)/, "$1      max_steps: 4\n");
  const file = path.join(ws.dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

function dataFile(name: string, content: string | Buffer): string {
  const file = path.join(ws.dir, name);
  writeFileSync(file, content);
  return file;
}

/** The bundled rows with line `n` (1-based) replaced. */
const withLine = (n: number, line: string | Buffer) =>
  Buffer.concat(goodLines.flatMap((l, i) => [Buffer.from(i === n - 1 ? line : l), Buffer.from("\n")]));

async function refusedBeforePython(name: string, content: string | Buffer, expected: RegExp) {
  const runs = path.join(ws.dir, `runs-${name}`);
  const result = await trellis(["run", recipeFor(name, dataFile(`${name}.jsonl`, content)), "--runs-dir", runs], {
    cwd: ws.dir,
    env: ws.env,
  });
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, expected);
  assert.deepEqual(runDirs(runs), [], "no run directory");
}

describe("hostile data files caught before any Python starts", () => {
  it("an empty file", () => refusedBeforePython("empty", "", /empty\.jsonl: the data file is empty/));
  it("binary junk", () => {
    let x = 42; // a fixed pseudo-random sequence: the same junk every time
    const junk = Buffer.from(
      Array.from({ length: 4096 }, () => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x & 0xff)),
    );
    return refusedBeforePython("junk", junk, /junk\.jsonl:1:\d+: not valid (UTF-8|JSON)/);
  });
  it("a first line of 50 MB", () =>
    refusedBeforePython(
      "huge-first",
      `${JSON.stringify({ prompt: "Q", chosen: "x".repeat(HUGE_CHARS), rejected: "n" })}\n`,
      /huge-first\.jsonl:1:\d+: a value of 50\.0 MB; at most 4 MiB fits/,
    ));
  // Every row is read, not only the first: what used to fail inside the stage fails here.
  it("a file cut off mid-JSON", () =>
    refusedBeforePython(
      "cut",
      `${goodLines.slice(0, 20).join("\n")}\n{"prompt": "What colour is the`,
      /cut\.jsonl:21: cut off in the middle of a JSON object: the file looks truncated/,
    ));
  it("invalid UTF-8", () =>
    refusedBeforePython(
      "latin1",
      withLine(5, Buffer.from('{"prompt": "Caf\xe9?", "chosen": " a", "rejected": " b"}', "latin1")),
      /latin1\.jsonl:5:16: not valid UTF-8/,
    ));
  it("a row without a needed field", () =>
    refusedBeforePython(
      "missing",
      withLine(9, '{"prompt": "What color is the sky?", "chosen": " The sky is blue."}'),
      /missing\.jsonl:9: no value \(null, or the key is missing\); every row needs one \(column 'rejected'\)/,
    ));
  it("a 50 MB value", () =>
    refusedBeforePython(
      "huge",
      withLine(3, JSON.stringify({ prompt: "Q?", chosen: "x".repeat(HUGE_CHARS), rejected: " no" })),
      /huge\.jsonl:3:\d+: a value of 50\.0 MB; at most 4 MiB fits/,
    ));
});

describe("a line over the line limit (TRELLIS_MAX_LINE_BYTES: a small limit stands in for a 1 GB line)", () => {
  const env = { ...ws.env, TRELLIS_MAX_LINE_BYTES: String(8 << 20) };
  /** 20 MB of one line: a long value, with no line break in it. */
  const longLine = `{"prompt": "Q", "chosen": "${"x".repeat(20_000_000)}", "rejected": "n"}`;

  for (const [name, content, expected] of [
    [
      "long-line.jsonl",
      `${longLine}\n${goodLines.join("\n")}\n`,
      /long-line\.jsonl:1: a line of 20 MB, over the limit of 8 MiB for one line/,
    ],
    [
      "long-line.csv",
      `prompt,chosen,rejected\n"${"x".repeat(20_000_000)}",a,b\nQ,a,b\n`,
      /long-line\.csv:2: a CSV record over the limit of 8 MiB/,
    ],
  ] as const) {
    it(`${name}: check and run end with one located error, exit 2`, async () => {
      const data = dataFile(name, content);
      const recipe = recipeFor(name.replace(".", "-"), data);
      const check = await trellis(["check", recipe], { cwd: ws.dir, env });
      assert.equal(check.exitCode, 2, check.stderr);
      assert.match(check.stderr, expected);
      assert.doesNotMatch(check.stderr, /RangeError|\n\s+at /, "no stack trace");
      const runs = path.join(ws.dir, `runs-${name}`);
      const run = await trellis(["run", recipe, "--runs-dir", runs], { cwd: ws.dir, env });
      assert.equal(run.exitCode, 2, run.stderr);
      assert.match(run.stderr, expected);
      assert.deepEqual(runDirs(runs), [], "no run directory");
    });
  }
});
