/** Plans on disk, one JSON file per fingerprint: <cache>/plans/<sha256 of the key>.json. */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { PlanCache } from "../core/plan/cache.js";
import type { Plan } from "../core/plan/search.js";

export function fileCache(dir: string): PlanCache {
  const file = (key: string) => path.join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`);
  return {
    async get(key) {
      try {
        const stored = JSON.parse(readFileSync(file(key), "utf8")) as { key: string; plan: Plan };
        return stored.key === key ? stored.plan : null;
      } catch {
        return null;
      }
    },
    async set(key, plan) {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file(key)}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ key, plan }, null, 2)}\n`);
      renameSync(tmp, file(key));
    },
  };
}
