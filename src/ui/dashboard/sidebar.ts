/**
 * The wide layout's sidebar (120x40 and larger): every stage with its status, steps and
 * preference accuracy; the newest alerts with their advice; the latest eval; notices. Exactly
 * `rows` lines of exactly `width` cells, each starting with a rule.
 */
import { stageMark } from "./header.js";
import { formatAlert } from "./health-line.js";
import { clock } from "../../core/clock.js";
import { stageSeconds } from "../../core/run/state.js";
import { compact } from "./numbers.js";
import { padEnd, wrapWords } from "./text.js";
import type { PanelContext } from "./panel-context.js";

/** Columns the sidebar takes, its rule included (docs/design/DASHBOARD.md §5.2 gives it 36). */
export const SIDEBAR_WIDTH = 36;
const ALERTS_SHOWN = 3;
const NOTICES_SHOWN = 3;

export function sidebarLines(v: PanelContext, rows: number): string[] {
  const { state, paint } = v;
  const inner = SIDEBAR_WIDTH - 2;
  const out: string[] = [];
  const add = (text: string, indent = "   ") => out.push(...wrapWords(text, inner, indent));
  const head = (text: string) => out.push(paint.bold(text));

  head("stages");
  state.run.stages.forEach((s, i) => {
    const steps = s.maxSteps !== null ? `${s.step}/${s.maxSteps}` : s.step ? String(s.step) : "";
    const seconds = stageSeconds(s, v.now);
    const took = seconds !== null ? clock(seconds) : "";
    const tab = i + 1 === v.shown?.index ? paint.inverse(s.id) : s.id;
    add(` ${stageMark(s, v)} ${tab} ${s.trainer}  ${steps}  ${took}`.trimEnd());
    if (s.preferenceBefore !== null || s.preferenceAfter !== null)
      add(`   pref acc ${fmt(s.preferenceBefore)} ${v.sym.arrow} ${fmt(s.preferenceAfter)}`);
    if (s.reason) add(`   ${paint.red(s.reason)}`);
  });

  const d = v.shown?.detail;
  if (d && d.evalStep !== null) {
    head(`eval @${d.evalStep}`);
    for (const [k, val] of Object.entries(d.evalLatest)
      .filter(([k]) => !/runtime|per_second|num_tokens/.test(k))
      .slice(0, 4))
      add(` ${k.replace(/^eval_/, "")} ${compact(val, 7)}`);
  }
  if (d?.lastCheckpoint)
    add(`${paint.dim("ckpt")} @${d.lastCheckpoint.step} ${d.lastCheckpoint.path.split(/[\\/]/).at(-1) ?? ""}`, " ");

  head(`alerts (${state.alerts.length})`);
  if (!state.alerts.length) add(paint.dim(" none: every check passes"));
  for (const a of [...state.alerts].reverse().slice(0, ALERTS_SHOWN)) add(` ${formatAlert(a, v)}`);

  if (state.run.notices.length) {
    head("notices");
    for (const n of [...new Set(state.run.notices)].slice(-NOTICES_SHOWN)) add(` ${paint.dim(n)}`);
  }

  const lines = out.slice(0, rows);
  while (lines.length < rows) lines.push("");
  return lines.map((l) => paint.dim(v.sym.box.v) + " " + padEnd(l, inner));
}

function fmt(x: number | null): string {
  return x === null ? "-" : x.toFixed(2);
}
