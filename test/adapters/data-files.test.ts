import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DataFileError, readColumns } from "../../src/adapters/data-files.js";

const dir = mkdtempSync(path.join(tmpdir(), "trellis-data-"));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("readColumns", () => {
  it("reads JSON lines", async () => {
    assert.deepEqual(await readColumns(file("a.jsonl", '{"prompt":"p","chosen":"c","rejected":"r"}\n{"prompt":"q"}\n'), "json"), ["prompt", "chosen", "rejected"]);
  });
  it("reads a JSON array", async () => {
    assert.deepEqual(await readColumns(file("a.json", '[{"text": "hello"}]'), "json"), ["text"]);
  });
  it("reads a CSV header with quotes and a BOM", async () => {
    assert.deepEqual(await readColumns(file("a.csv", '\uFEFFprompt,"chosen, best",rejected\r\np,c,r\n'), "csv"), ["prompt", "chosen, best", "rejected"]);
  });
  for (const [name, text, format, reason] of [
    ["an empty file", "", "json", /is empty/],
    ["a file of whitespace", "  \n\n \n", "json", /is empty \(only whitespace\)/],
    ["a first line over 1 MiB", `{"text": "${"x".repeat(1.5 * 2 ** 20)}"}\n`, "json", /first line is longer than 1 MiB/],
    ["a line that is not JSON", "prompt,chosen\n", "json", /not valid JSON/],
    ["a line that is not an object", "[1, 2]\n", "json", /JSON array is empty|not a JSON object/],
    ["a broken parquet file", "PAR1 not really", "parquet", /not a readable parquet file/],
  ] as const) {
    it(`rejects ${name}`, async () => {
      await assert.rejects(readColumns(file(`bad-${name.replace(/\W/g, "")}`, text), format), (err: Error) => err instanceof DataFileError && reason.test(err.message));
    });
  }
  it("rejects a missing file", async () => {
    await assert.rejects(readColumns(path.join(dir, "nope.jsonl"), "json"), /data file not found/);
  });
});
