/**
 * Real Python environments of older TRL releases for the version matrix, made cheaply: each is a
 * venv whose torch is the managed environment's own (a folder of links to torch and what it needs,
 * put on the venv's path by a .pth file, as `--reuse-torch` does), with pip installing only TRL,
 * transformers, peft, accelerate and datasets at the row's versions. Kept under the cache, keyed by
 * the row and the torch it links to, so a second run finds them ready.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cacheRoot } from "../../src/adapters/venv/paths.js";

export interface Row {
  trl: string;
  transformers: string;
  peft: string;
  accelerate: string;
  datasets: string;
  /** Why this row is in the matrix. */
  why: string;
  /**
   * The quickstarts `npm test` (and so CI) trains under this row: between them every trainer, LoRA
   * and each version's ORPO import path. scripts/test-matrix.mjs versions trains every row on all.
   */
  ci: readonly string[];
  /** The managed environment itself (the pinned TRL), run through --env as a user's own would be. */
  managed?: boolean;
}

/**
 * Each row's transformers and peft are releases of the TRL's day (TRL 0.x beside transformers 5
 * fails in TRL's own code). accelerate and datasets are current: they work with all of them.
 */
export const ROWS: readonly Row[] = [
  {
    trl: "0.12.2",
    transformers: "4.46.3",
    peft: "0.13.2",
    accelerate: "1.15.0",
    datasets: "5.0.1",
    why: "the oldest TRL trellis supports",
    ci: ["quickstart-orpo", "quickstart-sft-dpo"],
  },
  {
    trl: "0.19.1",
    transformers: "4.53.3",
    peft: "0.16.0",
    accelerate: "1.15.0",
    datasets: "5.0.1",
    why: "before SFT's max_seq_length went (0.21); transformers with torch_dtype only",
    ci: [],
  },
  {
    trl: "0.24.0",
    transformers: "4.57.6",
    peft: "0.17.1",
    accelerate: "1.15.0",
    datasets: "5.0.1",
    why: "what LLaMA-Factory and Unsloth pin (trl <= 0.24)",
    ci: ["quickstart-dpo-lora", "quickstart-orpo"],
  },
  {
    trl: "1.13.0",
    transformers: "5.18.0",
    peft: "0.21.0",
    accelerate: "1.15.0",
    datasets: "5.0.1",
    why: "the pin (python/requirements.in): the managed environment itself, given as --env (nothing to build)",
    ci: ["quickstart-sft-dpo"],
    managed: true,
  },
];

const LINKED_TORCH = `import importlib.metadata as md, json, re, sys
from packaging.requirements import Requirement
seen, todo, entries = set(), ["torch"], set()
while todo:
    name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
    if name in seen:
        continue
    seen.add(name)
    dist = md.distribution(name)
    for f in dist.files or []:
        top = str(f).split("/")[0]
        if top != ".." and not top.endswith(".pth") and top != "__pycache__":
            entries.add(str(dist.locate_file(top)))
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            todo.append(req.name)
print(json.dumps({"version": md.version("torch"), "entries": sorted(entries)}))`;

/** A folder of links to the managed environment's torch and its requirements (nothing else of it). */
export function linkedTorchSite(managedPython: string): string {
  const answer = JSON.parse(
    execFileSync(managedPython, ["-c", LINKED_TORCH], { encoding: "utf8" }).trim().split("\n").at(-1)!,
  ) as { version: string; entries: string[] };
  const key = createHash("sha256").update(JSON.stringify(answer)).digest("hex").slice(0, 12);
  const dir = path.join(cacheRoot(), "version-matrix", `torch-${answer.version}-${key}`);
  if (existsSync(path.join(dir, ".done"))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of answer.entries) symlinkSync(entry, path.join(dir, path.basename(entry)));
  writeFileSync(path.join(dir, ".done"), "");
  return dir;
}

/** The row's environment folder, built the first time (minutes: pip fetches the row's packages). */
export function rowEnvironment(row: Row, managedPython: string, log: (line: string) => void = () => {}): string {
  if (row.managed) return path.dirname(path.dirname(managedPython));
  const torchSite = linkedTorchSite(managedPython);
  const key = createHash("sha256")
    .update(JSON.stringify([row.trl, row.transformers, row.peft, row.accelerate, row.datasets, torchSite]))
    .digest("hex")
    .slice(0, 12);
  const dir = path.join(cacheRoot(), "version-matrix", `trl-${row.trl}-${key}`);
  const python = path.join(dir, "bin", "python");
  if (existsSync(path.join(dir, ".done"))) return dir;
  log(`building ${dir} (trl ${row.trl}, transformers ${row.transformers}, peft ${row.peft})`);
  rmSync(dir, { recursive: true, force: true });
  execFileSync("python3", ["-m", "venv", dir], { stdio: "ignore" });
  const site = execFileSync(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], {
    encoding: "utf8",
  }).trim();
  writeFileSync(path.join(site, "_trellis_matrix_torch.pth"), `${torchSite}\n`);
  const pins = [
    `trl==${row.trl}`,
    `transformers==${row.transformers}`,
    `peft==${row.peft}`,
    `accelerate==${row.accelerate}`,
    `datasets==${row.datasets}`,
  ];
  execFileSync(python, ["-m", "pip", "install", "-q", "--disable-pip-version-check", ...pins], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  execFileSync(python, ["-c", "import torch, trl, transformers, peft"], { stdio: "ignore" });
  writeFileSync(path.join(dir, ".done"), `${JSON.stringify(row)}\n`);
  return dir;
}

/** The row environments already built (for a quick look; the tests build what they need). */
export function builtRows(): string[] {
  const root = path.join(cacheRoot(), "version-matrix");
  return existsSync(root)
    ? readdirSync(root).filter((n) => n.startsWith("trl-") && existsSync(path.join(root, n, ".done")))
    : [];
}
