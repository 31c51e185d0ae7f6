/**
 * Rows laid out for another tool, converted to the standard columns as they are read: the user's
 * file stays as it is, the recipe declares the layout (`data.convert`). LLaMA-Factory's two
 * layouts, named as its dataset_info.json names them:
 *
 * - sharegpt: a `messages` column of turns keyed {from, value} (roles human, gpt, system,
 *   observation, function_call), and for pairs `chosen`/`rejected` holding one answer message.
 * - alpaca: `prompt` (instruction), `query` (input, joined to the instruction by a newline as
 *   LLaMA-Factory does), optional `system` and `history` ([[question, answer], ...]), and for
 *   pairs `chosen`/`rejected` as text (or `response` holding [chosen, rejected]).
 *
 * Pairs become {prompt, chosen, rejected} chat messages; SFT rows become {messages} (sharegpt)
 * or {prompt, completion} (alpaca). The runtime converts the same way
 * (python/trellis_runtime/convert.py); test/core/data/convert.test.ts and
 * python/tests/test_convert.py hold the same cases.
 */
import { z } from "zod";

const CONVERT_FROM = ["sharegpt", "alpaca"] as const;

/** LLaMA-Factory's defaults for sharegpt's message keys and role names (dataset_info.json `tags`). */
export const SHAREGPT_TAGS = {
  role_tag: "from",
  content_tag: "value",
  user_tag: "human",
  assistant_tag: "gpt",
  observation_tag: "observation",
  function_tag: "function_call",
  system_tag: "system",
} as const;

const column = z.string().min(1).optional();

export const Convert = z
  .object({
    from: z.enum(CONVERT_FROM),
    /** Which source column holds what, with LLaMA-Factory's names (dataset_info.json `columns`). */
    columns: z
      .object({
        messages: column,
        prompt: column,
        query: column,
        response: column,
        history: column,
        system: column,
        chosen: column,
        rejected: column,
      })
      .strict()
      .default({}),
    tags: z
      .object(
        Object.fromEntries(Object.keys(SHAREGPT_TAGS).map((k) => [k, column])) as Record<
          keyof typeof SHAREGPT_TAGS,
          typeof column
        >,
      )
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const cols = c.columns;
    if ((cols.chosen === undefined) !== (cols.rejected === undefined))
      ctx.addIssue({ code: "custom", path: ["columns"], message: "give both chosen and rejected, or neither (SFT)" });
    if (c.from === "sharegpt") {
      for (const k of ["prompt", "query", "response", "history"] as const)
        if (cols[k] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["columns", k],
            message: `${k} is an alpaca column; sharegpt has messages`,
          });
    } else {
      if (cols.messages !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["columns", "messages"],
          message: "messages is a sharegpt column; alpaca has prompt and query",
        });
      if (Object.values(c.tags).some((t) => t !== undefined))
        ctx.addIssue({ code: "custom", path: ["tags"], message: "tags apply to sharegpt messages only" });
    }
  });
export type Convert = z.infer<typeof Convert>;

interface ConvertProblem {
  /** The source column the problem is in. */
  column?: string;
  message: string;
}

type Message = { role: string; content: string };
type Converted = { row: Record<string, unknown> } | { problem: ConvertProblem };

/** The source columns each part is read from, LLaMA-Factory's defaults filled in. */
function convertColumns(c: Convert) {
  const cols = c.columns;
  const pairs = cols.chosen !== undefined;
  return c.from === "sharegpt"
    ? {
        messages: cols.messages ?? "conversations",
        system: cols.system,
        chosen: cols.chosen,
        rejected: cols.rejected,
        pairs,
      }
    : {
        prompt: cols.prompt ?? "instruction",
        query: cols.query ?? "input",
        response: cols.response ?? "output",
        history: cols.history,
        system: cols.system,
        chosen: cols.chosen,
        rejected: cols.rejected,
        pairs,
      };
}

