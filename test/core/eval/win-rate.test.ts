import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  halfWidthAt,
  lengthFit,
  orderScore,
  positionBias,
  promptScore,
  wilson,
  winRate,
  type Judged,
  type Verdict,
} from "../../../src/core/eval/win-rate.js";

const j = (xFirst: Verdict | null, yFirst: Verdict | null, xLength = 10, yLength = 10): Judged => ({
  xFirst,
  yFirst,
  xLength,
  yLength,
});
const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} is not ${b} (±${eps})`);

describe("a prompt's score: the mean of its two orders", () => {
  it("counts a win in both orders as 1, a loss in both as 0", () => {
    assert.equal(promptScore(j("first", "second")), 1);
    assert.equal(promptScore(j("second", "first")), 0);
  });
  it("cancels a judge that always picks the first answer: 0.5, whoever wrote it", () => {
    assert.equal(promptScore(j("first", "first")), 0.5);
    assert.equal(promptScore(j("second", "second")), 0.5);
  });
  it("takes a tie, or a reply it could not read, as half a win", () => {
    assert.equal(orderScore("tie", "first"), 0.5);
    assert.equal(orderScore(null, "second"), 0.5);
    assert.equal(promptScore(j("first", "tie")), 0.75);
    assert.equal(promptScore(j(null, "first")), 0.25);
  });
});

describe("position bias", () => {
  it("is how often the first-shown answer wins among verdicts that named a winner", () => {
    const b = positionBias([j("first", "first"), j("first", "second"), j("tie", "first"), j(null, "second")]);
    // decisive: first, first, first, second, first, second -> 6, of which 4 first
    assert.deepEqual(b, { decisive: 6, firstWins: 4, firstRate: 4 / 6, ties: 1, unreadable: 1, consistent: 1 });
  });
  it("is null with no decisive verdict", () => {
    assert.equal(positionBias([j("tie", null)]).firstRate, null);
  });
});

describe("Wilson 95% interval", () => {
  it("matches hand-computed values", () => {
    const a = wilson(0.5, 8);
    close(a.low, 0.21521606221387757);
    close(a.high, 0.7847839377861224);
    const b = wilson(0.75, 4);
    close(b.low, 0.30064184258240184);
    close(b.high, 0.9544127391902995);
    const c = wilson(1, 8);
    close(c.low, 0.6755924351161198);
    assert.equal(c.high, 1);
  });
  it("narrows with the number of prompts: ±28 points at 8, ±16 at 32, ±9.6 at 100", () => {
    close(halfWidthAt(8), 0.28478393778612243);
    close(halfWidthAt(32), 0.16369117130672517);
    close(halfWidthAt(100), 0.09616846963400438);
  });
  it("is the whole range with no prompt", () => {
    assert.deepEqual(wilson(0, 0), { low: 0, high: 1 });
  });
});

describe("length-controlled win rate", () => {
  it("equals the raw win rate when the answers are of equal length", () => {
    const judged = [j("first", "second"), j("first", "second"), j("second", "first"), j("first", "tie")];
    const r = winRate(judged);
    close(r.winRate, (1 + 1 + 0 + 0.75) / 4);
    assert.equal(r.lengthFit!.scale, 0);
    // Only the ridge (1e-3) separates them.
    close(r.lengthControlled!, r.winRate, 1e-3);
  });
  it("takes away a win rate that length alone explains", () => {
    // Longer answers (+20 chars) win 2 of 3, shorter ones (-20) win 1 of 3: the saturated
    // unpenalised fit has b0 = 0 exactly (logit 2/3 = ln 2 = -logit 1/3), so 0.5 at equal length.
    const judged = [
      ...[1, 1, 0, 1, 1, 0].map((w) => (w ? j("first", "second", 30, 10) : j("second", "first", 30, 10))),
      ...[1, 0, 0].map((w) => (w ? j("first", "second", 10, 30) : j("second", "first", 10, 30))),
    ];
    const r = winRate(judged);
    close(r.winRate, 5 / 9);
    close(r.lengthControlled!, 0.5, 2e-3);
    // The slope: logit(2/3) = ln 2 at t = tanh(20 / sd), sd of {+20 x6, -20 x3} = sqrt(800/9 * 4)...
    const sd = Math.sqrt((6 * (20 - 20 / 3) ** 2 + 3 * (-20 - 20 / 3) ** 2) / 9);
    close(r.lengthFit!.scale, sd, 1e-9);
    close(r.lengthFit!.b1 * Math.tanh(20 / sd), Math.log(2), 1e-2);
  });
  it("stays finite for a perfect record, and is deterministic", () => {
    const f = lengthFit([1, 1, 1, 1], [5, -3, 2, 0]);
    assert.ok(Number.isFinite(f.b0) && f.b0 > 5);
    assert.deepEqual(lengthFit([1, 1, 1, 1], [5, -3, 2, 0]), f);
  });
});

describe("winRate", () => {
  it("counts prompts won, tied and lost and the mean lengths", () => {
    const r = winRate([j("first", "second", 12, 4), j("first", "first", 8, 8), j("second", "first", 4, 12)]);
    assert.deepEqual([r.prompts, r.wins, r.ties, r.losses], [3, 1, 1, 1]);
    close(r.winRate, 0.5);
    close(r.xMeanLength, 8);
    close(r.yMeanLength, 8);
    close(r.positionBias.firstRate!, 4 / 6);
  });
});
