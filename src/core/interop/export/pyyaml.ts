/**
 * YAML that PyYAML (YAML 1.1, what the TRL CLI reads) parses to the same values: strings that
 * 1.1 would read as booleans or null are quoted, and floats always carry a dot and a signed
 * exponent (PyYAML reads `5e-7` as the string "5e-7").
 */

/** Plain scalars that need no quotes in either YAML version. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const YAML11_WORDS =
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;

export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return ".nan";
  if (!Number.isFinite(v)) return v > 0 ? ".inf" : "-.inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
  const text = String(v);
  if (!/e/i.test(text)) return text;
  const [mantissa, exponent] = v.toExponential().split("e") as [string, string];
  return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}e${exponent}`;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return pyFloat(v);
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return PLAIN.test(s) && !YAML11_WORDS.test(s) ? s : JSON.stringify(s);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function block(v: unknown, indent: string): string[] {
  if (Array.isArray(v)) {
    if (!v.length) return [`${indent}[]`];
    return v.flatMap((item) => {
      const lines = isMap(item) || Array.isArray(item) ? block(item, `${indent}  `) : [`${indent}  ${scalar(item)}`];
      return [`${indent}- ${lines[0]!.trimStart()}`, ...lines.slice(1)];
    });
  }
  if (isMap(v)) {
    if (!Object.keys(v).length) return [`${indent}{}`];
    return Object.entries(v).flatMap(([k, val]) => {
      const key = scalar(k);
      if ((isMap(val) && Object.keys(val).length) || (Array.isArray(val) && val.length))
        return [`${indent}${key}:`, ...block(val, `${indent}  `)];
      const inner = isMap(val) ? "{}" : Array.isArray(val) ? "[]" : scalar(val);
      return [`${indent}${key}: ${inner}`];
    });
  }
  return [`${indent}${scalar(v)}`];
}

/** A mapping as block YAML; `comments` become `#` lines on top. */
export function toPyYaml(value: Record<string, unknown>, comments: string[] = []): string {
  return [...comments.map((c) => `# ${c}`.trimEnd()), ...block(value, "")].join("\n") + "\n";
}
