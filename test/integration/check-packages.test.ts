/**
 * `trellis check` and `trellis run` name a package that a stage's args need and the environment
 * lacks, at the arg's file:line:col, with the command that adds it, before any Python starts
 * (`--python` and TRELLIS_PYTHON point at an interpreter that does not exist).
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { RECIPES, runDirs, trellis, workspace } from "../helpers/cli.js";

const ws = workspace("check-packages");
const env = { ...ws.env, TRELLIS_PYTHON: "/nonexistent/python3", TRELLIS_CACHE_DIR: path.join(ws.dir, "cache") };
const quickstart = readFileSync(path.join(RECIPES, "quickstart-orpo.yaml"), "utf8");
mkdirSync(path.join(ws.dir, "data"));
for (const f of ["colors-train.jsonl", "colors-eval.jsonl"])
  copyFileSync(path.join(RECIPES, "data", f), path.join(ws.dir, "data", f));

/** The quickstart with extra lines under the stage's args (and optionally top-level lines), written to `<name>.yaml`. */
function recipe(
  name: string,
  argLines: string[],
  topLines: string[] = [],
): { file: string; line: (needle: string) => number } {
  const text = `${topLines.map((l) => `${l}\n`).join("")}${quickstart.trimEnd()}\n${argLines.map((l) => `      ${l}\n`).join("")}`;
  const file = path.join(ws.dir, `${name}.yaml`);
  writeFileSync(file, text);
  return { file, line: (needle) => text.split("\n").findIndex((l) => l.includes(needle)) + 1 };
}

/** Both commands fail with exit 2 and exactly `expected` on stderr; run leaves no run directory. */
async function bothFail(file: string, expected: string, flags: string[] = []) {
  const check = await trellis(["check", file, ...flags], { cwd: ws.dir, env });
  assert.equal(check.exitCode, 2, check.stderr);
  assert.equal(check.stderr.trim(), expected);
  const runs = path.join(ws.dir, `runs-${path.basename(file, ".yaml")}`);
  const run = await trellis(["run", file, "--runs-dir", runs, "--python", "/nonexistent/python3", ...flags], {
    cwd: ws.dir,
    env,
  });
  assert.equal(run.exitCode, 2, run.stderr);
  assert.equal(run.stderr.trim(), expected);
  assert.deepEqual(runDirs(runs), [], "no run directory is left behind");
}

const ADD = (extra: string) => `add "extras: [${extra}]" to the recipe, or run with --extra ${extra}`;

