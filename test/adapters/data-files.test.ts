import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import {
  DataFileError,
  fileLines,
  MAX_LINE_BYTES_ENV,
  MAX_PARQUET_CHUNK_BYTES_ENV,
  maxLineBytes,
  readRows,
  type RowItem,
} from "../../src/adapters/data-files.js";
import type { FileFormat } from "../../src/core/recipe/resolve.js";

const dir = mkdtempSync(path.join(tmpdir(), "trellis-data-"));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
async function all(p: string, format: FileFormat): Promise<RowItem[]> {
  const out: RowItem[] = [];
  for await (const item of readRows(p, format)) out.push(item);
  return out;
}

describe("readRows", () => {
  it("reads every JSON line with its line number, skipping blank lines", async () => {
    const p = file("a.jsonl", '{"prompt":"p","chosen":"c","rejected":"r"}\n\n{"prompt":"q"}\n');
    const items = await all(p, "json");
    assert.deepEqual(
      items.map((i) => (i.kind === "row" ? [i.index, i.where, Object.keys(i.row)] : i)),
      [
        [0, `${p}:1`, ["prompt", "chosen", "rejected"]],
        [1, `${p}:3`, ["prompt"]],
      ],
    );
  });
  it("names the line and column of a JSON error on line 20, and reads on", async () => {
    const lines = Array.from({ length: 25 }, (_, i) =>
      i === 19 ? '{"prompt": "p", "chosen" "c"}' : '{"prompt": "p"}',
    );
    const items = await all(file("b.jsonl", lines.join("\n")), "json");
    const bad = items.filter((i) => i.kind === "bad");
    assert.equal(bad.length, 1);
    assert.match(bad[0]!.where, /b\.jsonl:20:26$/);
    assert.match((bad[0] as { message: string }).message, /^not valid JSON: /);
    assert.equal(items.filter((i) => i.kind === "row").length, 24);
  });
  it("reads a JSON array record by record", async () => {
    const items = await all(file("a.json", '[{"text": "hello"}, {"text": "again"}]'), "json");
    assert.deepEqual(
      items.map((i) => i.where.replace(dir, "")),
      ["/a.json: record 1", "/a.json: record 2"],
    );
  });
  it("reads CSV rows with quotes, embedded newlines and a BOM, naming each row's line", async () => {
    const items = await all(file("a.csv", '\uFEFFprompt,"chosen, best",rejected\r\np,"c\nd",r\r\nq,e,s\r\n'), "csv");
    assert.deepEqual(
      items.map((i) => (i.kind === "row" ? i.row : i)),
      [
        { prompt: "p", "chosen, best": "c\nd", rejected: "r" },
        { prompt: "q", "chosen, best": "e", rejected: "s" },
      ],
    );
    assert.deepEqual(
      items.map((i) => i.where.replace(dir, "")),
      ["/a.csv:3", "/a.csv:4"],
    );
  });
  for (const [name, text, format, reason] of [
    ["an empty file", "", "json", /is empty/],
    ["a file of whitespace", "  \n\n \n", "json", /is empty \(only whitespace\)/],
    ["a JSON array cut off", '[{"a": 1}, {"a"', "json", /:1:\d+: not valid JSON/],
    ["a broken parquet file", "PAR1 not really", "parquet", /not a readable parquet file/],
  ] as const) {
    it(`rejects ${name}`, async () => {
      await assert.rejects(
        all(file(`bad-${name.replace(/\W/g, "")}`, text), format),
        (err: Error) => err instanceof DataFileError && reason.test(err.message),
      );
    });
  }
  it("reports a line that is not an object, and reads on", async () => {
    const items = await all(file("c.jsonl", '{"a": 1}\n[1, 2]\n{"a": 1}\n'), "json");
    assert.deepEqual(
      items.map((i) => i.kind),
      ["row", "bad", "row"],
    );
  });
  it("rejects a missing file", async () => {
    await assert.rejects(all(path.join(dir, "nope.jsonl"), "json"), /data file not found/);
  });
});

describe("lines over the limit", () => {
  const withLimit = async <T>(bytes: number, body: () => Promise<T>): Promise<T> => {
    process.env[MAX_LINE_BYTES_ENV] = String(bytes);
    try {
      return await body();
    } finally {
      delete process.env[MAX_LINE_BYTES_ENV];
    }
  };

  it("are skipped as they stream past, counted, never held; the lines around them read on", async () => {
    const long = "x".repeat(200_000); // several read chunks
    const p = file("long.txt", `short\r\n${long}\nafter\n${long}`);
    const lines = [];
    for await (const l of fileLines(p, 1000)) lines.push(l);
    assert.deepEqual(lines, [
      { line: 1, text: "short" },
      { line: 2, over: 200_000 },
      { line: 3, text: "after" },
      { line: 4, over: 200_000 },
    ]);
  });

  it("are one located error in JSON lines, with the limit", async () => {
    const row = '{"prompt":"p","chosen":"c","rejected":"r"}';
    const p = file("huge-first.jsonl", `{"prompt":"${"p".repeat(3_000_000)}"}\n${row}\n`);
    const items = await withLimit(1 << 20, () => all(p, "json"));
    assert.deepEqual(
      items.map((i) => [i.kind, i.where.replace(dir, "")]),
      [
        ["bad", "/huge-first.jsonl:1"],
        ["row", "/huge-first.jsonl:2"],
      ],
    );
    assert.match((items[0] as { message: string }).message, /a line of 3 MB, over the limit of 1 MiB for one line/);
  });

  it("are one located error in CSV, with the limit", async () => {
    const p = file("huge.csv", `prompt,chosen,rejected\np,c,r\n"${"q".repeat(3_000_000)}",c,r\n`);
    await assert.rejects(
      withLimit(1 << 20, () => all(p, "csv")),
      (err: Error) =>
        err instanceof DataFileError && /huge\.csv:3: a CSV record over the limit of 1 MiB/.test(err.message),
    );
  });

  it("refuse a parquet row group whose column is over the chunk limit before reading it", async () => {
    const parquet = path.join(
      import.meta.dirname,
      "..",
      "..",
      "..",
      "test",
      "fixtures",
      "data",
      "pairs-3-row-groups.parquet",
    );
    const rows = await all(parquet, "parquet");
    assert.deepEqual(
      rows.map((r) => r.where.replace(parquet, "")),
      [": row 1", ": row 2", ": row 3", ": row 4", ": row 5", ": row 6"],
    );
    process.env[MAX_PARQUET_CHUNK_BYTES_ENV] = "500";
    try {
      await assert.rejects(
        all(parquet, "parquet"),
        (err: Error) =>
          err instanceof DataFileError &&
          /: row group 1 \(rows 1-2\), column 'chosen': \d+ bytes uncompressed, over the 500 bytes trellis reads at once; write the file with smaller row groups/.test(
            err.message,
          ),
      );
    } finally {
      delete process.env[MAX_PARQUET_CHUNK_BYTES_ENV];
    }
  });

  it("default to 64 MiB; the environment sets them", () => {
    assert.equal(maxLineBytes({}), 64 << 20);
    assert.equal(maxLineBytes({ [MAX_LINE_BYTES_ENV]: "1000" }), 1000);
    assert.equal(maxLineBytes({ [MAX_LINE_BYTES_ENV]: "lots" }), 64 << 20);
  });
});
