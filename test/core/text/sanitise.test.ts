import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { needsSanitising, sanitise, sanitiseDeep, terminalSafeJson } from "../../../src/core/text/sanitise.js";

const OSC_TITLE = "\u001b]0;pwned\u0007";
const CLEAR = "\u001b[2J\u001b[H";

describe("the terminal sanitiser", () => {
  it("shows ESC, BEL and every C0 control escaped", () => {
    assert.equal(sanitise(`a${OSC_TITLE}b${CLEAR}c`), "a\\x1b]0;pwned\\x07b\\x1b[2J\\x1b[Hc");
    assert.equal(sanitise("x\ry\bz\u0000"), "x\\x0dy\\x08z\\x00");
    assert.equal(sanitise("one\ntwo\tthree"), "one\\x0atwo\\x09three");
  });

  it("keeps newlines and tabs for multi-line text, nothing else", () => {
    assert.equal(sanitise(`one\ntwo\tthree${OSC_TITLE}\r`, { lines: true }), "one\ntwo\tthree\\x1b]0;pwned\\x07\\x0d");
  });

  it("escapes DEL, the C1 controls (8-bit CSI, OSC) and bidi overrides", () => {
    assert.equal(sanitise("\u007f\u009b2J\u009d0;t\u009c"), "\\x7f\\x9b2J\\x9d0;t\\x9c");
    assert.equal(sanitise("abc\u202edcba\u2066x\u2069\u200f"), "abc\\u202edcba\\u2066x\\u2069\\u200f");
  });

  it("leaves ordinary text, accents, CJK and emoji as they are (the same string)", () => {
    const text = "Qwen/Qwen2.5-0.5B café 日本語 🚀 \\x1b";
    assert.equal(sanitise(text), text);
    assert.equal(needsSanitising(text), false);
    assert.equal(needsSanitising(`a${CLEAR}`), true);
  });

  it("walks events: every string value and key, without copying what is clean", () => {
    const clean = { type: "metrics", step: 1, metrics: { loss: 0.5 } };
    assert.equal(sanitiseDeep(clean), clean);
    const hostile = { type: "run_start", model: `m${OSC_TITLE}`, stages: [{ id: "a", note: [CLEAR] }], [`k\u0007`]: 1 };
    assert.deepEqual(sanitiseDeep(hostile), {
      type: "run_start",
      model: "m\\x1b]0;pwned\\x07",
      stages: [{ id: "a", note: ["\\x1b[2J\\x1b[H"] }],
      "k\\x07": 1,
    });
    assert.equal(hostile.model, `m${OSC_TITLE}`, "the original is left alone");
  });

  it("JSON keeps its value and loses its raw C1 and bidi characters", () => {
    const value = { s: `a\u009b2J\u202e${OSC_TITLE}` };
    const json = terminalSafeJson(JSON.stringify(value));
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/.test(json), json);
    assert.deepEqual(JSON.parse(json), value);
  });
});
