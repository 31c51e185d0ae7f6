/**
 * `trellis compare`: runs each arm as an ordinary trellis run (runs/<run-id>/, so ls, attach
 * and logs work on it), one after another on this machine, then reads every arm's events and
 * writes runs/<compare-id>/report.md with the scores, the cost, the plot and the generations.
 * The comparison's record is written as each arm's run is created, so an interrupted
 * comparison resumes arm by arm (`--resume <compare-id>`): finished arms are kept, the
 * interrupted one continues from its checkpoint, the rest start.
 */
import path from "node:path";
import {
  compareFiles,
  createCompareDir,
  listComparisons,
  readRecord,
  writeRecord,
  writeText,
  type CompareRecord,
} from "../adapters/compare-dir.js";
import { readAllEvents } from "../adapters/event-file.js";
import { fileLogger } from "../adapters/logger.js";
import { sha256Text } from "../adapters/hash.js";
import { lockSha256 } from "../adapters/package-files.js";
import { drawPlot as draw } from "../adapters/plot.js";
import { newRunId, runFiles } from "../adapters/run-dir.js";
import { advise, plannedPasses, readMeasurement, startOf, type Advice } from "../core/compare/advice.js";
import { armResult, type ArmResult, type Scores } from "../core/compare/arm-result.js";
import { CompareError } from "../core/compare/arms.js";
import { reportMarkdown } from "../core/compare/report.js";
import { readScores, scoresMarkdown } from "../core/eval/score-report.js";
import type { EvaluationScores } from "../core/eval/score-summary.js";
import { attachLive, type RunView } from "./attach.js";
import { scoreComparison } from "./compare-scores.js";
import { loadComparison, trainPairs, type LoadedArm, type LoadedComparison } from "./compare-arms.js";
import { readPreparedRun, readSupervisor, writePreparedRun } from "./prepared-run.js";
import { prepareResume } from "./resume.js";
import { prepareRun, type PreparedEnvironment } from "./prepare-run.js";
import { checkModelAvailable } from "./check-model.js";
import { startSupervisor, type FinalStatus } from "./supervisor.js";
import { judgeArms, type CompareJudgeOptions } from "./compare-judge.js";

/** The plot's size: fixed, so the README and the test know what to expect. */
export const PLOT = { width: 1200, height: 450, dpi: 100 } as const;
export const PLOT_EXTRA = "matplotlib";

interface CompareOptions {
  /** One comparison file, or two or more recipes. Ignored with `resume`. */
  files: string[];
  runsDir: string;
  /** Continue this comparison (its id, or a unique prefix). */
  resume?: string;
  environment: (extras: string[]) => Promise<PreparedEnvironment>;
  /** The Python of an environment with the matplotlib extra; null draws no plot. */
  plotPython: (() => Promise<string>) | null;
  /** A fresh view for each arm's run (the dashboard, the progress line or JSON lines). */
  view: () => Promise<RunView>;
  interrupt?: AbortSignal;
  say: (line: string) => void;
  /** Judge every arm against the starting model and each other (`--judge`, `--judge-url`). */
  judge?: CompareJudgeOptions;
}

export interface CompareOutcome {
  id: string;
  dir: string;
  status: FinalStatus;
  /** The arm that failed or was stopped. */
  stoppedArm?: string;
  arms: ArmResult[];
  baseline: Scores | null;
  advice: Advice;
  report?: string;
  /** Reward-model and benchmark scores, where the comparison file asks for them. */
  evaluation?: EvaluationScores;
}

export async function runCompare(o: CompareOptions): Promise<CompareOutcome> {
  const { dir, record, comparison } = o.resume ? await reopen(o.runsDir, o.resume) : await create(o.files, o.runsDir);
  o.say(`trellis compare ${record.id}: ${comparison.arms.map((a) => a.name).join(" vs ")}`);
  const log = fileLogger(compareFiles(dir).log);
  for (const [i, arm] of comparison.arms.entries()) {
    const entry = record.arms[i]!;
    const status = await runArm(arm, entry, o, () => writeRecord(dir, record), log);
    if (status !== "finished") {
      o.say(`arm ${arm.name} ${status}: continue the comparison with: trellis compare --resume ${record.id}`);
      return {
        id: record.id,
        dir,
        status,
        stoppedArm: arm.name,
        arms: [],
        baseline: null,
        advice: adviceFor(comparison),
      };
    }
  }
  return finish(dir, record, comparison, o);
}

async function create(inputs: string[], runsDir: string) {
  const comparison = await loadComparison(inputs, runsDir);
  // Every arm's model loadable here, before the first arm trains for minutes.
  for (const arm of comparison.arms) await checkModelAvailable(arm.loaded, arm.file);
  const id = newRunId(comparison.name);
  const dir = path.join(runsDir, id);
  createCompareDir(dir);
  const record: CompareRecord = {
    id,
    name: comparison.name,
    createdAt: new Date().toISOString(),
    files: inputs.map((f) => path.resolve(f)),
    arms: comparison.arms.map((a) => ({ name: a.name, file: a.path, recipeSha256: sha256Text(a.text), runId: null })),
  };
  writeRecord(dir, record);
  return { dir, record, comparison };
}

