// Benchmark: `trellis check` reading every row of a large data file. Generates JSON-lines files
// shaped like HuggingFaceH4/ultrafeedback_binarized (a prompt string, answers as message lists
// that repeat it), a small one and a large one, and runs the real CLI on each in turn, measuring
// wall time, rows/s and peak memory (GNU time's maximum resident set size). Each file is then
// checked a second time, unchanged: what every later `trellis run` and `check` of it costs,
// answered from the cache of passed checks (src/app/check-data.ts).
//
//   npm run build && node bench/check-rows.mjs [--rows 2000000] [--small 10000]
//
// Writes bench/results/check-rows.json. Target (issue 9): the large file costs no more memory
// than the small one, because rows are streamed.
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: { rows: { type: "string", default: "2000000" }, small: { type: "string", default: "10000" } },
});
const dir = mkdtempSync(path.join(tmpdir(), "trellis-bench-check-"));

async function writeData(file, rows) {
  const out = createWriteStream(file);
  for (let i = 0; i < rows; i++) {
    const prompt = `Question ${i}: what colour is thing number ${i % 997}, and why does it matter to the people who see it every day?`;
    const line = JSON.stringify({
      prompt,
      chosen: [
        { role: "user", content: prompt },
        {
          role: "assistant",
          content: `Thing ${i % 997} is blue, which matters because ${"it is calm and restful ".repeat(4)}`,
        },
      ],
      rejected: [
        { role: "user", content: prompt },
        {
          role: "assistant",
          content: `Thing ${i % 997} is red, which matters because ${"it is loud and alarming ".repeat(4)}`,
        },
      ],
      score_chosen: 8.0,
      score_rejected: 3.0,
    });
    if (!out.write(`${line}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

function recipe(file) {
  const r = path.join(dir, `${path.basename(file)}.yaml`);
  writeFileSync(
    r,
    `name: bench\nmodel: {tiny: {data: [${JSON.stringify(path.join(root, "recipes/data/colors-train.jsonl"))}]}}\ndata: {train: ${JSON.stringify(file)}}\nstages: [{id: dpo, trainer: dpo}]\n`,
  );
  return r;
}

/** Seconds and peak memory (MB) of one `trellis check`. */
function check(recipeFile) {
  const result = execFileSync(
    "/bin/sh",
    [
      "-c",
      `/usr/bin/time -f '%e %M' ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(root, "bin/trellis.js"))} check ${JSON.stringify(recipeFile)} 2>&1 >/dev/null | tail -1`,
    ],
    { encoding: "utf8" },
  );
  const [seconds, kb] = result.trim().split(/\s+/).map(Number);
  return { seconds, max_rss_mb: Math.round(kb / 1024) };
}

async function bench(rows) {
  const file = path.join(dir, `pairs-${rows}.jsonl`);
  await writeData(file, rows);
  // A file changed in the last 2 s is not cached (src/adapters/stamp-cache.ts): a user's data
  // file is older than that.
  await sleep(2100);
  const bytes = statSync(file).size;
  const r = recipe(file);
  const first = check(r);
  const again = check(r);
  rmSync(file);
  return { rows, bytes, ...first, seconds_unchanged_again: again.seconds };
}

const small = await bench(Number(values.small));
const large = await bench(Number(values.rows));
const results = {
  benchmark: "trellis check of a JSON-lines file in the ultrafeedback_binarized shape, every row read",
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  small,
  large,
  // The small file's time is mostly start-up: the difference is the cost of the extra rows.
  rows_per_second: Math.round((large.rows - small.rows) / (large.seconds - small.seconds)),
  mb_per_second: Math.round((large.bytes - small.bytes) / 1e6 / (large.seconds - small.seconds)),
  memory_ratio_large_to_small: Number((large.max_rss_mb / small.max_rss_mb).toFixed(2)),
};
writeFileSync(path.join(root, "bench/results/check-rows.json"), `${JSON.stringify(results, null, 2)}\n`);
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(results, null, 2));
