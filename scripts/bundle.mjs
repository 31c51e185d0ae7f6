// The second half of `npm run build`: esbuild joins the compiled CLI (dist/src/cli/main.js, every
// module it imports, and zod, yaml and execa) into a few files under dist/src/bundled/, which
// bin/trellis.js loads. Node's ESM loader spends most of a short command resolving, reading and
// linking ~230 separate modules: bundled, `trellis check` of the quickstart takes 0.32 s, not 0.44
// (bench/startup.mjs). Lazily imported commands stay lazy: each is a chunk of its own.
//
// dist/src/bundled/ sits at the same depth as dist/src/cli/ and dist/src/app/, so the paths the
// code builds from import.meta.url (python/, package.json, dist/src/supervisor-main.js) mean the
// same thing bundled or not. Kept external, loaded from node_modules as before: packages that
// read files of their own at run time (pino's worker transports, ink's yoga-layout wasm), ws
// (optional native addons), and the lazily loaded data readers.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const outdir = path.join(root, "dist", "src", "bundled");
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, "dist", "src", "cli", "main.js")],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["pino", "ink", "react", "react/*", "ws", "hyparquet", "csv-parse"],
  // yaml and our own .cts modules are CommonJS, which call require() and read __dirname: give
  // the ES module bundle both (__dirname is dist/src/bundled, as deep as their own folders).
  banner: {
    js: [
      "import { createRequire as __bundleRequire } from 'node:module';",
      "import { dirname as __bundleDirname } from 'node:path';",
      "import { fileURLToPath as __bundlePath } from 'node:url';",
      "const require = __bundleRequire(import.meta.url);",
      "const __filename = __bundlePath(import.meta.url);",
      "const __dirname = __bundleDirname(__filename);",
    ].join(" "),
  },
  logLevel: "warning",
});
// The help text for bin/trellis.js, which answers `trellis --help` as CommonJS: help.cjs and the
// command table it is made from (src/cli/commands/, a file per command) joined into one file, so
// that --help reads one module, not twenty.
await build({
  entryPoints: [path.join(root, "dist", "src", "cli", "help.cjs")],
  outfile: path.join(outdir, "help.cjs"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  logLevel: "warning",
});
