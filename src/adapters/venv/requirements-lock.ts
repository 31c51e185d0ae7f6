import { createHash } from "node:crypto";
import { normalizeName } from "../../core/env/extras.js";

/** PEP 503 names; the rule lives in the core, which compares lock data too. */
export { normalizeName };

/** One `name==version` line of a pinned requirements lock. */
interface Pin {
  name: string;
  version: string;
}

/** The key is this many hex digits of a sha256: short enough for a path, long enough to never collide in one cache. */
export const KEY_HEX_LENGTH = 16;

const PIN_LINE = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)/;

/** The exact pins of a lock; comments, blank lines and anything that is not `name==version` are skipped. */
export function parsePins(lockText: string): Pin[] {
  const pins: Pin[] = [];
  for (const raw of lockText.split(/\r?\n/)) {
    const match = PIN_LINE.exec(raw.trim());
    if (match?.[1] && match[2]) pins.push({ name: match[1], version: match[2] });
  }
  return pins;
}

/** A lock's comment naming the index its torch comes from (written by python/tools/make_locks.py). */
const TORCH_INDEX_LINE = /^# torch index: (\S+)\s*$/m;

/** The index a lock's torch is installed from, besides the package index (the PyTorch CPU or cu12x index). */
export function torchIndexOf(lockText: string): string | undefined {
  return TORCH_INDEX_LINE.exec(lockText)?.[1];
}

/** The pin lines of `lockText` that `keep` accepts by package name; comments and other lines stay. */
export function filterPins(lockText: string, keep: (name: string) => boolean): string {
  return lockText
    .split(/\r?\n/)
    .filter((line) => {
      const match = PIN_LINE.exec(line.trim());
      return !match?.[1] || keep(match[1]);
    })
    .join("\n");
}

/** The lock text without the pin of `name` (used to install everything but torch when torch is reused). */
export function withoutPackage(lockText: string, name: string): string {
  const target = normalizeName(name);
  return lockText
    .split(/\r?\n/)
    .filter((line) => {
      const match = PIN_LINE.exec(line.trim());
      return !(match?.[1] && normalizeName(match[1]) === target);
    })
    .join("\n");
}

/** `2.13.0+cu130` -> `2.13.0`: a local build tag says which wheel, not which release. */
export function stripLocalVersion(version: string): string {
  const plus = version.indexOf("+");
  return plus === -1 ? version : version.slice(0, plus);
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** How torch gets into the venv: installed from the lock, or borrowed from another environment. */
export function torchMode(reuseTorchFrom: string | undefined): string {
  return reuseTorchFrom === undefined ? "locked" : `reuse:${reuseTorchFrom}`;
}

/**
 * The venv's identity: the same lock on the same interpreter with the same torch mode and backend is
 * the same venv. The backend is there besides the lock (whose text names it too) so that two
 * backends can never share a folder.
 */
export function environmentKey(parts: {
  lockText: string;
  pythonVersion: string;
  platform: string;
  torchMode: string;
  torchBackend?: string;
}): string {
  // JSON framing keeps the fields unambiguous (no way for one field's end to pass for another's start).
  const fields = [parts.lockText, parts.pythonVersion, parts.platform, parts.torchMode];
  const framed = JSON.stringify(parts.torchBackend === undefined ? fields : [...fields, parts.torchBackend]);
  return sha256(framed).slice(0, KEY_HEX_LENGTH);
}
