import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { layoutFor, type LayoutInput } from "../../../src/ui/dashboard/layout.js";

const input = (columns: number, rows: number, more: Partial<LayoutInput> = {}): LayoutInput => ({
  columns,
  rows,
  fixedTop: 4,
  fixedBottom: 1,
  optional: { alert: true, info: true, gpu: 1 },
  charts: 5,
  kpiRows: 10,
  logLines: 50,
  ...more,
});

const used = (l: ReturnType<typeof layoutFor>) =>
  5 + Number(l.alert) + Number(l.info) + l.gpu + l.chartRows * l.chartHeight + l.kpi + l.log;

describe("layoutFor", () => {
  it("80x24: the compact tier, two charts a row, using rows-1 lines", () => {
    const l = layoutFor(input(80, 24));
    assert.equal(l.tier, "compact");
    assert.equal(l.chartsPerRow, 2);
    assert.equal(l.chartWidth, 40);
    assert.ok(l.chartHeight >= 6);
    assert.ok(used(l) <= 23);
  });

  it("120x40: the full tier, three charts a row, two rows", () => {
    const l = layoutFor(input(120, 40));
    assert.equal(l.tier, "full");
    assert.equal(l.chartsPerRow, 3);
    assert.equal(l.chartRows, 2);
    assert.ok(used(l) <= 39);
  });

  it("60 columns: one chart a row", () => {
    assert.equal(layoutFor(input(60, 30)).chartsPerRow, 1);
  });

  it("a short terminal drops the charts (mini tier); a tiny one gets a notice", () => {
    assert.equal(layoutFor(input(80, 12)).tier, "mini");
    assert.equal(layoutFor(input(39, 20)).tier, "too-small");
    assert.equal(layoutFor(input(80, 7)).tier, "too-small");
  });

  it("never plans more than rows-1 lines", () => {
    for (let columns = 40; columns <= 220; columns += 7) {
      for (let rows = 8; rows <= 80; rows++) {
        for (const charts of [0, 1, 4, 7]) {
          const l = layoutFor(input(columns, rows, { charts, kpiRows: charts + 3, logLines: rows % 3 === 0 ? 0 : 30 }));
          assert.ok(used(l) <= rows - 1, `${columns}x${rows} charts ${charts}: ${used(l)} lines`);
          assert.ok(l.chartsPerRow * l.chartWidth <= columns);
        }
      }
    }
  });
});
