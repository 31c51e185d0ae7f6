/**
 * What a run's supervisor keeps of its events, folded one event at a time (pure): the run's
 * state for viewers, the throughput totals for the manifest, the provenance events, the last
 * sequence number and where the current attempt began.
 */
import type { RunEvent } from "../events/protocol.js";
import { foldThroughput, type ThroughputTotals } from "../perf/average.js";
import { initialState, reduce, type RunState } from "./state.js";

type ProvenanceEvent = Extract<RunEvent, { type: "provenance" }>;

export interface RunFold {
  state: RunState;
  throughput: ReadonlyMap<string, ThroughputTotals>;
  /** The provenance events of this attempt (a resumed run's earlier ones are in its manifest). */
  provenance: readonly ProvenanceEvent[];
  lastSeq: number;
  /** The seq of the run_resumed that began this attempt: the replay marks what came before as history. */
  attemptStart: number;
}

/**
 * The fold of the events already on file (a resumed run goes on in the same events.jsonl):
 * state, throughput and numbering continue from them, provenance and the attempt start afresh.
 */
export function foldHistory(history: readonly RunEvent[]): RunFold {
  return {
    state: history.reduce(reduce, initialState),
    throughput: history.reduce(foldThroughput, new Map<string, ThroughputTotals>()),
    provenance: [],
    lastSeq: history.at(-1)?.seq ?? 0,
    attemptStart: 0,
  };
}

/** The fold after one more event of this attempt, once it is on disk. */
export function foldRunEvent(fold: RunFold, e: RunEvent): RunFold {
  return {
    state: reduce(fold.state, e),
    throughput: foldThroughput(fold.throughput, e),
    provenance: e.type === "provenance" ? [...fold.provenance, e] : fold.provenance,
    lastSeq: e.seq,
    attemptStart: e.type === "run_resumed" ? e.seq : fold.attemptStart,
  };
}
