/**
 * `trellis eval --prompts FILE`: one prompt a line, JSON lines, each a string or an object with a
 * `prompt` string (so an eval pairs file works as it is). A bad line is named with its number.
 */
import { TrellisError } from "../errors.js";

export class PromptsError extends TrellisError {
  override readonly located = true;
}

export function parsePrompts(text: string, file: string): string[] {
  const prompts: string[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new PromptsError(`${file}:${i + 1}: not JSON (each line is a JSON string or {"prompt": "..."})`);
    }
    const prompt = typeof value === "string" ? value : (value as { prompt?: unknown } | null)?.prompt;
    if (typeof prompt !== "string" || !prompt.trim())
      throw new PromptsError(
        `${file}:${i + 1}: no prompt (each line is a JSON string or an object with a "prompt" string; chat messages are not taken here)`,
      );
    prompts.push(prompt);
  }
  if (!prompts.length) throw new PromptsError(`${file}: no prompts in it`);
  return prompts;
}
