import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toColumns, xRange } from "../../../src/core/chart/columns.js";
import { rasterize } from "../../../src/core/chart/raster.js";
import { MAX_BINS, Series } from "../../../src/core/chart/series.js";
import { sparkline } from "../../../src/core/chart/sparkline.js";

const filled = (n: number, f: (i: number) => number, maxBins = MAX_BINS) => {
  const s = new Series(maxBins);
  for (let i = 1; i <= n; i++) s.push(i, f(i));
  return s;
};

describe("Series: power-of-two min/max bins", () => {
  it("keeps raw points while they fit, then merges pairs of neighbours", () => {
    const s = filled(8, (i) => i, 8);
    assert.equal(s.level, 0);
    assert.equal(s.bins.length, 8);
    s.push(9, 9);
    assert.equal(s.level, 2, "9 bins > 8 merge until at most half the budget is used");
    assert.ok(s.bins.length <= 4);
    assert.deepEqual(
      s.bins.map((b) => [b.index, b.min, b.max, b.first, b.last, b.count]),
      [
        [0, 1, 3, 1, 3, 3],
        [1, 4, 7, 4, 7, 4],
        [2, 8, 9, 8, 9, 2],
      ],
    );
  });

  it("never moves what is drawn for old data: appends touch only the last bin", () => {
    const s = filled(5000, (i) => Math.sin(i / 50));
    const level = s.level;
    const before = s.bins.slice(0, -1).map((b) => ({ ...b }));
    for (let i = 5001; i <= 5000 + 2 ** level; i++) s.push(i, Math.sin(i / 50));
    assert.equal(s.level, level);
    assert.deepEqual(s.bins.slice(0, before.length), before);
  });

  it("stays bounded for a million points, and keeps a one-point spike", () => {
    const s = filled(1_000_000, (i) => (i === 654_321 ? 1e6 : 1));
    assert.ok(s.bins.length <= MAX_BINS && s.bins.length > MAX_BINS / 4, `${s.bins.length} bins`);
    assert.equal(Math.max(...s.bins.map((b) => b.max)), 1e6);
    const cols = toColumns(s, xRange([s])!, 40);
    assert.equal(Math.max(...cols.map((c) => c?.max ?? 0)), 1e6, "M4 columns keep the spike at any zoom");
    assert.equal(s.length, 1_000_000);
    assert.deepEqual(s.last, { x: 1_000_000, y: 1 });
  });

  it("counts non-finite values apart from the min/max", () => {
    const s = new Series();
    s.push(1, 0.5);
    s.push(2, NaN);
    s.push(3, Infinity);
    s.push(4, 0.25);
    assert.equal(s.nonFinite, 2);
    assert.deepEqual(s.lastFinite, { x: 4, y: 0.25 });
    assert.ok(Number.isNaN(s.bins[1]!.min));
    assert.equal(s.bins[1]!.nonFinite, 1);
  });

  it("answers the value at or before a step", () => {
    const s = filled(100, (i) => i * 10);
    assert.equal(s.valueAt(50), 500);
    assert.equal(s.valueAt(50.5), 500);
    assert.equal(s.valueAt(0), undefined);
  });
});

describe("rasterize", () => {
  const s = filled(200, (i) => Math.exp(-i / 50));

  it("draws braille rows of exactly the asked width, with the extent as labels", () => {
    const r = rasterize([{ series: s, style: "line" }], { cols: 30, rows: 6, glyphs: "braille" })!;
    assert.equal(r.rows.length, 6);
    for (const row of r.rows) assert.equal([...row.map((run) => run.text).join("")].length, 30);
    assert.equal(r.yMax, s.bins[0]!.max);
    assert.ok(Math.abs(r.yMin - Math.exp(-4)) < 1e-9);
    const text = r.rows.map((row) => row.map((run) => run.text).join("")).join("\n");
    assert.match(text, /[\u2801-\u28ff]/);
  });

  it("draws guides only inside the range, and only in empty cells", () => {
    const r = rasterize([{ series: s, style: "line" }], { cols: 30, rows: 6, glyphs: "braille", guides: [0.5, 7] })!;
    const guides = r.rows.flatMap((row) => row.filter((run) => run.tag === "guide"));
    assert.ok(guides.length > 0);
    assert.ok(guides.every((g) => /^[┈ ]+$/.test(g.text)));
  });

  it("marks non-finite values and breaks the line there", () => {
    const n = new Series();
    for (let i = 1; i <= 20; i++) n.push(i, i === 10 ? NaN : i);
    const r = rasterize([{ series: n, style: "line" }], { cols: 20, rows: 4, glyphs: "braille" })!;
    assert.ok(r.rows[0]!.some((run) => run.tag === "mark" && run.text.includes("✗")));
  });

  it("uses only ASCII in ascii mode", () => {
    const r = rasterize(
      [
        { series: s, style: "line" },
        { series: s, style: "dots" },
      ],
      { cols: 30, rows: 5, glyphs: "ascii", guides: [0.5] },
    )!;
    const text = r.rows.map((row) => row.map((run) => run.text).join("")).join("");
    assert.match(text, /^[\x20-\x7e]+$/);
  });

  it("draws the first layer on top", () => {
    const a = filled(10, () => 1);
    const b = filled(10, () => 1);
    const r = rasterize(
      [
        { series: a, style: "line" },
        { series: b, style: "line" },
      ],
      { cols: 10, rows: 3, glyphs: "braille" },
    )!;
    const tags = new Set(r.rows.flatMap((row) => row.map((run) => run.tag)));
    assert.ok(tags.has(0) && !tags.has(1));
  });

  it("returns nothing without data", () => {
    assert.equal(
      rasterize([{ series: new Series(), style: "line" }], { cols: 10, rows: 3, glyphs: "braille" }),
      undefined,
    );
  });
});

describe("sparkline", () => {
  it("fills the width with block levels from low to high", () => {
    const line = sparkline(
      filled(100, (i) => i),
      20,
    );
    assert.equal([...line].length, 20);
    assert.equal(line[0], "▁");
    assert.equal(line.at(-1), "█");
  });
  it("has an ASCII ramp and marks non-finite columns", () => {
    const s = filled(10, (i) => (i === 10 ? NaN : i));
    const line = sparkline(s, 10, "ascii");
    assert.match(line, /^[\x20-\x7e]{10}$/);
    assert.equal(line.at(-1), "x");
  });
});
