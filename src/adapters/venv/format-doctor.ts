// Pure: a DoctorReport as text for a terminal.
import type { DoctorReport, PackageCheck } from "./doctor.js";

export interface FormatDoctorOptions {
  color: boolean;
  /** Plain `ok`/`x` marks for terminals without Unicode. */
  ascii?: boolean;
}

const GREEN = "\u001b[32m";
const RED = "\u001b[31m";
const YELLOW = "\u001b[33m";
const DIM = "\u001b[2m";
const RESET = "\u001b[0m";

/** An aligned table of the report: one line per component with a mark, then one line per problem and its fix. */
export function formatDoctor(report: DoctorReport, opts: FormatDoctorOptions): string {
  const paint = (code: string, text: string) => (opts.color ? `${code}${text}${RESET}` : text);
  const good = paint(GREEN, opts.ascii ? "ok" : "✓");
  const bad = paint(RED, opts.ascii ? "!!" : "✗");
  const mark = (ok: boolean) => (ok ? good : bad);
  const { torch } = report;
  const rows: Array<[string, string, string, string]> = [
    [mark(report.python.version !== "?"), "python", report.python.version, report.python.path],
    [
      mark(report.venv.ok),
      "venv",
      report.venv.ok ? "ready" : "not ready",
      `${report.venv.dir} (key ${report.venv.key})`,
    ],
    ...report.packages.map((p) => packageRow(p, mark)),
    ...report.extras.map((e) => extraRow(e, mark)),
    [
      mark(torch.version !== undefined),
      "cuda",
      cudaText(torch),
      torch.gpus.length > 0 ? torch.gpus.join(", ") : "no GPU visible",
    ],
    driverRow(report, mark),
  ];
  const nameWidth = Math.max(...rows.map((r) => r[1].length));
  const valueWidth = Math.max(...rows.map((r) => r[2].length));
  const lines = rows.map(([m, name, value, detail]) =>
    `${m} ${name.padEnd(nameWidth)}  ${value.padEnd(valueWidth)}  ${paint(DIM, detail)}`.trimEnd(),
  );
  if (report.extras.length === 0 && report.builtExtras.length > 0) {
    lines.push(
      "",
      `extras ready on this base (trellis env doctor --extra NAME): ${report.builtExtras.map((set) => set.join(" + ")).join("; ")}`,
    );
  }
  if (report.problems.length === 0) {
    lines.push("", paint(GREEN, "environment ready"));
  } else {
    lines.push("", paint(YELLOW, report.problems.length === 1 ? "1 problem:" : `${report.problems.length} problems:`));
    lines.push(...report.problems.map((problem) => `${bad} ${problem}`));
  }
  return `${lines.join("\n")}\n`;
}

function packageRow(p: PackageCheck, mark: (ok: boolean) => string): [string, string, string, string] {
  const wanted = p.wanted ? `lock pins ${p.wanted}` : "not pinned";
  if (p.status === "missing") return [mark(false), p.name, "missing", wanted];
  return [mark(p.status === "ok"), p.name, p.found ?? "?", p.status === "ok" && p.wanted ? "" : wanted];
}

function driverRow(report: DoctorReport, mark: (ok: boolean) => string): [string, string, string, string] {
  const backend = report.torchBackend ? `torch backend ${report.torchBackend}` : "";
  if (!report.driver)
    return [mark(true), "driver", "none", ["no NVIDIA driver (nvidia-smi)", backend].filter(Boolean).join("; ")];
  const build = report.torch.cudaVersion ? `torch built for CUDA ${report.torch.cudaVersion}` : "torch is a CPU build";
  const fit = report.driver.fits ? "fits" : "does not fit";
  return [
    mark(report.driver.fits),
    "driver",
    `${report.driver.driver ?? "?"} (CUDA ${report.driver.cuda})`,
    [`${build}: ${fit}`, backend].filter(Boolean).join("; "),
  ];
}

function cudaText(torch: DoctorReport["torch"]): string {
  if (torch.version === undefined) return "no torch";
  return torch.cuda ? `yes${torch.cudaVersion ? ` (CUDA ${torch.cudaVersion})` : ""}` : "no (CPU only)";
}

function extraRow(e: DoctorReport["extras"][number], mark: (ok: boolean) => string): [string, string, string, string] {
  const ok = e.packages.every((p) => p.status === "ok");
  const versions = e.packages
    .map((p) => (p.status === "missing" ? `${p.name} missing` : `${p.name} ${p.found ?? "?"}`))
    .join(", ");
  return [
    mark(ok),
    `extra ${e.name}`,
    versions,
    ok ? "" : `lock pins ${e.packages.map((p) => p.wanted ?? "?").join(", ")}`,
  ];
}
