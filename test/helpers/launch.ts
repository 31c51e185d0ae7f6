/** Recipes and checks for launched (multi-process) runs of the DPO quickstart. */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { RECIPES } from "./cli.js";

export const FAULTS = path.join(RECIPES, "..", "test", "fixtures", "faults");

/** The DPO (LoRA) quickstart cut to `steps` steps, a metrics event at each. */
export function dpoRecipe(dir: string, name: string, steps: number, extra = ""): string {
  const text = readFileSync(path.join(RECIPES, "quickstart-dpo-lora.yaml"), "utf8")
    .replace(/name: .*/, `name: ${name}`)
    .replace(/num_train_epochs: \d+/, `max_steps: ${steps}`)
    .replace(/logging_steps: \d+/, "logging_steps: 1")
    .replace(/ {2}eval: .*\n/, "") // no eval data: no preference eval, seconds saved per run
    .replace(/data\//g, `${path.join(RECIPES, "data")}/`);
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, text + extra);
  return file;
}

/** A port nobody listens on now (for a rendezvous). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
