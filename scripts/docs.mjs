// `npm run docs`: writes docs/commands.md from the command table (src/cli/commands/, compiled to
// dist/ by the build). test/tooling/command-table.test.ts fails while the file is out of date.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const { commandsMarkdown } = createRequire(import.meta.url)(path.join(root, "dist", "src", "cli", "reference.cjs"));
writeFileSync(path.join(root, "docs", "commands.md"), commandsMarkdown());
process.stdout.write("wrote docs/commands.md\n");
