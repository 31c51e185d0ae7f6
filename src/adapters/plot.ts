/**
 * Draws the comparison's plot with python/trellis_runtime/plot.py (matplotlib, Agg backend) in
 * the environment that has the matplotlib extra, then decodes the PNG to be sure it is one.
 */
import path from "node:path";
import { execa } from "execa";
import { RUNTIME_DIR } from "./package-files.js";
import { decodePng, type PngInfo } from "./png.js";

export async function drawPlot(python: string, curvesFile: string, outFile: string): Promise<PngInfo> {
  // A short script with little output: buffering it is fine (no training output goes here).
  await execa(python, [path.join(RUNTIME_DIR, "plot.py"), curvesFile, outFile], {
    env: { MPLBACKEND: "Agg" },
    buffer: true,
  });
  return decodePng(outFile);
}
