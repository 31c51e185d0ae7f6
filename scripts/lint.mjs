// `npm run lint`: ESLint (type-aware rules and the layer boundaries, eslint.config.js), prettier's
// check (.prettierrc.json; `npx prettier --write .` formats), then ruff's
// linter and formatter check over the Python (python/, bench/*.py, the golden rendered script).
// ruff comes from python/requirements-dev.txt, installed once into a venv under the XDG cache.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts }).status ?? 1;

function ruffVenv() {
  const pins = readFileSync(path.join(root, "python", "requirements-dev.txt"), "utf8");
  const key = createHash("sha256").update(pins).digest("hex").slice(0, 12);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  const dir = path.join(cache, "trellis", "dev-tools", key);
  const ruff = path.join(dir, "bin", "ruff");
  if (existsSync(ruff)) return ruff;
  console.error(`installing the Python lint tools into ${dir}`);
  const python = process.env.TRELLIS_PYTHON || "python3";
  if (run(python, ["-m", "venv", dir]) !== 0) process.exit(1);
  const pip = run(path.join(dir, "bin", "python"), [
    "-m",
    "pip",
    "install",
    "-q",
    "--disable-pip-version-check",
    "-r",
    path.join(root, "python", "requirements-dev.txt"),
  ]);
  if (pip !== 0) process.exit(1);
  return ruff;
}

let status = run(process.execPath, [path.join(root, "node_modules", "eslint", "bin", "eslint.js"), "."]);
status ||= run(process.execPath, [
  path.join(root, "node_modules", "prettier", "bin", "prettier.cjs"),
  "--check",
  "--log-level",
  "warn",
  ".",
]);
const ruff = ruffVenv();
// Run from python/: its pyproject.toml holds ruff's settings for every Python file in the repository.
const pythonFiles = [
  ".",
  "../test/fixtures/rendered",
  ...readdirSync(path.join(root, "bench"))
    .filter((f) => f.endsWith(".py"))
    .map((f) => `../bench/${f}`),
];
const inPython = { cwd: path.join(root, "python") };
status ||= run(ruff, ["check", ...pythonFiles], inPython);
status ||= run(ruff, ["format", "--check", ...pythonFiles], inPython);
process.exit(status);
