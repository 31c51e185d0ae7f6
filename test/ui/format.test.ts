import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { colorEnabled } from "../../src/ui/format.js";

describe("colorEnabled: the one colour decision (https://no-color.org)", () => {
  const tty = { isTTY: true };
  const cases: Array<[string, { isTTY?: boolean }, NodeJS.ProcessEnv, boolean]> = [
    ["a terminal, no NO_COLOR", tty, {}, true],
    ["NO_COLOR=1", tty, { NO_COLOR: "1" }, false],
    ["NO_COLOR=0 (any non-empty value)", tty, { NO_COLOR: "0" }, false],
    ["an empty NO_COLOR is as good as none", tty, { NO_COLOR: "" }, true],
    ["TERM=dumb", tty, { TERM: "dumb" }, false],
    ["not a terminal", { isTTY: false }, {}, false],
    ["a stream that does not say", {}, {}, false],
  ];
  for (const [name, stream, env, want] of cases) it(name, () => assert.equal(colorEnabled(stream, env), want));
});
