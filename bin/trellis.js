#!/usr/bin/env node
// The published entry point: the compiled CLI lives in dist/ (`npm run build`), bundled into
// dist/src/bundled/ (scripts/bundle.mjs) so that it loads as a few files, not ~230. CommonJS (see
// bin/package.json), so that `--help` and `--version` are answered here, from the help text and
// package.json alone, without starting Node's ESM loader (about 30 ms of a 150 ms budget). Every
// other command, and `--help` of a command, loads the CLI proper.
"use strict";
const [command, ...rest] = process.argv.slice(2);

// A reader that stops early (`trellis --help | head`) closes the pipe: exit quietly, as cat does.
const quietOnEpipe = (err) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
};

if (!command || command === "help" || command === "--help" || command === "-h") {
  const { HELP } = require("../dist/src/bundled/help.cjs");
  process.stdout.on("error", quietOnEpipe);
  process.stdout.write(HELP[rest.join(" ")] ?? HELP[""]);
} else if (command === "--version" || command === "-V") {
  process.stdout.on("error", quietOnEpipe);
  process.stdout.write(`${require("../package.json").version}\n`);
} else {
  // `trellis run --foreground`: the stage's Python starts importing torch and TRL now, while the
  // CLI loads, validates and renders (src/adapters/python-prestart.cts).
  if (command === "run") require("../dist/src/adapters/python-prestart.cjs").startPrestart(rest);
  import("../dist/src/bundled/main.js");
}
