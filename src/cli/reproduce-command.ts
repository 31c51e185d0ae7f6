/** `trellis reproduce`: run a recorded run again and compare its metrics with the original's. */
import path from "node:path";
import { attachLive, exitCodeOf } from "../app/attach.js";
import { setupEnvironment } from "../app/env.js";
import { findRun } from "../app/list-runs.js";
import { prepareRun } from "../app/prepare-run.js";
import { compareMetrics, readManifest, recordedEvents, recordedRecipe, whatChanged } from "../app/reproduce.js";
import { startDetached } from "../app/start-detached.js";
import { sanitise } from "../core/text/sanitise.js";
import { chooseView } from "../ui/choose-view.js";
import { quietView } from "../ui/plain-views.js";
import { envOptions, onlyPositional, parse, runsDirOf } from "./args.js";
import { interruptSignal } from "./interrupts.js";

export async function reproduceCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "reproduce");
  if (values.help) return help();
  const runsDir = path.resolve(runsDirOf(values["runs-dir"]));
  const original = findRun(runsDir, onlyPositional(positionals, "run id", "reproduce"));
  const manifest = readManifest(original);
  // The extras the original ran with (its recipe's and its --extra flags), plus any given now.
  const extras = [...(manifest.environment.extras ?? []).map((e) => e.name), ...envOptions(values).extras];
  const env = await setupEnvironment({ ...envOptions(values), extras, out: process.stderr });
  const changes = await whatChanged(manifest, env.python);
  const say = (line: string) => process.stderr.write(`${sanitise(line, { lines: true })}\n`);
  say(
    changes.length
      ? `reproducing ${path.basename(original)}; differences from the original:\n${changes.map((c) => `  - ${c}`).join("\n")}`
      : `reproducing ${path.basename(original)}: same data, packages and GPUs as recorded`,
  );
  const recipe = recordedRecipe(original);
  if (recipe.outputDirDropped)
    say(`its models go under the reproduction's own run folder, not ${recipe.outputDirDropped} (the original's)`);
  const prepared = await prepareRun({
    recipeFile: manifest.recipe.file,
    recipeText: recipe.text,
    runsDir,
    extras,
    environment: async () => env,
  });
  await prepared.manifestWritten;
  // --json prints the comparison, not the event stream.
  const view = values.json ? quietView() : await chooseView(values);
  const result = await attachLive(await startDetached(prepared), view, interruptSignal());
  const comparison = compareMetrics(await recordedEvents(original), await recordedEvents(prepared.runDir));
  const report = { original: path.basename(original), reproduction: prepared.runId, changes, ...comparison };
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  const d = comparison.first;
  say(
    comparison.identical
      ? `identical: ${comparison.values} metric values over ${comparison.steps} logged steps match ${report.original}`
      : `different: first at stage '${d!.stage}' step ${d!.step}: ${d!.metric} was ${String(d!.original)}, now ${String(d!.reproduced)}`,
  );
  return exitCodeOf(result) || (comparison.identical ? 0 : 1);
}
