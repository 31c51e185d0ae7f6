/**
 * The layer boundaries of eslint.config.js, each broken on purpose: ESLint must refuse every
 * one. The code is linted as if it were a real file of that layer (the file itself is untouched).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { ESLint } from "eslint";
import { ROOT } from "../helpers/cli.js";

const eslint = new ESLint({ cwd: ROOT });

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const violations: Array<[string, string, string, RegExp]> = [
  [
    "the core imports a Node built-in",
    "src/core/shown.ts",
    `import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n`,
    /src\/core is pure/,
  ],
  [
    "the core imports execa",
    "src/core/shown.ts",
    `import { execa } from "execa";\nexport const f = execa;\n`,
    /execa belongs in src\/adapters/,
  ],
  [
    "the core imports ink",
    "src/core/shown.ts",
    `import { Text } from "ink";\nexport const f = Text;\n`,
    /ink belongs in src\/adapters or src\/ui/,
  ],
  [
    "the core imports an adapter",
    "src/core/shown.ts",
    `import { readRows } from "../adapters/data-files.js";\nexport const f = readRows;\n`,
    /depends on nothing outside src\/core/,
  ],
  [
    "the recipe core imports an importer",
    "src/core/recipe/check.ts",
    `import { importConfig } from "../interop/import/index.js";\nexport const f = importConfig;\n`,
    /the rest of src\/core does not import it/,
  ],
  [
    "an importer still may not do I/O",
    "src/core/interop/import/detect.ts",
    `import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n`,
    /src\/core is pure/,
  ],
  [
    "the core outside interop still may not do I/O",
    "src/core/recipe/check.ts",
    `import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n`,
    /src\/core is pure/,
  ],
  [
    "the UI imports an adapter",
    "src/ui/format.ts",
    `import { readRows } from "../adapters/data-files.js";\nexport const f = readRows;\n`,
    /src\/ui only reads a store/,
  ],
  [
    "a use case reads files itself",
    "src/app/check-data.ts",
    `import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n`,
    /src\/app does its I\/O through src\/adapters/,
  ],
  [
    "a use case starts processes itself",
    "src/app/check-data.ts",
    `import { execa } from "execa";\nexport const f = execa;\n`,
    /src\/app does its I\/O through src\/adapters/,
  ],
  [
    "the manifest runs git itself",
    "src/app/manifest.ts",
    `import { execa } from "execa";\nexport const f = execa;\n`,
    /src\/app does its I\/O through src\/adapters \(execa\)/,
  ],
  [
    "the supervisor writes its token file itself",
    "src/app/supervisor.ts",
    `import { writeFileSync } from "node:fs";\nexport const f = writeFileSync;\n`,
    /src\/app does its I\/O through src\/adapters \(node:fs\)/,
  ],
  [
    "a use case spawns a process with node's child_process",
    "src/app/start-detached.ts",
    `import { spawn } from "node:child_process";\nexport const f = spawn;\n`,
    /src\/app does its I\/O through src\/adapters \(node:child_process\)/,
  ],
  [
    "a use case reads files with node:fs/promises",
    "src/app/load-recipe.ts",
    `import { readFile } from "node:fs/promises";\nexport const f = readFile;\n`,
    /src\/app does its I\/O through src\/adapters \(node:fs\/promises\)/,
  ],
  [
    "a use case imports the UI",
    "src/app/list-runs.ts",
    `import { duration } from "../ui/format.js";\nexport const f = duration;\n`,
    /the CLI and the UI call it/,
  ],
  [
    "an adapter calls a use case",
    "src/adapters/disk.ts",
    `import { loadRecipe } from "../app/load-recipe.js";\nexport const f = loadRecipe;\n`,
    /src\/adapters are thin/,
  ],
];

describe("npm run lint refuses each broken boundary", { timeout: 120_000 }, () => {
  for (const [what, file, code, message] of violations) {
    it(what, async () => {
      const messages = await restrictedImports(file, code);
      assert.ok(
        messages.some((m) => message.test(m)),
        `${file}: ${JSON.stringify(messages)}`,
      );
    });
  }

  it("holds every file of src/app to the I/O rule (none is exempt)", async () => {
    const code = `import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n`;
    const appFiles = readdirSync(path.join(ROOT, "src", "app")).filter((f) => f.endsWith(".ts"));
    assert.ok(appFiles.length > 10, `${appFiles.length} files in src/app`);
    for (const f of appFiles) {
      const messages = await restrictedImports(`src/app/${f}`, code);
      assert.ok(
        messages.some((m) => /src\/app does its I\/O through src\/adapters/.test(m)),
        `src/app/${f}: ${JSON.stringify(messages)}`,
      );
    }
  });

  it("and accepts the same file with its allowed imports", async () => {
    assert.deepEqual(
      await restrictedImports("src/core/shown.ts", `import { join } from "pathe";\nexport const f = join;\n`),
      [],
    );
  });
});
