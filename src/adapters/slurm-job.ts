/**
 * Runs one stage as a Slurm job and follows it from the login node: sbatch submits the
 * rendered batch script, squeue tells the queue state, rank 0's events arrive through a file on
 * the shared file system, and commands go through another. A stop is graceful first (the
 * command file: every rank saves one checkpoint and exits), then a signal to the job's steps,
 * then scancel.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { decodeStageEvent } from "../core/events/protocol.js";
import { LineDecoder } from "../core/events/line-decoder.js";
import { stripRankPrefix } from "../core/distributed/command.js";
import { tailFile } from "./file-tail.js";
import type { StageHandle, StageProcessOptions, StageProcessResult } from "./stage-process.js";

/** How often squeue is asked for the job's state. */
const QUEUE_POLL_MS = 1_000;
const TAIL_LINES = 40;
const FINAL_STATES = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "NODE_FAIL",
  "OUT_OF_MEMORY",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
]);

interface SlurmStageOptions extends Pick<
  StageProcessOptions,
  "onEvent" | "onInvalid" | "onOutput" | "onStart" | "stdoutFile"
> {
  batchFile: string;
  slurmDir: string;
  channels: { eventsFile: string; controlFile: string; ranksDir: string };
  /** The job's state as squeue says it, each time it changes (PENDING, RUNNING...). */
  onQueue?: (jobId: string, state: string, reason: string) => void;
}

export async function runSlurmStage(o: SlurmStageOptions): Promise<StageProcessResult & { jobId: string | null }> {
  for (const f of [o.channels.eventsFile, o.channels.controlFile, path.join(o.slurmDir, "exit-code")])
    rmSync(f, { force: true });
  rmSync(o.channels.ranksDir, { recursive: true, force: true });
  const submitted = await execa("sbatch", ["--parsable", o.batchFile], { reject: false });
  if (submitted.exitCode !== 0) {
    const tail =
      `${String(submitted.stderr ?? "")}${submitted.failed && submitted.exitCode === undefined ? String(submitted.message) : ""}`
        .trim()
        .split("\n");
    return {
      exitCode: submitted.exitCode ?? 127,
      signal: null,
      stderrTail: [`sbatch: ${tail.at(-1) ?? "failed"}`],
      stopped: false,
      jobId: null,
    };
  }
  const jobId = String(submitted.stdout).trim().split(";")[0]!;
  let stopped = false;
  const scancel = (args: string[]) => execa("scancel", [...args, jobId], { reject: false });
  const handle: StageHandle = {
    send: (command) => {
      if (command === "stop") stopped = true;
      appendFileSync(o.channels.controlFile, `${JSON.stringify({ command })}\n`);
    },
    // A signal reaches every task of the job's steps (torchrun's agents pass it to their ranks); SIGKILL cancels the job.
    kill: (signal) =>
      void (signal === "SIGKILL" ? scancel([]) : scancel([`--signal=${signal.replace(/^SIG/, "")}`, "--full"])),
  };
  o.onStart?.(handle);

  let lineNo = 0;
  const events = new LineDecoder();
  const onEventLine = (line: string | null) => {
    lineNo++;
    if (line === null) return o.onInvalid(lineNo, "line too long", "");
    if (!line.trim()) return;
    const decoded = decodeStageEvent(line);
    if (decoded.ok) o.onEvent(decoded.event);
    else o.onInvalid(lineNo, decoded.error, line.slice(0, 200));
  };
  const eventTail = tailFile(o.channels.eventsFile, (b) => events.push(b).forEach(onEventLine));
  // The job's output file (the batch script's and rank 0's teed lines): output events and the tail.
  const jobOut = path.join(o.slurmDir, `job-${jobId}.out`);
  const stderrTail: string[] = [];
  const output = new LineDecoder();
  const onOutputLine = (line: string | null) => {
    if (line === null) return;
    const shown = stripRankPrefix(line);
    stderrTail.push(shown);
    if (stderrTail.length > TAIL_LINES) stderrTail.shift();
    o.onOutput?.("stdout", shown);
  };
  const outTail = tailFile(jobOut, (b) => output.push(b).forEach(onOutputLine));
  rmSync(o.stdoutFile, { force: true });
  try {
    symlinkSync(path.relative(path.dirname(o.stdoutFile), jobOut), o.stdoutFile);
  } catch {
    // the output is in slurm/ all the same
  }

  let last = "";
  for (;;) {
    const q = await execa("squeue", ["-h", "-j", jobId, "-o", "%T|%r"], { reject: false });
    const [state = "", reason = ""] = String(q.stdout ?? "")
      .trim()
      .split("|");
    if (state && state !== last) {
      last = state;
      o.onQueue?.(jobId, state, reason);
    }
    if (!state || FINAL_STATES.has(state)) break;
    await new Promise((r) => setTimeout(r, QUEUE_POLL_MS));
  }
  await eventTail.stop();
  events.end().forEach(onEventLine);
  await outTail.stop();
  output.end().forEach(onOutputLine);

  const exitFile = path.join(o.slurmDir, "exit-code");
  let exitCode: number | null = existsSync(exitFile) ? Number(readFileSync(exitFile, "utf8").trim()) : null;
  let signal: string | null = null;
  if (exitCode === null) {
    // Cancelled or killed before the script wrote its status: Slurm's own record.
    const job = await execa("scontrol", ["show", "job", "-o", jobId], { reject: false });
    const m = /ExitCode=(\d+):(\d+)/.exec(String(job.stdout ?? ""));
    const state = /JobState=(\S+)/.exec(String(job.stdout ?? ""))?.[1];
    exitCode = m ? Number(m[1]) : null;
    if (m && Number(m[2])) signal = `signal ${m[2]}`;
    if (state && state !== "COMPLETED") stderrTail.push(`slurm job ${jobId} ended ${state}`);
  }
  return { exitCode, signal, stderrTail, stopped, jobId };
}