describe("a package the args need and the environment lacks", () => {
  it("report_to: wandb", () => {
    const r = recipe("wandb", ["report_to: wandb"]);
    return bothFail(
      r.file,
      `wandb.yaml:${r.line("report_to")}:18: stages[0].args.report_to: report_to 'wandb' needs the package wandb, which the environment lacks: ${ADD("wandb")}`,
    );
  });

  it("report_to: [tensorboard] when the recipe's extras have only wandb", () => {
    const r = recipe("tensorboard", ["report_to: [none, tensorboard]"], ["extras: [wandb]"]);
    return bothFail(
      r.file,
      `tensorboard.yaml:${r.line("report_to")}:25: stages[0].args.report_to[1]: report_to 'tensorboard' needs the package tensorboard, which the environment lacks: ${ADD("tensorboard")}`,
    );
  });

  it("optim: adamw_bnb_8bit and paged_adamw_32bit need bitsandbytes", async () => {
    const a = recipe("bnb", ["optim: adamw_bnb_8bit"]);
    await bothFail(
      a.file,
      `bnb.yaml:${a.line("optim")}:14: stages[0].args.optim: optim 'adamw_bnb_8bit' needs the package bitsandbytes, which the environment lacks: ${ADD("bitsandbytes")}`,
    );
    const b = recipe("paged", ["optim: paged_adamw_32bit"]);
    await bothFail(
      b.file,
      `paged.yaml:${b.line("optim")}:14: stages[0].args.optim: optim 'paged_adamw_32bit' needs the package bitsandbytes, which the environment lacks: ${ADD("bitsandbytes")}`,
    );
  });

  it("deepspeed", () => {
    const r = recipe("deepspeed", ["deepspeed: {zero_optimization: {stage: 2}}"]);
    return bothFail(
      r.file,
      `deepspeed.yaml:${r.line("deepspeed:")}:18: stages[0].args.deepspeed: deepspeed needs the package deepspeed, which the environment lacks: ${ADD("deepspeed")}`,
    );
  });

  it("use_liger_kernel", () => {
    const r = recipe("liger", ["use_liger_kernel: true"]);
    return bothFail(
      r.file,
      `liger.yaml:${r.line("use_liger_kernel")}:25: stages[0].args.use_liger_kernel: use_liger_kernel: true needs the package liger-kernel, which the environment lacks: ${ADD("liger-kernel")}`,
    );
  });

  it("flash_attention_2: the extra exists but has no wheels here, and it says so", () => {
    const r = recipe("flash", ["model_init_kwargs:", "  attn_implementation: flash_attention_2"]);
    return bothFail(
      r.file,
      `flash.yaml:${r.line("attn_implementation")}:30: stages[0].args.model_init_kwargs.attn_implementation: attn_implementation 'flash_attention_2' needs the package flash-attn, which the environment lacks, and the flash-attn extra cannot be installed here: PyPI has flash-attn as source only, and it compiles only against a CUDA torch with nvcc (an hour or more): trellis has no lock for it. Use attn_implementation: sdpa`,
    );
  });

  it("a tracker no extra provides", () => {
    const r = recipe("mlflow", ["report_to: mlflow"]);
    return bothFail(
      r.file,
      `mlflow.yaml:${r.line("report_to")}:18: stages[0].args.report_to: report_to 'mlflow' needs the package mlflow, which the environment lacks and no trellis extra provides (extras: tensorboard, wandb, bitsandbytes, liger-kernel, deepspeed, matplotlib, lm-eval, flash-attn): remove it (trellis cannot install it)`,
    );
  });

  it("several at once, one line each, in file order", async () => {
    const r = recipe("several", ["optim: adamw_bnb_8bit", "report_to: [wandb]"]);
    const check = await trellis(["check", r.file], { cwd: ws.dir, env });
    assert.equal(check.exitCode, 2);
    assert.deepEqual(
      check.stderr
        .trim()
        .split("\n")
        .map((l) => l.split(": ")[1]),
      ["stages[0].args.optim", "stages[0].args.report_to[0]"],
    );
  });
});

describe("extras by name", () => {
  it("an unknown extra in the recipe is located, with a suggestion", () => {
    const r = recipe("unknown-extra", [], ["extras: [wandbb]"]);
    return bothFail(
      r.file,
      "unknown-extra.yaml:1:10: extras[0]: unknown extra 'wandbb'; did you mean 'wandb'? (extras: tensorboard, wandb, bitsandbytes, liger-kernel, deepspeed, matplotlib, lm-eval, flash-attn)",
    );
  });

  it("an unknown --extra names the flag", () => {
    const r = recipe("unknown-flag", []);
    return bothFail(
      r.file,
      "--extra: unknown extra 'tensorbord'; did you mean 'tensorboard'? (extras: tensorboard, wandb, bitsandbytes, liger-kernel, deepspeed, matplotlib, lm-eval, flash-attn)",
      ["--extra", "tensorbord"],
    );
  });

  it("the recipe's extras or --extra satisfy the check", async () => {
    const flagged = recipe("with-flag", ["report_to: [wandb, tensorboard]", "optim: paged_adamw_8bit"]);
    const ok = await trellis(
      ["check", flagged.file, "--extra", "wandb", "--extra", "tensorboard", "--extra", "bitsandbytes"],
      { cwd: ws.dir, env },
    );
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.match(ok.stdout, /with-flag\.yaml: ok \(orpo:orpo\)/);
    const listed = recipe(
      "with-extras",
      ["report_to: wandb", "use_liger_kernel: true"],
      ["extras: [wandb, liger-kernel]"],
    );
    const ok2 = await trellis(["check", listed.file], { cwd: ws.dir, env });
    assert.equal(ok2.exitCode, 0, ok2.stderr);
  });
});
