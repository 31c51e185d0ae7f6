/**
 * The shapes preference data comes in, decided row by row. The Python runtime decides the same
 * way (python/trellis_runtime/formats.py, where the data is normalised); an agreement test runs
 * both on recipes/data/shapes/. Rows here use the standard column names (data.columns applied).
 */

export const SHAPES = {
  conversational: "prompt and answers as chat messages (TRL's conversational form)",
  "prompt-in-answers": "answers as chat messages that repeat the prompt's turns",
  "implicit-messages": "whole conversations as chat messages; the prompt is their shared first turns",
  "hh-text": "whole dialogues as text in Human:/Assistant: turns",
  "implicit-text": "whole texts; the prompt is their shared beginning",
  text: "prompt and answers as plain text",
  "sft-text": "plain text",
  "sft-messages": "chat messages",
  "sft-prompt-completion": "prompt and completion",
  "unpaired-text": "single answers as plain text, each labelled desirable or not (KTO)",
  "unpaired-messages": "single answers as chat messages, each labelled desirable or not (KTO)",
} as const;
export type Shape = keyof typeof SHAPES;

interface ShapeOptions {
  to_messages: boolean;
  system_prompt: string | null;
  separator: string;
}

type Kind = "text" | "messages" | "other";
const HH_ASSISTANT = "\n\nAssistant:";

export function kindOf(value: unknown): Kind {
  if (typeof value === "string") return "text";
  if (Array.isArray(value) && value.every((m) => m !== null && typeof m === "object" && !Array.isArray(m)))
    return "messages";
  return "other";
}

/** The shape of one preference row, or an Error saying why it has none. */
export function rowShape(row: Record<string, unknown>): Shape | Error {
  const chosen = kindOf(row.chosen);
  const rejected = kindOf(row.rejected);
  if (chosen !== rejected)
    return new Error(`chosen is ${chosen} and rejected is ${rejected}; both must be text or both chat messages`);
  if (chosen === "other")
    return new Error("chosen and rejected must be text or lists of chat messages ({role, content})");
  if (!("prompt" in row)) {
    if (chosen === "messages") return "implicit-messages";
    return isHH(row.chosen as string) && isHH(row.rejected as string) ? "hh-text" : "implicit-text";
  }
  const prompt = kindOf(row.prompt);
  if (chosen === "text")
    return prompt === "text"
      ? "text"
      : new Error("the prompt is chat messages but the answers are text; make both one kind");
  if (prompt === "other") return new Error("the prompt must be text or a list of chat messages");
  const turns = prompt === "messages" ? (row.prompt as Message[]) : [{ role: "user", content: row.prompt }];
  return repeatsPrompt(turns, row.chosen as Message[]) ? "prompt-in-answers" : "conversational";
}

/** KTO's unpaired rows: text, or chat messages (a text prompt then counts as one user turn). */
export function unpairedRowShape(row: Record<string, unknown>): Shape | Error {
  const [prompt, completion] = [kindOf(row.prompt), kindOf(row.completion)];
  if (prompt === "other" || completion === "other")
    return new Error("prompt and completion must be text or lists of chat messages ({role, content})");
  if (completion === "text")
    return prompt === "text"
      ? "unpaired-text"
      : new Error("the prompt is chat messages but the completion is text; make both one kind");
  return "unpaired-messages";
}

/** The shape of one row of data an SFT stage trains on directly (no rejected answers). */
export function sftRowShape(row: Record<string, unknown>): Shape {
  if ("messages" in row) return "sft-messages";
  if ("completion" in row) return "sft-prompt-completion";
  return "sft-text";
}

type Message = { role?: unknown; content?: unknown };

function isHH(text: string): boolean {
  return text.replace(/^\n+/, "").startsWith("Human:") && text.includes(HH_ASSISTANT);
}

function repeatsPrompt(turns: Message[], answer: Message[]): boolean {
  const asked = turns.filter((m) => m.role === "user").map((m) => m.content);
  const said = answer
    .slice(0, turns.length + 1)
    .filter((m) => m.role === "user")
    .map((m) => m.content);
  return asked.length > 0 && asked.every((c, i) => said[i] === c);
}

export function isConversational(shape: Shape, options: Pick<ShapeOptions, "to_messages">): boolean {
  if (
    shape === "conversational" ||
    shape === "prompt-in-answers" ||
    shape === "implicit-messages" ||
    shape === "sft-messages" ||
    shape === "unpaired-messages"
  )
    return true;
  return (
    options.to_messages &&
    (shape === "hh-text" || shape === "text" || shape === "implicit-text" || shape === "unpaired-text")
  );
}

/** What trellis does with data of this shape, in one sentence; `joins`: rows that get the separator. */
export function shapeNote(shape: Shape, options: ShapeOptions, joins?: number): string {
  if (shape.startsWith("sft-")) return "used as it is";
  if (isConversational(shape, options)) {
    const made =
      shape === "hh-text"
        ? "dialogues parsed into user/assistant turns"
        : shape === "text" || shape === "unpaired-text"
          ? "prompt and answers wrapped as user/assistant messages"
          : shape === "implicit-text"
            ? "shared beginning wrapped as a user message, the rest as assistant answers"
            : "prompt turns kept, answers cut to the assistant's reply";
    const system = options.system_prompt ? "; the system prompt is added where a prompt has none" : "";
    return `${made}; the tokenizer's chat template applies${system}`;
  }
  const hint = "(data.to_messages: true for the chat template)";
  if (shape === "hh-text")
    return `plain text, no chat template: the prompt is the dialogue up to the last 'Assistant:' ${hint}`;
  if (shape === "implicit-text")
    return `plain text, no chat template: the prompt is the answers' shared beginning, up to a word boundary ${hint}`;
  const separator = JSON.stringify(options.separator);
  const join =
    joins === 0
      ? "prompt and answer joined as they are (each answer starts with whitespace)"
      : `${separator} put between prompt and answer where neither has whitespace at the join${joins ? ` (${joins} rows; set data.separator to change it)` : ""}`;
  return `plain text, no chat template: ${join} ${hint}`;
}
