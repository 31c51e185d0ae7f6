/** `trellis env setup` and `trellis env doctor`, and `trellis env`, which picks one. */
import { formatDoctor } from "../adapters/venv/index.js";
import { runDoctor, setupEnvironment } from "../app/env.js";
import { colorEnabled } from "../ui/format.js";
import { envOptions, parse, UsageError } from "./args.js";

export async function envCommand(rest: string[], help: (name: string) => () => number): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === "setup") return envSetupCommand(args, help("env setup"));
  if (sub === "doctor") return envDoctorCommand(args, help("env doctor"));
  if (sub === undefined || sub === "--help" || sub === "-h") return help("env")();
  throw new UsageError(`unknown env command '${sub}' (try: trellis env setup, trellis env doctor)`);
}

export async function envSetupCommand(args: string[], help: () => number): Promise<number> {
  const { values } = parse(args, "env setup");
  if (values.help) return help();
  await setupEnvironment({ ...envOptions(values), force: values.force, out: process.stderr });
  return 0;
}

export async function envDoctorCommand(args: string[], help: () => number): Promise<number> {
  const { values } = parse(args, "env doctor");
  if (values.help) return help();
  const report = await runDoctor(envOptions(values));
  process.stdout.write(
    values.json ? `${JSON.stringify(report)}\n` : `${formatDoctor(report, { color: colorEnabled(process.stdout) })}\n`,
  );
  return report.problems.length ? 1 : 0;
}
