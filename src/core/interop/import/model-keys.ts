/**
 * What the importers share: the shape of a key's handler, and the model keys that the TRL,
 * alignment-handbook and LLaMA-Factory configs name and mean alike.
 */
import type { Draft } from "./draft.js";
import { isString, show, type Raw } from "./types.js";

/** Maps one key of a foreign config into the draft recipe, or reports why it cannot. */
export type Handler = (d: Draft, raw: Raw, key: string, value: unknown) => void;

export const MODEL_HANDLERS: Record<string, Handler> = {
  model_name_or_path: (d, _raw, key, v) =>
    isString(v)
      ? ((d.model.name = v), d.report.mapped(key, "model.name"))
      : d.report.unsupported(key, `must be a Hub id or a local folder (got ${show(v)})`),
  model_revision: (d, _raw, key, v) =>
    isString(v) ? ((d.model.revision = v), d.report.mapped(key, "model.revision")) : d.report.unset(key),
};
