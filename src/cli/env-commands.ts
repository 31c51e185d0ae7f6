/** `trellis env setup` and `trellis env doctor`. */
import { formatDoctor } from "../adapters/venv/index.js";
import { runDoctor, setupEnvironment } from "../app/env.js";
import { colorEnabled } from "../ui/format.js";
import { envOptions, ENV_FLAGS, parse, UsageError } from "./args.js";

export async function envCommand(rest: string[], help: (name: string) => () => number): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === "setup") {
    const { values } = parse(args, { ...ENV_FLAGS, force: { type: "boolean" } });
    if (values.help) return help("env setup")();
    await setupEnvironment({ ...envOptions(values), force: values.force, out: process.stderr });
    return 0;
  }
  if (sub === "doctor") {
    const { values } = parse(args, { ...ENV_FLAGS, json: { type: "boolean" } });
    if (values.help) return help("env doctor")();
    const report = await runDoctor(envOptions(values));
    process.stdout.write(
      values.json
        ? `${JSON.stringify(report)}\n`
        : `${formatDoctor(report, { color: colorEnabled(process.stdout) })}\n`,
    );
    return report.problems.length ? 1 : 0;
  }
  if (sub === undefined || sub === "--help" || sub === "-h") return help("env")();
  throw new UsageError(`unknown env command '${sub}' (try: trellis env setup, trellis env doctor)`);
}
