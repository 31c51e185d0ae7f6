/**
 * Renders one stage as a standalone, readable Python script for a given TRL version. The
 * template varies only by trainer and TRL version (import path, keyword names); every recipe
 * value is read at run time from the JSON spec beside the script.
 */
import type { Trainer } from "../recipe/schema.js";
import { cpoImport, ktoImport, orpoImport, paddingFreeRendered, tokenizerKeyword } from "../trl/compat.js";
import { usesReference } from "../trl/presets.js";
import { formatVersion, type Version } from "../trl/version.js";
import { generationLines as gen } from "./generations-block.js";

const CLASSES: Record<Trainer, { config: string; trainer: string }> = {
  sft: { config: "SFTConfig", trainer: "SFTTrainer" },
  dpo: { config: "DPOConfig", trainer: "DPOTrainer" },
  orpo: { config: "ORPOConfig", trainer: "ORPOTrainer" },
  kto: { config: "KTOConfig", trainer: "KTOTrainer" },
  cpo: { config: "CPOConfig", trainer: "CPOTrainer" },
  simpo: { config: "CPOConfig", trainer: "CPOTrainer" }, // loss_type simpo: the spec's args carry it
};

/** Where the target TRL has each trainer's classes. */
function trainerModule(trainer: Trainer, trl: Version): string {
  if (trainer === "orpo") return orpoImport(trl);
  if (trainer === "kto") return ktoImport(trl);
  if (trainer === "cpo" || trainer === "simpo") return cpoImport(trl);
  return "trl";
}

interface ScriptInput {
  trainer: Trainer;
  stageId: string;
  /** File name of the JSON spec beside the script. Built from a validated stage id. */
  specFile: string;
  trl: Version;
  /** The recipe has a generations block (./generations-block.ts). */
  generations?: boolean;
}

/** The stage file names: `stage-2-dpo.py` and `stage-2-dpo.json`. */
export function stageFileBase(index: number, stageId: string): string {
  return `stage-${index}-${stageId}`;
}

