/**
 * The answer block of the generations panel and the compare screen, given what chat and dialogue
 * data produce: prompts and answers with newlines must stay inside the frame's rows.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { answerBlock } from "../../../src/ui/dashboard/generations-panel.js";
import { width } from "../../../src/ui/dashboard/text.js";
import { painter } from "../../../src/ui/dashboard/theme.js";

const paint = painter({ color: false, glyphs: "braille" });

describe("answerBlock", () => {
  it("shows a dialogue prompt and a multi-line answer on whole rows, none wider than the panel", () => {
    const lines = answerBlock(
      " generations  prompt 1/1",
      "\n\nHuman: What colour does the\nflamingo have?\n\nAssistant:",
      [
        { label: "latest", source: "dpo @8 end", answer: "The flamingo\n\nis pink.\n" },
        { label: "baseline", source: "dpo start", answer: "\n\n" },
      ],
      60,
      paint,
    );
    for (const l of lines) {
      assert.ok(!l.includes("\n"), JSON.stringify(l));
      assert.ok(width(l) <= 60, l);
    }
    assert.equal(lines[1], " Human: What colour does the flamingo have? Assistant:");
    assert.match(lines[2]!, /latest +dpo @8 end +The flamingo is pink\.$/);
    assert.match(lines[3]!, /baseline +dpo start +\(empty\)$/);
  });
});
