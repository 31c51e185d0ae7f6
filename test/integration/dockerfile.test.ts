/** The Dockerfile cannot be built here (no Docker engine): check what it relies on. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/cli.js";
import { cudaOf, LOCK_FILES, TORCH_BACKENDS, type TorchBackend } from "../../src/core/env/torch-backend.js";

const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");

describe("Dockerfile", () => {
  it("copies only files that exist", () => {
    const copies = [...dockerfile.matchAll(/^COPY\s+(.+?)\s+\S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    assert.ok(copies.length >= 5);
    for (const source of copies) assert.ok(existsSync(path.join(ROOT, source)), `COPY ${source}`);
  });
  it("uses a CUDA base, the Node major the package supports, and builds the managed environment", () => {
    assert.match(dockerfile, /^ARG CUDA_BASE=\S+-runtime-/m);
    assert.match(dockerfile, /^FROM nvidia\/cuda:\$\{CUDA_BASE\}$/m);
    const { engines } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    const major = /ARG NODE_MAJOR=(\d+)/.exec(dockerfile)![1]!;
    assert.ok(Number(major) >= Number(/\d+/.exec(engines.node)![0]));
    assert.match(dockerfile, /RUN trellis env setup --torch-backend \$\{TORCH_BACKEND\}/);
    assert.match(dockerfile, /ENTRYPOINT \["trellis"\]/);
  });
  it("has the CUDA base of the torch backend whose lock it installs, and keeps that backend at run time", () => {
    const base = /^ARG CUDA_BASE=(\d+)\.(\d+)\.\d+-/m.exec(dockerfile);
    const backend = /^ARG TORCH_BACKEND=(\S+)$/m.exec(dockerfile)?.[1];
    assert.ok(base && backend, "ARG CUDA_BASE and ARG TORCH_BACKEND");
    assert.ok((TORCH_BACKENDS as readonly string[]).includes(backend), backend);
    assert.equal(
      cudaOf(backend as TorchBackend),
      `${base[1]}.${base[2]}`,
      `the ${backend} lock's torch is not built for the base's CUDA`,
    );
    const lock = readFileSync(path.join(ROOT, "python", LOCK_FILES[backend as TorchBackend]), "utf8");
    assert.match(lock, new RegExp(`torch backend ${backend}:`));
    assert.match(lock, /^nvidia-cuda-runtime==/m, "a CUDA lock pins its CUDA runtime");
    assert.match(dockerfile, /TRELLIS_TORCH_BACKEND=\$\{TORCH_BACKEND\}/);
  });
  it("matches the README's docker commands", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    assert.match(readme, /docker build -t trellis \./);
    assert.match(readme, /docker run --gpus all -v "\$PWD:\/work" trellis run recipes\/orpo\.yaml/);
  });
});
