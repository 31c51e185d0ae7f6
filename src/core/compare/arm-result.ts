/**
 * What one arm's events say, in the terms a comparison needs: the cost of each stage (wall time,
 * device-seconds, tokens), the held-out scores of the starting model and of the arm's final
 * model, the generations, and curves on axes that mean the same in every arm (device-seconds
 * and tokens, not steps). Read from events alone, so the report can be rebuilt from events.jsonl.
 */
import { type RunEvent, type Sample, type Usage } from "../events/protocol.js";

interface StageCost {
  stage: string;
  trainer: string;
  status: string;
  steps: number;
  /** From the stage's first event to its stage_end, summed over resumed segments. */
  wall_s: number;
  device_s: number;
  device: "cpu" | "gpu";
  devices: number;
  tokens: number;
}

export interface Scores {
  pairs: number;
  accuracy: number | null;
  accuracy_sum: number | null;
  margin: number | null;
  margin_sum: number | null;
  chosen_nll: number | null;
}

export interface Point {
  stage: string;
  device_s: number;
  tokens: number;
  y: number;
}

interface GenerationsAt {
  stage: string;
  when: "before" | "step" | "after";
  step: number;
  samples: Sample[];
}

export interface ArmResult {
  name: string;
  runId: string | null;
  status: string;
  trainers: string[];
  stages: StageCost[];
  total: { wall_s: number; device_s: number; tokens: number };
  baseline: Scores | null;
  /** Scores after each stage, in order; the last is the arm's result. */
  after: Array<{ stage: string; scores: Scores }>;
  final: Scores | null;
  generations: GenerationsAt[];
  curves: { loss: Point[]; accuracy: Point[] };
}

type PreferenceEval = Extract<RunEvent, { type: "preference_eval" }>;

function scoresOf(e: PreferenceEval): Scores {
  return {
    pairs: e.pairs,
    accuracy: e.accuracy,
    accuracy_sum: e.accuracy_sum ?? null,
    margin: e.margin ?? null,
    margin_sum: e.margin_sum ?? null,
    chosen_nll: e.chosen_nll ?? null,
  };
}

export function armResult(name: string, events: readonly RunEvent[]): ArmResult {
  const start = events.find((e) => e.type === "run_start");
  const trainerOf = new Map(start?.type === "run_start" ? start.stages.map((s) => [s.id, s.trainer]) : []);
  const costs = new Map<string, StageCost>();
  const cost = (stage: string) => {
    let c = costs.get(stage);
    if (!c)
      costs.set(
        stage,
        (c = {
          stage,
          trainer: trainerOf.get(stage) ?? "?",
          status: "pending",
          steps: 0,
          wall_s: 0,
          device_s: 0,
          device: "cpu",
          devices: 1,
          tokens: 0,
        }),
      );
    return c;
  };
  // One segment per stage process: a resumed stage has several, each counting from its own start.
  const opened = new Map<string, number>();
  const lastUsage = new Map<string, Usage>();
  let offset = { device_s: 0, tokens: 0 };
  const at = (stage: string) => {
    const u = lastUsage.get(stage);
    return { device_s: offset.device_s + (u?.device_s ?? 0), tokens: offset.tokens + (u?.tokens ?? 0) };
  };
  const out: ArmResult = {
    name,
    runId: start?.type === "run_start" ? start.run_id : null,
    status: "running",
    trainers: [...trainerOf.values()],
    stages: [],
    total: { wall_s: 0, device_s: 0, tokens: 0 },
    baseline: null,
    after: [],
    final: null,
    generations: [],
    curves: { loss: [], accuracy: [] },
  };

  for (const e of events) {
    const stage = e.stage ?? null;
    if (stage && !opened.has(stage) && e.type !== "stage_end") opened.set(stage, e.time);
    switch (e.type) {
      case "metrics": {
        if (!stage) break;
        cost(stage).steps = e.step;
        if (e.usage) lastUsage.set(stage, e.usage);
        const loss = e.metrics.loss;
        if (typeof loss === "number" && Number.isFinite(loss)) out.curves.loss.push({ stage, ...at(stage), y: loss });
        break;
      }
      case "usage":
        if (stage) lastUsage.set(stage, e);
        break;
      case "preference_eval": {
        if (!stage) break;
        const scores = scoresOf(e);
        if (e.when === "before" && !out.baseline) out.baseline = scores;
        if (e.when === "after") out.after.push({ stage, scores });
        if (e.accuracy !== null) out.curves.accuracy.push({ stage, ...at(stage), y: e.accuracy });
        break;
      }
      case "generations":
        if (stage) out.generations.push({ stage, when: e.when, step: e.step, samples: e.samples });
        break;
      case "stage_end": {
        const c = cost(e.stage);
        c.status = e.status;
        const began = opened.get(e.stage);
        if (began !== undefined) c.wall_s += Math.max(0, e.time - began);
        opened.delete(e.stage);
        const u = lastUsage.get(e.stage);
        if (u) {
          c.device_s += u.device_s;
          c.tokens += u.tokens;
          c.device = u.device;
          c.devices = u.devices;
          offset = { device_s: offset.device_s + u.device_s, tokens: offset.tokens + u.tokens };
        }
        lastUsage.delete(e.stage);
        break;
      }
      case "run_end":
        out.status = e.status;
        break;
      default:
        break;
    }
  }
  const order = [...trainerOf.keys()];
  out.stages = [...costs.values()].sort((a, b) => order.indexOf(a.stage) - order.indexOf(b.stage));
  out.total = out.stages.reduce(
    (t, s) => ({ wall_s: t.wall_s + s.wall_s, device_s: t.device_s + s.device_s, tokens: t.tokens + s.tokens }),
    { wall_s: 0, device_s: 0, tokens: 0 },
  );
  out.final = out.after.at(-1)?.scores ?? null;
  return out;
}

/** The starting model's answers (the first stage's `before` generations). */
export function baselineSamples(arm: ArmResult): Sample[] | null {
  return arm.generations.find((g) => g.when === "before")?.samples ?? null;
}

/** The arm's final answers (the last stage's `after` generations). */
export function finalSamples(arm: ArmResult): Sample[] | null {
  return arm.generations.findLast((g) => g.when === "after")?.samples ?? null;
}