/** A comparison's directory by id or unique prefix: folders of runsDir holding compare.json. */
export function findComparison(runsDir: string, query: string): string {
  const ids = listComparisons(runsDir);
  const matches = ids.includes(query) ? [query] : ids.filter((id) => id.startsWith(query) || id.includes(query));
  if (matches.length !== 1)
    throw new CompareError(
      matches.length
        ? `'${query}' matches several comparisons: ${matches.join(", ")}`
        : `no comparison matches '${query}' in ${runsDir}`,
    );
  return path.join(runsDir, matches[0]!);
}

async function reopen(runsDir: string, query: string) {
  const dir = findComparison(runsDir, query);
  const record = readRecord(dir)!;
  const comparison = await loadComparison(record.files, runsDir);
  const changed = comparison.arms.filter(
    (a, i) => sha256Text(a.text) !== record.arms[i]?.recipeSha256 || a.path !== record.arms[i]?.file,
  );
  if (changed.length || comparison.arms.length !== record.arms.length) {
    throw new CompareError(
      `not resuming ${record.id}: ${changed.map((a) => a.file).join(", ") || "the list of arms"} changed since it started; start a new comparison (trellis compare ${record.files.map((f) => path.relative(process.cwd(), f)).join(" ")})`,
    );
  }
  return { dir, record, comparison };
}

/** Runs (or resumes, or skips) one arm; returns how its run ended. */
async function runArm(
  arm: LoadedArm,
  entry: CompareRecord["arms"][number],
  o: CompareOptions,
  save: () => void,
  log: ReturnType<typeof fileLogger>,
): Promise<FinalStatus> {
  let prepared;
  if (entry.runId) {
    const runDir = path.join(o.runsDir, entry.runId);
    const events = await readAllEvents(runFiles(runDir).events).catch(() => []);
    if (
      events.some((e) => e.type === "run_end" && e.status === "finished") &&
      !events.some((e) => e.type === "run_resumed" && e.seq > events.findLast((x) => x.type === "run_end")!.seq)
    ) {
      o.say(`arm ${arm.name}: finished earlier (${entry.runId})`);
      return "finished";
    }
    if (readSupervisor(runDir))
      throw new CompareError(
        `arm ${arm.name} (${entry.runId}) is still running: wait for it (trellis attach ${entry.runId}), then resume the comparison`,
      );
    // compare checked the arm's recipe text itself (it differs from the file by the comparison's
    // settings); the environment lock is still checked here.
    if (lockSha256() !== readPreparedRun(runDir).lockSha256)
      throw new CompareError(
        `not resuming arm ${arm.name}: the environment lock (python/requirements.lock) changed since its run started`,
      );
    const resumed = await prepareResume(runDir, { force: true });
    prepared = { ...resumed, notices: resumed.notices.filter((n) => n.code !== "resume_forced") };
    writePreparedRun(prepared);
    o.say(`arm ${arm.name}: resuming ${entry.runId}`);
  } else {
    const fresh = await prepareRun({
      recipeFile: arm.path,
      recipeText: arm.text,
      runsDir: o.runsDir,
      environment: o.environment,
    });
    entry.runId = fresh.runId;
    save();
    await fresh.manifestWritten;
    prepared = fresh;
    o.say(`arm ${arm.name}: ${prepared.runId}`);
  }
  log.info({ arm: arm.name, run: prepared.runId }, "arm starts");
  const supervisor = await startSupervisor(prepared, fileLogger(runFiles(prepared.runDir).log));
  await attachLive({ url: supervisor.url, token: supervisor.token }, await o.view(), o.interrupt);
  const done = await supervisor.done;
  log.info({ arm: arm.name, status: done.status }, "arm ended");
  return done.status;
}

function adviceFor(comparison: LoadedComparison): Advice {
  const first = comparison.arms[0]!;
  const pairs = trainPairs(first);
  return advise({
    pairs,
    start: startOf(first.recipe),
    arms: comparison.arms.map((a) => ({
      name: a.name,
      passes: plannedPasses(a.recipe, pairs),
      trainers: a.recipe.stages.map((s) => s.trainer),
    })),
  });
}

