/**
 * Why a stage failed and what to change, decided from facts (exception and cause types, errno,
 * exit code, signal, the last loss). Pure: no I/O, no environment; `undefined` when no rule
 * knows the failure, and the exception itself is then the best explanation there is.
 */
import { gather, type Diagnosis, type FailureFacts } from "./facts.js";
import { RULES } from "./rules.js";

export { DIAGNOSIS_CAUSES, isOffline, type Diagnosis, type DiagnosisCause, type FailureFacts } from "./facts.js";

export function diagnose(facts: FailureFacts): Diagnosis | undefined {
  const evidence = gather(facts);
  for (const rule of RULES) {
    const found = rule(evidence);
    if (found) return found;
  }
  return undefined;
}
