/** The Dockerfile cannot be built here (no Docker engine): check what it relies on. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/cli.js";

const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");

describe("Dockerfile", () => {
  it("copies only files that exist", () => {
    const copies = [...dockerfile.matchAll(/^COPY\s+(.+?)\s+\S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    assert.ok(copies.length >= 5);
    for (const source of copies) assert.ok(existsSync(path.join(ROOT, source)), `COPY ${source}`);
  });
  it("uses a CUDA base, the Node major the package supports, and builds the managed environment", () => {
    assert.match(dockerfile, /^FROM nvidia\/cuda:\S+-runtime-/m);
    const { engines } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
    const major = /ARG NODE_MAJOR=(\d+)/.exec(dockerfile)![1]!;
    assert.ok(Number(major) >= Number(/\d+/.exec(engines.node)![0]));
    assert.match(dockerfile, /RUN trellis env setup/);
    assert.match(dockerfile, /ENTRYPOINT \["trellis"\]/);
  });
  it("matches the README's docker commands", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    assert.match(readme, /docker build -t trellis \./);
    assert.match(readme, /docker run --gpus all -v "\$PWD:\/work" trellis run recipes\/orpo\.yaml/);
  });
});
