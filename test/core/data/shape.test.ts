import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { ColumnMap, RowChecker, columnUseOf } from "../../../src/core/data/rows.js";
import { rowShape, shapeNote } from "../../../src/core/data/shape.js";
import { RECIPES } from "../../helpers/cli.js";

const user = (content: string) => ({ role: "user", content });
const bot = (content: string) => ({ role: "assistant", content });

describe("rowShape", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      "ultrafeedback: prompt string, answers repeating it",
      { prompt: "Q", chosen: [user("Q"), bot("a")], rejected: [user("Q"), bot("b")] },
      "prompt-in-answers",
    ],
    ["TRL's conversational form", { prompt: [user("Q")], chosen: [bot("a")], rejected: [bot("b")] }, "conversational"],
    [
      "conversational with a system turn",
      { prompt: [{ role: "system", content: "s" }, user("Q")], chosen: [bot("a")], rejected: [bot("b")] },
      "conversational",
    ],
    [
      "a prompt string with assistant-only answers",
      { prompt: "Q", chosen: [bot("a")], rejected: [bot("b")] },
      "conversational",
    ],
    ["implicit messages", { chosen: [user("Q"), bot("a")], rejected: [user("Q"), bot("b")] }, "implicit-messages"],
    ["HH dialogues", { chosen: "\n\nHuman: Q\n\nAssistant: a", rejected: "\n\nHuman: Q\n\nAssistant: b" }, "hh-text"],
    ["implicit text", { chosen: "Q a", rejected: "Q b" }, "implicit-text"],
    ["plain strings", { prompt: "Q", chosen: "a", rejected: "b" }, "text"],
  ];
  for (const [name, row, shape] of cases) it(name, () => assert.equal(rowShape(row), shape));
  it("names why a row has no shape", () => {
    assert.match(
      String(rowShape({ prompt: "Q", chosen: "a", rejected: [bot("b")] })),
      /chosen is text and rejected is messages/,
    );
    assert.match(
      String(rowShape({ prompt: [user("Q")], chosen: "a", rejected: "b" })),
      /the prompt is chat messages but the answers are text/,
    );
  });
});

describe("RowChecker", () => {
  const check = (rows: Array<Record<string, unknown>>, columns: Record<string, string> = {}) => {
    const map = new ColumnMap(columns);
    const checker = new RowChecker(columnUseOf("dpo", Object.keys(map.standard(rows[0]!))), map);
    return {
      problems: rows.flatMap((r, i) => checker.check(r, i).map((p) => `${i + 1}: ${p.column ?? "-"}: ${p.message}`)),
      checker,
    };
  };
  it("accepts good rows and counts where the separator goes", () => {
    const { problems, checker } = check([
      { prompt: "Q", chosen: "a", rejected: "b" },
      { prompt: "Q ", chosen: "a", rejected: "b" },
    ]);
    assert.deepEqual(problems, []);
    assert.equal(checker.detectedShape, "text");
    assert.equal(checker.joins, 1);
  });
  it("names every kind of bad value", () => {
    const { problems } = check([
      { prompt: "Q", chosen: "a", rejected: "b" },
      { prompt: "Q", chosen: 3, rejected: "b" },
      { prompt: "Q", chosen: " ", rejected: "b" },
      { prompt: "Q", chosen: "same", rejected: "same" },
      { prompt: "Q", rejected: "b" },
      { prompt: "Q", chosen: [bot("a")], rejected: [bot("b")] },
    ]);
    assert.deepEqual(problems, [
      "2: chosen: a number (3); expected text or a list of chat messages ({role, content})",
      "3: chosen: empty text",
      "4: chosen: chosen and rejected are identical: the pair teaches nothing",
      "5: chosen: no value (null, or the key is missing); every row needs one",
      "6: chosen: chat messages, where the first row has text; a column holds one kind of value",
      "6: rejected: chat messages, where the first row has text; a column holds one kind of value",
    ]);
  });
  it("checks message roles and contents, and one shape per file", () => {
    const { problems } = check([
      { prompt: [user("Q")], chosen: [bot("a")], rejected: [bot("b")] },
      { prompt: [user("Q")], chosen: [{ role: "robot", content: "a" }], rejected: [bot("b")] },
      { prompt: [user("Q")], chosen: [{ role: "assistant" }], rejected: [bot("b")] },
      { prompt: [user("Q")], chosen: [], rejected: [bot("b")] },
      { prompt: [user("Q")], chosen: [user("Q"), bot("a")], rejected: [user("Q"), bot("b")] },
    ]);
    assert.deepEqual(problems, [
      '2: chosen: message 1: role "robot"; expected one of system, user, assistant, tool',
      "3: chosen: message 1: content must be text",
      "4: chosen: an empty list of messages",
      "5: -: this row is prompt-in-answers where row 1 is conversational; one shape per data file",
    ]);
  });
  it("reads columns through data.columns, swaps included, and names the source column", () => {
    const { problems } = check(
      [
        { q: "Q", chosen: "b", rejected: "a" },
        { q: "Q", chosen: "x", rejected: 5 },
      ],
      { prompt: "q", chosen: "rejected", rejected: "chosen" },
    );
    assert.deepEqual(problems, [
      "2: rejected: a number (5); expected text or a list of chat messages ({role, content})",
    ]);
  });
});

describe("shapeNote", () => {
  const options = { to_messages: false, system_prompt: null, separator: " " };
  it("says what is done with plain text, and when nothing needs joining", () => {
    assert.match(shapeNote("text", options, 3), /" " put between prompt and answer .*\(3 rows; set data.separator/);
    assert.match(shapeNote("text", options, 0), /joined as they are/);
    assert.match(
      shapeNote("text", { ...options, to_messages: true }),
      /wrapped as user\/assistant messages; the tokenizer's chat template applies/,
    );
    assert.match(
      shapeNote("hh-text", { ...options, to_messages: true, system_prompt: "s" }),
      /parsed into user\/assistant turns.*system prompt is added/,
    );
  });
});

describe("shapes agree with the Python runtime on the bundled fixtures", () => {
  // python/tests/test_formats.py reads the same expectations.
  const expected = JSON.parse(
    readFileSync(path.join(RECIPES, "..", "test", "fixtures", "shapes.json"), "utf8"),
  ) as Record<string, string>;
  for (const [name, shape] of Object.entries(expected)) {
    for (const split of ["train", "eval"]) {
      it(`${name}-${split}.jsonl is ${shape}`, () => {
        const rows = readFileSync(path.join(RECIPES, "data", "shapes", `${name}-${split}.jsonl`), "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const { problems, checker } = (() => {
          const map = new ColumnMap({});
          const c = new RowChecker(columnUseOf("dpo", Object.keys(rows[0]!)), map);
          return { problems: rows.flatMap((r, i) => c.check(r, i)), checker: c };
        })();
        assert.deepEqual(problems, []);
        assert.equal(checker.detectedShape, shape);
      });
    }
  }
});
