// The test command behind `npm test`: the TypeScript suites (node's test runner, on the compiled
// files) and then the Python suite (pytest, in the managed environment). `unit` runs only the
// fast tiers (core and ui), no Python.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const only = process.argv[2];
const tiers = only === "unit" ? ["core", "ui"] : ["core", "ui", "tooling", "adapters", "app", "integration"];

function testFiles(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(testFiles(full));
    else if (name.endsWith(".test.js")) out.push(full);
  }
  return out;
}

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts }).status ?? 1;

const files = tiers.flatMap((t) => testFiles(path.join(root, "dist", "test", t)));
// Heavy tests train real models on 2 cores: run files one at a time.
let status = run(process.execPath, ["--test", "--test-concurrency=1", ...files]);

if (only !== "unit") {
  const setup = run(process.execPath, ["bin/trellis.js", "env", "setup"]);
  if (setup !== 0) process.exit(setup);
  const doctor = spawnSync(process.execPath, ["bin/trellis.js", "env", "doctor", "--json"], {
    cwd: root,
    encoding: "utf8",
  });
  const python = JSON.parse(doctor.stdout).python.path;
  const py = run(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider"], { cwd: path.join(root, "python") });
  status = status || py;
}
process.exit(status);