export function renderScript(input: ScriptInput): string {
  const { config, trainer } = CLASSES[input.trainer];
  const module = trainerModule(input.trainer, input.trl);
  const tokenizerArg = tokenizerKeyword(input.trl);
  const needsReference = usesReference(input.trainer);
  const kto = input.trainer === "kto";
  // Only validated identifiers reach the template: the spec file name comes from a stage id
  // matching SAFE_ID; JSON.stringify makes it a valid Python string literal all the same.
  const specLiteral = JSON.stringify(input.specFile);
  const g = input.generations === true;
  const pf = paddingFreeRendered(input.trainer, input.trl);

  return `#!/usr/bin/env python3
"""Stage ${JSON.stringify(input.stageId).slice(1, -1)} of a trellis recipe: ${trainer} (TRL ${formatVersion(input.trl)}).

Rendered by trellis. Every recipe value (model, data, TRL arguments, LoRA) lives in the JSON
file beside this script; edit that, not this. Run it with the Python of an environment that
has TRL: \`python ${input.specFile.replace(/\.json$/, ".py")}\`; any ${config} argument can be
overridden on the command line as in TRL's own scripts (\`--learning_rate 1e-4\`; \`--help\`
lists them). Structured events go to the file descriptor in TRELLIS_EVENTS_FD or the file in
TRELLIS_EVENTS_FILE, when set.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # trellis_runtime, the helpers rendered beside this script

from trellis_runtime import environment  # noqa: E402
from trellis_runtime.arguments import load_spec, parse_config  # noqa: E402
from trellis_runtime.events import Emitter  # noqa: E402
from trellis_runtime.heartbeat import start_heartbeat  # noqa: E402

SPEC = load_spec(HERE / ${specLiteral})  # paths in it are relative to this folder


def train(emit: Emitter, argv: list[str]) -> None:
    """The stage: data, model, ${trainer}, training, saving; events on the way."""
    environment.prepare(SPEC)  # quiet offline-friendly defaults, seeds (LoRA init included)

    from peft import LoraConfig
    from ${module} import ${config}, ${trainer}

    from trellis_runtime import ${kto ? "kto, " : ""}${pf ? "padding_free, " : ""}probe, quantization
    from trellis_runtime.callback import TrellisCallback
    from trellis_runtime.data import load_datasets
    from trellis_runtime.merge import merge_stage
    from trellis_runtime.models import load_model, load_tokenizer, resolve_model_name
    from trellis_runtime.preference import preference_accuracy
    from trellis_runtime.provenance import describe
${g ? gen.importLine : ""}
    probe.apply(SPEC)  # batch planner probes only (TRELLIS_PROBE): a few steps, nothing saved
    quantization.check_device(SPEC)  # Liger, flash attention or bitsandbytes this machine cannot run
    emit.emit("stage_start", trainer=${JSON.stringify(input.trainer)}, **environment.describe_device())

    emit.emit("phase", phase="data")
    # Data first: a broken file or a missing column is reported before any model is loaded.
    data = load_datasets(SPEC["data"], ${JSON.stringify(input.trainer)}, SPEC["seed"], emit)
    data = probe.worst_case(data, SPEC["args"])  # batch planner probes only (TRELLIS_PROBE)
${kto ? ktoBalanceLine() : ""}    emit.emit("phase", phase="model")
    # The model to start from: the earlier stage's output, or the recipe's model.
    start_from = SPEC["from_dir"] or resolve_model_name(SPEC["model"])
    tokenizer = load_tokenizer(start_from, SPEC["model"], emit)
    model = load_model(start_from, SPEC["model"])
    # QLoRA (model.quantization): norms and embeddings in float32, input gradients on.
    model = quantization.prepare_for_training(model, SPEC["args"])
    peft_config = LoraConfig(**SPEC["peft"]) if SPEC["peft"] else None
${needsReference ? referenceBlock(input.trainer.toUpperCase()) : ""}
    # Events out; stop and checkpoint commands in; a checkpoint every N minutes of training.
    callback = TrellisCallback(emit, checkpoint_every_minutes=SPEC["checkpoint_every_minutes"])
${g ? gen.setup : ""}${pf ? paddingFreeLines.switch : ""}    # TRL turns bf16 on by default, which fails on a machine without a GPU.
    args = parse_config(${config}, environment.fit_precision(SPEC["args"], emit), argv)
    trainer = ${pf ? `padding_free.trainer_class(${trainer}, packed)` : trainer}(
        model=model,${needsReference ? "\n        ref_model=ref_model," : ""}
        args=args,
        train_dataset=data.train,
        eval_dataset=data.eval,
        ${tokenizerArg}=tokenizer,
        peft_config=peft_config,
        ${g ? gen.callbacks : "callbacks=[callback]"},
    )
    # TRL casts a QLoRA model's trainable modules_to_save copies to bf16: without autocast they fail.
    quantization.match_saved_modules(trainer.model, args)
    callback.watch(trainer)  # tokens, padding and examples per micro-batch: tokens/s and MFU

    emit.emit("provenance", **describe(SPEC, model, data, args))  # for the run manifest
    # TRL evaluates only when asked (eval_strategy defaults to "no"): say so, not show no curve.
    if data.eval is not None and getattr(args.eval_strategy, "value", args.eval_strategy) == "no":
        emit.notice(
            "eval-unused",
            "eval data is given but eval_strategy is 'no': no eval curve (set args.eval_strategy and eval_steps)",
        )
    if data.eval_pairs is None${kto ? " and data.eval is None" : ""} and SPEC["preference_eval"]:${kto ? "  # unpaired eval data: noted in load_datasets" : ""}
        emit.notice(
            "no-preference-eval",
            "no eval data: held-out preference accuracy is not measured (add data.eval: a file or {fraction: 0.05})",
        )

    def measure_preferences(when: str) -> None:
        """Held-out preference accuracy: is log p(chosen) > log p(rejected)?"""
        if data.eval_pairs is not None and SPEC["preference_eval"]:
            max_pairs = SPEC["preference_eval"]["max_pairs"]
            emit.emit("phase", phase="preference_eval", when=when, total=min(len(data.eval_pairs), max_pairs))
            result = preference_accuracy(trainer.model, tokenizer, data.eval_pairs, max_pairs)
            emit.emit("preference_eval", when=when, **result)

    measure_preferences("before")
${g ? gen.before : ""}    emit.emit("phase", phase="training")
    trainer.train(resume_from_checkpoint=SPEC.get("resume_from_checkpoint"))
    if probe.report(emit, callback):  # a planner probe: peak memory and tokens/s, nothing saved
        return
    if callback.stopped:  # stopped on request: the checkpoint saved at the last step is the result
        emit.emit("stopped", step=trainer.state.global_step, checkpoint=callback.last_checkpoint)
        return
    emit.emit("phase", phase="saving")
    trainer.save_model(args.output_dir)  # every rank: sharded (ZeRO-3, FSDP) weights are gathered
    if trainer.is_world_process_zero():  # one writer of the tokenizer files
        tokenizer.save_pretrained(args.output_dir)
    measure_preferences("after")
${g ? gen.after : ""}    merged = None
    if SPEC["merge"]:  # the adapter merged into its base (de-quantised for QLoRA): a model to serve
        del trainer, model  # the merge rebuilds the base: free the trained copy first
        merged = merge_stage(SPEC, out_dir=str(Path(args.output_dir) / "merged"), adapter_dir=args.output_dir)
    emit.emit("saved", path=args.output_dir, adapter=peft_config is not None, merged=merged)


def main(argv: list[str] | None = None) -> None:
    emit = Emitter.from_env(stage=SPEC["stage"]["id"])
    start_heartbeat(emit)  # so the supervisor can tell a long step from a stopped process
    emit.emit("phase", phase="environment")  # importing torch and TRL takes seconds: say so first
    with emit.guard():  # an exception becomes an error event, then exits non-zero as usual
        train(emit, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
`;
}

function ktoBalanceLine(): string {
  return `    # KTO weighs desirable and undesirable examples: balanced as TRL recommends when the recipe leaves both unset.
    SPEC["args"] = kto.balanced_weights(data.train, SPEC["args"], emit)
`;
}

const paddingFreeLines = {
  switch: `    # Padding-free batches (trellis_runtime/padding_free.py; TRL 1.13's own padding_free is off):
    # every sequence of a batch in one row, attention within each, no padding computed; the loss
    # is TRL's, equal to the padded one. Rendered because this TRL pins transformers 5; the
    # stage's \`padding_free: false\` turns it off, as does an older transformers (with a notice).
    packed = padding_free.take_switch(SPEC["args"], SPEC["stage"]["trainer"], emit)
`,
};

function referenceBlock(trainer: string): string {
  return `
    # ${trainer}'s reference model. With LoRA, TRL uses the policy with its adapter disabled (no
    # second copy in memory); otherwise a frozen copy of the starting model.
    ref_model = None if peft_config else load_model(start_from, SPEC["model"])
`;
}
