/** `trellis compare`: run arms on the same data and score them alike; `--advise`, `--show`, `--resume`. */
import { sanitise, sanitiseDeep } from "../core/text/sanitise.js";
import path from "node:path";
import { setupEnvironment } from "../app/env.js";
import { adviseOnly, findComparison, PLOT_EXTRA, runCompare, type CompareOutcome } from "../app/compare.js";
import { compareFiles, readJson } from "../adapters/compare-dir.js";
import type { Advice } from "../core/compare/advice.js";
import type { ArmResult, Scores } from "../core/compare/arm-result.js";
import { scoresPlain } from "../core/eval/score-report.js";
import type { EvaluationScores } from "../core/eval/score-summary.js";
import { chooseView } from "../ui/choose-view.js";
import { envOptions, parse, runsDirOf, UsageError } from "./args.js";
import { intOf, judgeOf } from "./eval-command.js";

export async function compareCommand(rest: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(rest, "compare");
  if (values.help) return help();
  const runsDir = path.resolve(runsDirOf(values["runs-dir"]));
  const say = (line: string) => process.stderr.write(`${sanitise(line, { lines: true })}\n`);

  if (values.advise) {
    if (!positionals.length)
      throw new UsageError("compare --advise takes a recipe, a comparison file, or the arms' recipes");
    const advice = await adviseOnly(positionals, runsDir);
    if (values.json) process.stdout.write(`${JSON.stringify(advice)}\n`);
    else process.stdout.write(adviceText(advice));
    return 0;
  }
  if (values.show !== undefined) {
    const dir = findComparison(runsDir, values.show);
    const result = readJson(compareFiles(dir).result) as {
      id: string;
      arms: ArmResult[];
      baseline: Scores | null;
      evaluation?: EvaluationScores;
    };
    await show(result.id, result.arms, result.baseline, Boolean(values.plain || values.json), result.evaluation);
    return 0;
  }
  if (values.resume === undefined && !positionals.length)
    throw new UsageError(
      "compare takes a comparison file (with a compare: list) or two or more recipes (see trellis compare --help)",
    );
  if (values.resume !== undefined && positionals.length)
    throw new UsageError("compare --resume takes only the comparison's id");

  const env = envOptions(values);
  const interrupt = new AbortController();
  let count = 0;
  process.on("SIGINT", () => {
    if (++count > 1) process.exit(130);
    say(
      "\nstopping the current arm: it saves a checkpoint; trellis compare --resume continues (Ctrl-C again to leave)",
    );
    interrupt.abort();
  });
  const outcome = await runCompare({
    files: positionals,
    runsDir,
    resume: values.resume,
    environment: (extras) => setupEnvironment({ ...env, extras: [...extras, ...env.extras], out: process.stderr }),
    plotPython: values["no-plot"]
      ? null
      : async () => (await setupEnvironment({ ...env, extras: [PLOT_EXTRA], out: process.stderr })).python,
    view: () => chooseView(values),
    interrupt: interrupt.signal,
    say,
    // Judged win rates (src/app/compare-judge.ts), only when a judge is named.
    judge:
      values.judge || values["judge-url"]
        ? {
            judge: judgeOf(values, intOf(values["judge-retries"], "--judge-retries")),
            judgePromptFile: values["judge-prompt"],
            python: async () => (await setupEnvironment({ ...env, out: process.stderr })).python,
          }
        : undefined,
  });
  if (values.json) process.stdout.write(`${JSON.stringify(outcomeJson(outcome))}\n`);
  if (outcome.status !== "finished") return outcome.status === "stopped" ? 130 : 1;
  if (!values.json) await show(outcome.id, outcome.arms, outcome.baseline, Boolean(values.plain), outcome.evaluation);
  say(`report: ${path.relative(process.cwd(), outcome.report!) || outcome.report}`);
  return 0;
}

/** The compare view: interactive on a terminal, else printed once. */
async function show(
  ...shown: [string, ArmResult[], Scores | null, boolean, EvaluationScores | undefined]
): Promise<void> {
  // Names and texts from the recipes and their data, through the one terminal sanitiser.
  const [title, arms, baseline, plain, evaluation] = sanitiseDeep(shown);
  // Reward means, win rates and benchmark changes: printed under the view, whichever it is.
  const scoreLines = evaluation ? scoresPlain(evaluation) : [];
  if (!plain && process.stdout.isTTY && process.stdin.isTTY) {
    const [{ render }, { createElement }, { CompareScreen }] = await Promise.all([
      import("ink"),
      import("react"),
      import("../ui/compare/compare-screen.js"),
    ]);
    const app = render(createElement(CompareScreen, { arms, baseline, title }));
    await app.waitUntilExit();
    if (scoreLines.length) process.stderr.write(`${scoreLines.join("\n")}\n`);
    return;
  }
  const { compareFrame } = await import("../ui/compare/compare-frame.js");
  const columns = process.stderr.isTTY ? process.stderr.columns : 120;
  const lines = compareFrame(arms, baseline, { columns, rows: 200, theme: { color: false, glyphs: "braille" }, title });
  process.stderr.write(`${[...lines, ...scoreLines].join("\n")}\n`);
}

function outcomeJson(o: CompareOutcome) {
  return {
    type: "compare_end",
    id: o.id,
    dir: o.dir,
    status: o.status,
    stopped_arm: o.stoppedArm ?? null,
    report: o.report ?? null,
    baseline: o.baseline,
    arms: o.arms.map((a) => ({
      name: a.name,
      run_id: a.runId,
      status: a.status,
      final: a.final,
      total: a.total,
      stages: a.stages,
    })),
    advice: o.advice,
    evaluation: o.evaluation ?? null,
  };
}

function adviceText(a: Advice): string {
  const lines = [
    `${a.summary}`,
    ...a.signals.map(
      (s) =>
        `  - ${s.what}: ${s.why} (${s.lean === "either" ? "no lean" : s.lean === "orpo" ? "leans ORPO" : "leans SFT then DPO"})`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}
