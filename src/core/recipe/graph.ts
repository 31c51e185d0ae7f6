/** Stages run in the listed order, except that a stage always runs after the stage it starts `from`. */

interface StageLink {
  id: string;
  from?: string | undefined;
}

type StageOrder = { ok: true; order: number[] } | { ok: false; cycle: string[] };

/** A stable topological order of stage indexes, or the ids along a cycle. */
export function orderStages(stages: readonly StageLink[]): StageOrder {
  const index = new Map(stages.map((s, i) => [s.id, i]));
  const order: number[] = [];
  const state = new Array<"new" | "visiting" | "done">(stages.length).fill("new");
  const trail: number[] = [];

  const visit = (i: number): string[] | undefined => {
    if (state[i] === "done") return undefined;
    if (state[i] === "visiting") {
      const start = trail.indexOf(i);
      return [...trail.slice(start), i].map((j) => stages[j]!.id);
    }
    state[i] = "visiting";
    trail.push(i);
    const parent = stages[i]!.from;
    const p = parent === undefined ? undefined : index.get(parent);
    if (p !== undefined) {
      const cycle = visit(p);
      if (cycle) return cycle;
    }
    trail.pop();
    state[i] = "done";
    order.push(i);
    return undefined;
  };

  for (let i = 0; i < stages.length; i++) {
    const cycle = visit(i);
    if (cycle) return { ok: false, cycle };
  }
  return { ok: true, order };
}