class RowProblem extends Error {
  constructor(
    readonly column: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** One source row in the standard columns, or the first problem, naming its column. */
export function convertRow(raw: Record<string, unknown>, c: Convert): Converted {
  try {
    return { row: c.from === "sharegpt" ? sharegpt(raw, c) : alpaca(raw, c) };
  } catch (err) {
    if (err instanceof RowProblem) return { problem: { column: err.column, message: err.message } };
    throw err;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function sharegpt(raw: Record<string, unknown>, c: Convert): Record<string, unknown> {
  const cols = convertColumns(c) as { messages: string; system?: string; chosen?: string; rejected?: string };
  const tags = { ...SHAREGPT_TAGS, ...stripUndefined(c.tags) };
  const roles: Record<string, string> = {
    [tags.user_tag]: "user",
    [tags.assistant_tag]: "assistant",
    [tags.system_tag]: "system",
    [tags.observation_tag]: "tool",
    [tags.function_tag]: "assistant",
  };
  const message = (m: unknown, col: string, where: string): Message => {
    if (!isObject(m)) throw new RowProblem(col, `${where}: expected a message {${tags.role_tag}, ${tags.content_tag}}`);
    const from = m[tags.role_tag];
    const role = typeof from === "string" ? roles[from] : undefined;
    if (role === undefined)
      throw new RowProblem(
        col,
        `${where}: ${tags.role_tag} ${from === undefined || from === null ? "missing" : JSON.stringify(from)}; expected one of ${Object.keys(roles).join(", ")} (data.convert.tags)`,
      );
    const content = m[tags.content_tag];
    if (typeof content !== "string")
      throw new RowProblem(col, `${where}: ${tags.content_tag} must be text (got ${describe(content)})`);
    return { role, content };
  };
  const turns = raw[cols.messages];
  if (!Array.isArray(turns) || !turns.length)
    throw new RowProblem(
      cols.messages,
      `column '${cols.messages}': expected a list of messages {${tags.role_tag}, ${tags.content_tag}} (got ${describe(turns)})`,
    );
  const messages = turns.map((m, i) => message(m, cols.messages, `message ${i + 1}`));
  const system = systemTurn(raw, cols.system);
  const prompt = system && messages[0]?.role !== "system" ? [system, ...messages] : messages;
  if (!cols.chosen || !cols.rejected) return { messages: prompt };
  if (prompt[prompt.length - 1]!.role === "assistant")
    throw new RowProblem(
      cols.messages,
      `column '${cols.messages}': ends with an assistant turn; chosen and rejected must reply to its last turn`,
    );
  const answer = (col: string): Message[] => {
    const v = raw[col];
    if (typeof v === "string") return [{ role: "assistant", content: v }];
    if (Array.isArray(v) && v.length) return v.map((m, i) => message(m, col, `column '${col}', message ${i + 1}`));
    if (isObject(v)) return [message(v, col, `column '${col}'`)];
    throw new RowProblem(
      col,
      `column '${col}': expected an answer message {${tags.role_tag}, ${tags.content_tag}} (got ${describe(v)})`,
    );
  };
  return { prompt, chosen: answer(cols.chosen), rejected: answer(cols.rejected) };
}

function alpaca(raw: Record<string, unknown>, c: Convert): Record<string, unknown> {
  const cols = convertColumns(c) as {
    prompt: string;
    query: string;
    response: string;
    history?: string;
    system?: string;
    chosen?: string;
    rejected?: string;
  };
  const instruction = raw[cols.prompt];
  if (typeof instruction !== "string")
    throw new RowProblem(
      cols.prompt,
      `column '${cols.prompt}': expected the instruction as text (got ${describe(instruction)})`,
    );
  const input = raw[cols.query];
  if (input !== undefined && input !== null && typeof input !== "string")
    throw new RowProblem(cols.query, `column '${cols.query}': expected text (got ${describe(input)})`);
  const prompt: Message[] = [];
  const system = systemTurn(raw, cols.system);
  if (system) prompt.push(system);
  if (cols.history !== undefined) {
    const history = raw[cols.history] ?? [];
    if (!Array.isArray(history))
      throw new RowProblem(
        cols.history,
        `column '${cols.history}': expected [[question, answer], ...] (got ${describe(history)})`,
      );
    history.forEach((turn, i) => {
      if (!Array.isArray(turn) || turn.length !== 2 || !turn.every((t) => typeof t === "string"))
        throw new RowProblem(
          cols.history,
          `column '${cols.history}', item ${i + 1}: expected [question, answer] as two texts`,
        );
      prompt.push({ role: "user", content: turn[0] as string }, { role: "assistant", content: turn[1] as string });
    });
  }
  prompt.push({ role: "user", content: input ? `${instruction}\n${input}` : instruction });
  const text = (col: string, v: unknown): Message[] => {
    if (typeof v !== "string")
      throw new RowProblem(col, `column '${col}': expected the answer as text (got ${describe(v)})`);
    return [{ role: "assistant", content: v }];
  };
  if (cols.chosen && cols.rejected)
    return { prompt, chosen: text(cols.chosen, raw[cols.chosen]), rejected: text(cols.rejected, raw[cols.rejected]) };
  const response = raw[cols.response];
  // LLaMA-Factory's older ranking layout: the response column holds [chosen, rejected].
  if (Array.isArray(response) && response.length === 2)
    return { prompt, chosen: text(cols.response, response[0]), rejected: text(cols.response, response[1]) };
  return { prompt, completion: text(cols.response, response) };
}

function systemTurn(raw: Record<string, unknown>, col: string | undefined): Message | undefined {
  if (col === undefined) return undefined;
  const v = raw[col];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string")
    throw new RowProblem(col, `column '${col}': expected the system prompt as text (got ${describe(v)})`);
  return { role: "system", content: v };
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describe(v: unknown): string {
  if (v === undefined || v === null) return "no value";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}
