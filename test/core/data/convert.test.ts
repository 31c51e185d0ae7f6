/** data.convert on the cases the runtime's conversion is tested on too (python/tests/test_convert.py). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { Convert, convertRow } from "../../../src/core/data/convert.js";
import { ROOT } from "../../helpers/cli.js";

interface Case {
  name: string;
  spec: unknown;
  row: Record<string, unknown>;
  expect: { row: Record<string, unknown> } | { problem: { column: string; message: string } };
}
const CASES = JSON.parse(readFileSync(path.join(ROOT, "test", "fixtures", "convert-cases.json"), "utf8")) as Case[];

describe("LLaMA-Factory's sharegpt and alpaca rows as standard columns", () => {
  for (const c of CASES) {
    it(c.name, () => {
      assert.deepEqual(convertRow(c.row, Convert.parse(c.spec)), c.expect);
    });
  }
  it("the layout is checked where the recipe declares it", () => {
    const bad = (spec: unknown) =>
      Convert.safeParse(spec)
        .error?.issues.map((i) => i.message)
        .join("; ");
    assert.match(bad({ from: "sharegpt", columns: { chosen: "c" } }) ?? "", /both chosen and rejected, or neither/);
    assert.match(bad({ from: "sharegpt", columns: { query: "input" } }) ?? "", /query is an alpaca column/);
    assert.match(bad({ from: "alpaca", tags: { role_tag: "role" } }) ?? "", /tags apply to sharegpt/);
    assert.match(bad({ from: "openai" }) ?? "", /sharegpt|alpaca/);
  });
});
