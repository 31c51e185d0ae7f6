/**
 * Entry point of a detached supervisor: `node supervisor-main.js <run-dir>`. Started by
 * `trellis run` in its own session, so closing the terminal or losing SSH does not stop training.
 */
import { fileLogger } from "./adapters/logger.js";
import { runFiles, readPreparedRun } from "./app/prepared-run.js";
import { EXIT_CODES, startSupervisor, type Supervisor } from "./app/supervisor.js";

const runDir = process.argv[2];
if (!runDir) {
  process.stderr.write("usage: supervisor-main <run-dir>\n");
  process.exit(2);
}
const prepared = readPreparedRun(runDir);
const logger = fileLogger(runFiles(prepared.runDir).log);
process.on("SIGHUP", () => logger.info("SIGHUP ignored: the supervisor outlives terminals"));
// SIGINT/SIGTERM ask for a graceful stop, like `s` in the dashboard. The handlers are in place
// before the supervisor starts (its supervisor.json already names this process): a signal that
// comes while it starts is kept and applied once it is up, rather than killing it uncleaned.
let supervisor: Supervisor | undefined;
let stopsWhileStarting = 0;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => (supervisor ? supervisor.command("stop") : stopsWhileStarting++));
try {
  supervisor = await startSupervisor(prepared, logger);
  for (; stopsWhileStarting > 0; stopsWhileStarting--) supervisor.command("stop");
  const result = await supervisor.done;
  logger.flush();
  process.exitCode = EXIT_CODES[result.status];
} catch (err) {
  logger.error({ err }, "supervisor failed");
  process.stderr.write(
    `trellis supervisor: ${(err as Error).stack ?? String(err)}\n(see ${runFiles(runDir).supervisorLog})\n`,
  );
  process.exitCode = 1;
}
