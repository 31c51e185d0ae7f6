/**
 * What a failed stage left behind, as facts a diagnosis is decided from: the exception's type
 * and its causes' types, errno, exit code and signal. Pure: the environment is passed in.
 */

/** Everything known about a failed stage. */
export interface FailureFacts {
  /** Qualified Python type of the exception (`torch.OutOfMemoryError`, `KeyError`). */
  excType?: string;
  message?: string;
  /** The first errno along the exception's cause chain (28: no space left on device). */
  errno?: number;
  /** Qualified types of the exception's explicit causes (`raise ... from`), nearest first. */
  causeTypes?: string[];
  exitCode: number | null;
  signal: string | null;
  /** The last lines the stage wrote to stderr. */
  stderrTail: string[];
  /** The last training loss reported, if any. */
  lastLoss?: number;
  /** Hugging Face downloads are off (HF_HUB_OFFLINE and friends). */
  offline: boolean;
  trainer: string;
}

export const DIAGNOSIS_CAUSES = [
  "gpu_out_of_memory",
  "host_out_of_memory",
  "disk_full",
  "broken_environment",
  "missing_module",
  "cuda_mismatch",
  "data_file",
  "data_columns",
  "remote_code",
  "hub_access",
  "not_found",
  "permission_denied",
  "distributed_timeout",
  "nan_loss",
  "killed",
  "crashed",
  "interrupted",
] as const;
export type DiagnosisCause = (typeof DIAGNOSIS_CAUSES)[number];

/** The cause of a failure, said once (`summary`) with what to change (`fix`). */
export interface Diagnosis {
  cause: DiagnosisCause;
  summary: string;
  fix: string;
}

/** The facts a rule reads, with the exception's type names gathered once. */
export interface Evidence extends FailureFacts {
  message: string;
  /** The exception's type and its causes' types, qualified. */
  types: string[];
  /** The same, without their modules (`RepositoryNotFoundError`). */
  shortTypes: Set<string>;
}

export function gather(facts: FailureFacts): Evidence {
  const fromTail = facts.excType ? undefined : exceptionInTail(facts.stderrTail);
  const excType = facts.excType ?? fromTail?.excType;
  const types = [excType, ...(facts.causeTypes ?? [])].filter((t): t is string => !!t);
  return {
    ...facts,
    excType,
    message: facts.message ?? fromTail?.message ?? "",
    types,
    shortTypes: new Set(types.map((t) => t.slice(t.lastIndexOf(".") + 1))),
  };
}

/** True when the exception (or one of its causes) has one of these qualified or short types. */
export function hasType(e: Evidence, ...names: string[]): boolean {
  return names.some((n) => (n.includes(".") ? e.types.includes(n) : e.shortTypes.has(n)));
}

/** The exception itself (not its causes) is exactly one of these types. */
export function isType(e: Evidence, ...names: string[]): boolean {
  return e.excType !== undefined && names.includes(e.excType);
}

const TRACEBACK_HEADER = "Traceback (most recent call last):";
/** `torch.OutOfMemoryError: CUDA out of memory`, `KeyboardInterrupt`: a traceback's last line. */
const EXCEPTION_LINE = /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)(?::\s?(.*))?$/;
const EXCEPTION_NAME = /(?:Error|Exception|Interrupt|Exit)$/;

/**
 * The exception a traceback in the stderr tail ends with, for a stage that died before it could
 * send an error event (an import failure before the event channel existed, say).
 */
export function exceptionInTail(tail: string[]): { excType: string; message: string } | undefined {
  const header = tail.lastIndexOf(TRACEBACK_HEADER);
  // Frames are indented; the first line after them at column 0 names the exception.
  const candidates =
    header >= 0
      ? tail
          .slice(header + 1)
          .filter((l) => /^\S/.test(l))
          .slice(0, 1)
      : [...tail].reverse();
  for (const line of candidates) {
    const m = EXCEPTION_LINE.exec(line.trimEnd());
    if (m && (header >= 0 || EXCEPTION_NAME.test(m[1]!))) return { excType: m[1]!, message: m[2] ?? "" };
  }
  return undefined;
}

const TRUE_VALUES = new Set(["1", "ON", "YES", "TRUE"]);
/** Variables that turn Hugging Face downloads off, as huggingface_hub, transformers and datasets read them. */
const OFFLINE_VARIABLES = ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"] as const;

/** True when the environment turns Hugging Face downloads off. */
export function isOffline(env: Record<string, string | undefined>): boolean {
  return OFFLINE_VARIABLES.some((v) => TRUE_VALUES.has((env[v] ?? "").trim().toUpperCase()));
}
