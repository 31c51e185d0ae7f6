/**
 * A Hugging Face cache holding Hub models as downloads of them would: what `check` needs of a
 * Hub model this machine cannot download (the tests run offline) is that the cache has it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** Each model as a cached snapshot with its config alone (no weights: the checks that read them skip). */
export function hubCacheWith(hfHome: string, names: readonly string[]): string {
  for (const name of names) {
    const repo = path.join(hfHome, "hub", `models--${name.replace("/", "--")}`);
    mkdirSync(path.join(repo, "snapshots", COMMIT), { recursive: true });
    writeFileSync(path.join(repo, "snapshots", COMMIT, "config.json"), JSON.stringify({ model_type: "qwen2" }));
    mkdirSync(path.join(repo, "refs"), { recursive: true });
    writeFileSync(path.join(repo, "refs", "main"), COMMIT);
  }
  return hfHome;
}
