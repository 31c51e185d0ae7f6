/**
 * The event protocol has one schema (src/core/events/protocol.ts). This contract holds the other
 * places that speak it to that schema: the recorded event streams the UI tests replay, every
 * event name the Python side emits, and docs/protocol.md.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { decodeRunEvent, EVENT_TYPES } from "../../../src/core/events/protocol.js";
import { renderScript } from "../../../src/core/render/script.js";
import { parseVersion } from "../../../src/core/trl/version.js";
import { ROOT } from "../../helpers/cli.js";

const STREAMS = path.join(ROOT, "test", "fixtures", "streams");
const RUNTIME = path.join(ROOT, "python", "trellis_runtime");

/** Event names in Python source: `emit("name", ...)`, across line breaks too. */
function emittedNames(source: string): string[] {
  return [...source.matchAll(/\bemit\(\s*"([a-z_]+)"/g)].map((m) => m[1]!);
}

describe("the event protocol's contract", () => {
  it("every recorded stream decodes, line by line, with the one schema", () => {
    const files = readdirSync(STREAMS).filter((f) => f.endsWith(".jsonl"));
    assert.ok(files.length >= 10);
    for (const file of files) {
      readFileSync(path.join(STREAMS, file), "utf8")
        .trim()
        .split("\n")
        .forEach((line, i) => {
          const decoded = decodeRunEvent(JSON.parse(line));
          assert.ok(decoded.ok, `${file}: line ${i + 1}: ${decoded.ok ? "" : decoded.error}`);
        });
    }
  });

  it("every event name the Python runtime and the rendered scripts emit is in the schema", () => {
    const sources = readdirSync(RUNTIME)
      .filter((f) => f.endsWith(".py"))
      .map((f) => readFileSync(path.join(RUNTIME, f), "utf8"));
    for (const trainer of ["sft", "dpo", "orpo"] as const)
      sources.push(renderScript({ trainer, stageId: "s", specFile: "s.json", trl: parseVersion("1.13.0")! }));
    const names = new Set(sources.flatMap(emittedNames));
    for (const implied of ["notice", "error"]) names.add(implied); // Emitter.notice and Emitter.guard
    assert.ok(names.size >= 12, [...names].join());
    for (const name of names)
      assert.ok(EVENT_TYPES.includes(name), `Python emits '${name}', which the schema does not have`);
  });

  it("docs/protocol.md names every event type of the schema", () => {
    const doc = readFileSync(path.join(ROOT, "docs", "protocol.md"), "utf8");
    for (const type of EVENT_TYPES)
      assert.ok(doc.includes(`\`${type}\``), `docs/protocol.md does not mention \`${type}\``);
  });

  it("refuses an event of no known type, and one with a field of the wrong type", () => {
    assert.equal(decodeRunEvent({ type: "nope", time: 1, seq: 1 }).ok, false);
    assert.equal(
      decodeRunEvent({
        type: "stage_end",
        time: 1,
        stage: "x",
        status: "finished",
        exit_code: "0",
        signal: null,
        seq: 2,
      }).ok,
      false,
    );
    assert.equal(
      decodeRunEvent({ type: "stage_end", time: 1, stage: "x", status: "finished", exit_code: 0, signal: null }).ok,
      false,
      "no seq: not a recorded event",
    );
  });
});