/** `trellis compare --advise`: the reading before anything runs, from the data and the model. */
export async function adviseOnly(inputs: string[], runsDir: string): Promise<Advice> {
  if (inputs.length === 1) {
    // One recipe is one arm: its data and model still say which way the rules lean.
    const { loadRecipe } = await import("./load-recipe.js");
    const { isCompareFile } = await import("../core/compare/spec.js");
    const { readYamlMapping } = await import("./import.js");
    if (!isCompareFile((await readYamlMapping(inputs[0]!)).raw)) {
      const loaded = await loadRecipe(inputs[0]!, path.resolve(runsDir, "pending", "output"));
      const arm = {
        name: loaded.recipe.name,
        file: inputs[0]!,
        path: inputs[0]!,
        recipe: loaded.recipe,
        resolvedData: null,
        text: loaded.text,
        loaded,
      };
      const pairs = trainPairs(arm);
      return advise({
        pairs,
        start: startOf(loaded.recipe),
        arms: [
          {
            name: arm.name,
            passes: plannedPasses(loaded.recipe, pairs),
            trainers: loaded.recipe.stages.map((s) => s.trainer),
          },
        ],
      });
    }
  }
  return adviceFor(await loadComparison(inputs, runsDir));
}

async function finish(
  dir: string,
  record: CompareRecord,
  comparison: LoadedComparison,
  o: CompareOptions,
): Promise<CompareOutcome> {
  const arms: Array<ArmResult & { file: string }> = [];
  for (const [i, arm] of comparison.arms.entries()) {
    const runDir = path.join(o.runsDir, record.arms[i]!.runId!);
    arms.push({ ...armResult(arm.name, await readAllEvents(runFiles(runDir).events)), file: arm.file });
  }
  const baseline = arms[0]!.baseline;
  const advice = adviceFor(comparison);
  const reading = readMeasurement(
    advice,
    baseline,
    arms.map((a) => ({ name: a.name, trainers: a.trainers, final: a.final, device_s: a.total.device_s })),
  );
  const disagree = arms.filter((a) => a.baseline?.accuracy !== baseline?.accuracy);
  if (disagree.length)
    reading.push(
      `The starting model scored differently in ${disagree.map((a) => a.name).join(", ")} (${disagree.map((a) => a.baseline?.accuracy).join(", ")} against ${baseline?.accuracy}): the baseline row is ${arms[0]!.name}'s.`,
    );
  const scored = await scoreComparison({
    settings: comparison.scores,
    specDir: comparison.specDir,
    runsDir: o.runsDir,
    arms: arms.map((a, i) => ({ name: a.name, runId: record.arms[i]!.runId!, result: a })),
    seed: comparison.arms[0]!.recipe.seed,
    python: async (extras) => (await o.environment(extras)).python,
    say: o.say,
  });
  const evaluation = scored.scores;
  reading.push(
    ...readScores(
      evaluation,
      arms.map((a) => ({ name: a.name, accuracy: a.final?.accuracy ?? null })),
    ),
  );
  if (scored.record.reward || scored.record.benchmarks) writeRecord(dir, { ...record, evaluation: scored.record });
  const f = compareFiles(dir);
  writeText(
    f.curves,
    `${JSON.stringify({ ...PLOT, xlabel: deviceLabel(arms), arms: arms.map((a) => ({ name: a.name, loss: a.curves.loss.map(toXY), accuracy: a.curves.accuracy.map(toXY) })) })}\n`,
  );
  const plot = await drawPlot(f.curves, f.plot, o);
  const judged = o.judge ? await judgeArms(dir, arms, o.judge, o.say) : null;
  const scoreSection = scoresMarkdown(
    evaluation,
    arms.map((a) => ({ name: a.name, device_s: a.total.device_s })),
    deviceLabel(arms).replace("-seconds", ""),
  );
  const report = reportMarkdown({
    id: record.id,
    name: record.name,
    arms,
    baseline,
    advice,
    reading,
    plot,
    judged: judged?.section,
    scoreSection,
  });
  writeText(f.report, report);
  const judge = judged ? { judge: { ...judged.result, manifest: judged.record } } : {};
  writeText(
    f.result,
    `${JSON.stringify({ id: record.id, baseline, arms, advice, reading, plot, evaluation, scored_with: scored.record, ...judge }, null, 2)}\n`,
  );
  return { id: record.id, dir, status: "finished", arms, baseline, advice, report: f.report, evaluation };
}

const toXY = (p: { stage: string; device_s: number; y: number }) => ({ stage: p.stage, x: p.device_s, y: p.y });

function deviceLabel(arms: readonly ArmResult[]): string {
  return arms.flatMap((a) => a.stages).some((s) => s.device === "gpu") ? "GPU-seconds" : "CPU-seconds";
}

async function drawPlot(
  curves: string,
  out: string,
  o: CompareOptions,
): Promise<{ file: string; width: number; height: number } | { missing: string }> {
  if (!o.plotPython) return { missing: "plotting was turned off (--no-plot)" };
  try {
    const png = await draw(await o.plotPython(), curves, out);
    return { file: path.basename(out), width: png.width, height: png.height };
  } catch (err) {
    const reason = ((err as { stderr?: string }).stderr?.trim().split("\n").at(-1) ?? (err as Error).message).slice(
      0,
      300,
    );
    o.say(`no plot: ${reason}`);
    return { missing: `drawing it failed (${reason})` };
  }
}
