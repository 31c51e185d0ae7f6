import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionFor } from "../../../src/ui/dashboard/keys.js";
import { applyAction, DEFAULT_SETTINGS, editFilter } from "../../../src/ui/dashboard/settings.js";

const ctx = { stages: 3, live: 1 };

describe("view settings", () => {
  it("t cycles the stage tabs from the live one and comes back to following it", () => {
    let s = applyAction(DEFAULT_SETTINGS, "stage-tab", ctx);
    assert.equal(s.stageTab, 2);
    s = applyAction(s, "stage-tab", ctx);
    assert.equal(s.stageTab, 0);
    s = applyAction(s, "stage-tab", ctx);
    assert.equal(s.stageTab, null, "back on the live stage: follow it");
    assert.equal(applyAction(DEFAULT_SETTINGS, "stage-tab", { stages: 1, live: 0 }).stageTab, null);
  });

  it("e cycles smoothing, y toggles log-Y, x cycles step, tokens, time", () => {
    const levels = [1, 2, 3, 0].map(
      (_, i, a) => a.slice(0, i + 1).reduce((s) => applyAction(s, "smooth", ctx), DEFAULT_SETTINGS).smoothing,
    );
    assert.deepEqual(levels, [1, 2, 3, 0]);
    assert.equal(applyAction(DEFAULT_SETTINGS, "log-y", ctx).logY, true);
    const axes = ["step", "tokens", "time", "step"];
    let s = DEFAULT_SETTINGS;
    for (const want of axes.slice(1)) assert.equal((s = applyAction(s, "x-axis", ctx)).xAxis, want);
  });

  it("time zoom doubles and halves; panning stays inside the run", () => {
    let s = applyAction(applyAction(DEFAULT_SETTINGS, "time-zoom-in", ctx), "time-zoom-in", ctx);
    assert.equal(s.timeZoom, 4);
    for (let i = 0; i < 20; i++) s = applyAction(s, "pan-back", ctx);
    assert.equal(s.timePan, 3);
    s = applyAction(s, "time-zoom-out", ctx);
    assert.deepEqual([s.timeZoom, s.timePan], [2, 1]);
    assert.equal(applyAction(DEFAULT_SETTINGS, "pan-back", ctx).timePan, 0, "nothing to pan at full view");
  });

  it("/ types a filter: characters, backspace, enter keeps, esc clears", () => {
    let s = applyAction(DEFAULT_SETTINGS, "filter", ctx);
    assert.equal(s.editingFilter, true);
    for (const c of "rewx") s = editFilter(s, c, {});
    s = editFilter(s, "", { backspace: true });
    assert.equal(s.filter, "rew");
    s = editFilter(s, "", { return: true });
    assert.deepEqual([s.filter, s.editingFilter], ["rew", false]);
    assert.equal(applyAction(s, "close", ctx).filter, "", "esc clears a kept filter");
    assert.equal(editFilter(applyAction(s, "filter", ctx), "", { escape: true }).filter, "");
  });

  it("keys map to actions, arrows included", () => {
    assert.equal(actionFor("", { leftArrow: true }), "pan-back");
    assert.equal(actionFor("+", {}), "time-zoom-in");
    assert.equal(actionFor("/", {}), "filter");
    assert.equal(actionFor("t", {}), "stage-tab");
  });
});
