/** TRL versions as comparable numbers: "0.26.1" -> [0, 26, 1]. */

export type Version = readonly [number, number, number];

export function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function atLeast(v: Version, text: string): boolean {
  const w = parseVersion(text)!;
  for (let i = 0; i < 3; i++) if (v[i] !== w[i]) return v[i]! > w[i]!;
  return true;
}

export const formatVersion = (v: Version) => v.join(".");
