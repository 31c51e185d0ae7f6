/**
 * The version matrix: the three quickstarts run through `trellis run --env` in real environments
 * of older TRL releases (each with a transformers and peft of its day), exit 0, and their losses
 * fall. `npm test` runs each row's `ci` quickstarts with a few steps per stage; scripts/test-matrix.mjs versions
 * runs every row (TRELLIS_MATRIX=full) and commits the result to test/results/versions.txt.
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it, before } from "node:test";
import { execa } from "execa";
import { parse, stringify } from "yaml";
import {
  BIN,
  eventsOf,
  onlyRun,
  readEvents,
  RECIPES,
  ROOT,
  RUN_TIMEOUT_MS,
  trellis,
  workspace,
} from "../helpers/cli.js";
import { ROWS, rowEnvironment, type Row } from "../helpers/version-envs.js";
import { parseVersion } from "../../src/core/trl/version.js";
import { atLeast } from "../../src/core/trl/version.js";

const FULL = process.env.TRELLIS_MATRIX === "full";
const QUICKSTARTS = ["quickstart-orpo", "quickstart-sft-dpo", "quickstart-dpo-lora"] as const;
/** Enough steps for the loss to fall on the tiny model, few enough for CI (the full matrix trains the whole recipe). */
const CI_STEPS = 24;

/** A quickstart as the row's TRL takes it: SFT's `max_length` was `max_seq_length` before TRL 0.20. */
function recipeFor(name: string, row: Row, dir: string): string {
  const recipe = parse(readFileSync(path.join(RECIPES, `${name}.yaml`), "utf8")) as {
    name: string;
    stages: Array<{ trainer: string; args: Record<string, unknown> }>;
  };
  recipe.name = `${name}-trl-${row.trl}`;
  for (const stage of recipe.stages) {
    if (!FULL) stage.args = { ...stage.args, max_steps: CI_STEPS, logging_steps: 2 };
    if (stage.trainer === "sft" && !atLeast(parseVersion(row.trl)!, "0.20.0") && "max_length" in stage.args) {
      const { max_length, ...rest } = stage.args;
      stage.args = { ...rest, max_seq_length: max_length };
    }
  }
  const file = path.join(dir, `${recipe.name}.yaml`);
  writeFileSync(file, stringify(recipe));
  return file;
}

async function managedPython(): Promise<string> {
  const setup = await execa(process.execPath, [BIN, "env", "setup"], { cwd: ROOT, reject: false });
  assert.equal(setup.exitCode, 0, String(setup.stderr));
  const doctor = await execa(process.execPath, [BIN, "env", "doctor", "--json"], { cwd: ROOT, reject: false });
  return (JSON.parse(String(doctor.stdout)) as { python: { path: string } }).python.path;
}

const rows = ROWS.filter((r) => FULL || r.ci.length > 0);

describe(
  "version matrix: the quickstarts under older TRL, through trellis run --env",
  { timeout: RUN_TIMEOUT_MS * 4 },
  () => {
    let managed = "";
    before(async () => {
      managed = await managedPython();
    });

    for (const row of rows) {
      for (const quickstart of QUICKSTARTS.filter((q) => FULL || row.ci.includes(q))) {
        it(
          `TRL ${row.trl} (transformers ${row.transformers}, peft ${row.peft}): ${quickstart}`,
          { timeout: RUN_TIMEOUT_MS },
          async () => {
            const envDir = rowEnvironment(row, managed);
            const ws = workspace(`versions-${row.trl}`);
            cpSync(path.join(RECIPES, "data"), path.join(ws.dir, "data"), { recursive: true });
            const file = recipeFor(quickstart, row, ws.dir);
            const runs = path.join(ws.dir, "runs");
            const started = Date.now();
            const result = await trellis(["run", file, "--env", envDir, "--json", "--foreground", "--runs-dir", runs], {
              cwd: ws.dir,
              env: ws.env,
            });
            assert.equal(result.exitCode, 0, `${result.stderr}\n${result.stdout.slice(-2000)}`);
            assert.match(
              result.stderr,
              new RegExp(`using the environment .* as it is \\(trl ${row.trl.replace(/\./g, "\\.")}`),
            );
            const dir = onlyRun(runs);
            const events = readEvents(path.join(dir, "events.jsonl"));
            const stages = eventsOf(events, "stage_start").map((e) => e.stage);
            assert.ok(stages.length > 0, "no stage started");
            for (const stage of stages) {
              const losses = eventsOf(events, "metrics", stage ?? undefined).flatMap((m) =>
                typeof m.metrics.loss === "number" ? [m.metrics.loss] : [],
              );
              assert.ok(losses.length >= 2, `${stage}: ${losses.length} losses logged`);
              assert.ok(
                losses.at(-1)! < losses[0]!,
                `${stage}: the loss did not fall (${losses[0]} -> ${losses.at(-1)})`,
              );
              const start = eventsOf(events, "stage_start", stage ?? undefined)[0] as { trl_version?: string };
              assert.equal(start.trl_version, row.trl);
            }
            // The scripts were rendered for the environment's TRL.
            assert.match(
              readFileSync(path.join(dir, "scripts", "stage-1-" + stages[0] + ".py"), "utf8"),
              new RegExp(`\\(TRL ${row.trl.replace(/\./g, "\\.")}\\)`),
            );
            process.stderr.write(`# TRL ${row.trl} ${quickstart}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
          },
        );
      }
    }
  },
);
