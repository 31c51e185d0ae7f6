import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveSeries, stepMap, windowOf } from "../../../src/core/chart/derive.js";
import { Series } from "../../../src/core/chart/series.js";

const series = (ys: number[]) => {
  const s = new Series();
  ys.forEach((y, i) => s.push(i + 1, y));
  return s;
};
const lastValues = (s: Series) => s.bins.map((b) => b.last);

describe("derived series", () => {
  it("no settings: the series itself", () => {
    const s = series([1, 2, 3]);
    assert.equal(deriveSeries(s, {}), s);
  });

  it("EMA is debiased: a constant stays constant, a step is followed gradually", () => {
    assert.deepEqual(
      lastValues(deriveSeries(series([5, 5, 5]), { ema: 0.9 })).map((v) => +v.toFixed(9)),
      [5, 5, 5],
    );
    const smoothed = lastValues(deriveSeries(series([0, 0, 10, 10, 10]), { ema: 0.6 }));
    assert.ok(smoothed[2]! > 0 && smoothed[2]! < 10 && smoothed[4]! > smoothed[3]!);
  });

  it("log-Y plots log10 and leaves out values <= 0; a NaN stays a mark", () => {
    const d = deriveSeries(series([100, 0, -1, 10, NaN]), { logY: true });
    assert.deepEqual(
      d.bins.filter((b) => b.count).map((b) => b.last),
      [2, 1],
    );
    assert.equal(d.nonFinite, 1);
  });

  it("maps steps to another x (tokens), leaving out what it can't map", () => {
    const tokens = new Series();
    tokens.push(2, 200);
    tokens.push(3, 300);
    const d = deriveSeries(series([1, 2, 3]), { mapX: stepMap(tokens) });
    assert.deepEqual(
      d.bins.map((b) => b.firstX),
      [200, 300],
    );
  });

  it("a time window: the newest part at zoom, earlier when panned, never outside", () => {
    const full = { x0: 0, x1: 100 };
    assert.deepEqual(windowOf(full, 1, 5), full);
    assert.deepEqual(windowOf(full, 4, 0), { x0: 75, x1: 100 });
    assert.deepEqual(windowOf(full, 4, 1), { x0: 50, x1: 75 });
    assert.deepEqual(windowOf(full, 4, 9), { x0: 0, x1: 25 });
  });
});
