/**
 * The lines a rendered script gains when the recipe has a `generations` block: greedy answers to
 * the same prompts before training (the baseline, first stage only), every N steps (a callback)
 * and at the stage's end. Scripts of recipes without the block are unchanged.
 */
export const generationLines = {
  importLine: "    from trellis_runtime.generate import Generations\n",
  setup: `    # Greedy answers to the recipe's prompts: before training, every N steps, at the end.
    generations = Generations.from_spec(SPEC, data.eval_pairs, tokenizer, emit)
`,
  callbacks: "callbacks=[callback, *generations.callbacks()]",
  before: `    if SPEC["stage"]["index"] == 1:  # the starting model's answers: the baseline
        generations.run(trainer.model, "before", 0)
`,
  after: `    generations.run(trainer.model, "after", trainer.state.global_step)
`,
};
