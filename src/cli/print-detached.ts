/** `run --detach` and `resume --detach`: started, not watched (`--on HOST` reads the line over ssh). */
export async function printDetached(
  prepared: { runId: string; runDir: string; manifestWritten?: Promise<unknown> },
  target: { url: string },
): Promise<number> {
  await prepared.manifestWritten;
  process.stdout.write(`${JSON.stringify({ run: prepared.runId, dir: prepared.runDir, url: target.url })}\n`);
  return 0;
}
