/** `run --detach` and `resume --detach`: started, not watched (`--on HOST` reads the line over ssh). */
export async function printDetached(
  launch: { runId: string; runDir: string; manifestWritten?: Promise<unknown> },
  target: { url: string },
): Promise<number> {
  await launch.manifestWritten;
  process.stdout.write(`${JSON.stringify({ run: launch.runId, dir: launch.runDir, url: target.url })}\n`);
  return 0;
}
