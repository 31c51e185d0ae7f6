/**
 * Whether the Hugging Face Hub answers from this machine, asked once with a short timeout and no
 * retries: the stage's own huggingface_hub retries an unreachable Hub for about a minute per file
 * before it says anything. Where the cache lives and whether downloads are off, as
 * huggingface_hub reads them from the environment.
 */
import { homedir } from "node:os";
import path from "node:path";

const HUB_PROBE_TIMEOUT_MS = 5000;
const TRUE_VALUES = new Set(["1", "ON", "YES", "TRUE"]);
/** Proxies Python honours and Node's fetch does not: with one set, only the stage can tell. */
const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.HF_HUB_CACHE ??
    path.join(env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "huggingface"), "hub")
  );
}

/** HF_HUB_OFFLINE (or transformers' older TRANSFORMERS_OFFLINE): models come from the cache alone. */
export function hubOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"].some((v) => TRUE_VALUES.has((env[v] ?? "").trim().toUpperCase()));
}

const answers = new Map<string, Promise<string | null>>();

/**
 * Null when the Hub answers at all (any HTTP status: a missing or gated model is the stage's to
 * report, with the Hub's own words), else why it could not be reached. Asked once per endpoint
 * and process. Behind a proxy it answers null: Node's fetch would not use the proxy the stage does.
 */
export function hubUnreachable(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = HUB_PROBE_TIMEOUT_MS,
): Promise<string | null> {
  if (PROXY_VARIABLES.some((v) => env[v])) return Promise.resolve(null);
  const endpoint = hubEndpoint(env);
  let answer = answers.get(endpoint);
  if (!answer) {
    answer = probe(endpoint, timeoutMs);
    answers.set(endpoint, answer);
  }
  return answer;
}

async function probe(endpoint: string, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetch(`${endpoint}/api/models`, { method: "HEAD", signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return null;
  } catch (err) {
    return reason(err, endpoint, timeoutMs);
  }
}

function reason(err: unknown, endpoint: string, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `no answer within ${timeoutMs / 1000} s`;
  const host = URL.canParse(endpoint) ? new URL(endpoint).host : endpoint;
  switch (e.cause?.code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the name ${host} does not resolve (${e.cause.code}): no network, or no DNS`;
    case "ECONNREFUSED":
      return `the connection to ${host} was refused`;
    case "ENETUNREACH":
    case "EHOSTUNREACH":
      return `no route to ${host} (${e.cause.code})`;
    default:
      return e.cause?.message ?? e.message ?? String(err);
  }
}
