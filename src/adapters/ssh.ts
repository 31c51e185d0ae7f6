/**
 * The user's own OpenSSH client, run for trellis: their ~/.ssh/config, keys, agent, jump hosts and
 * known_hosts decide everything; trellis adds only multiplexing (one handshake for the many calls
 * of a command) and BatchMode (a password or host-key prompt is an error, never a hang). Host keys
 * are verified as the user's ssh verifies them: no StrictHostKeyChecking override, ever.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, chmodSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { execa } from "execa";
import { TrellisError } from "../core/errors.js";
import { cacheRoot } from "./venv/paths.js";

/** The ssh program and arguments of its own: `TRELLIS_SSH_COMMAND` (as GIT_SSH_COMMAND), else `ssh`. */
const SSH_COMMAND_ENV = "TRELLIS_SSH_COMMAND";

/** What failed, each with its own advice. */
type SshFailureKind = "unreachable" | "auth" | "host-key-changed" | "host-key-unknown" | "ssh-missing" | "other";

export class SshError extends TrellisError {
  override readonly exitCode = 3;
  constructor(
    readonly kind: SshFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** HOST as the user wrote it: an alias, user@host, host:port or [v6]:port. */
interface SshTarget {
  /** What ssh is given as the destination. */
  destination: string;
  port?: number;
  /** As the user wrote it: the name shown in messages and kept in the hosts file. */
  spec: string;
}

export function parseHost(spec: string): SshTarget {
  const trimmed = spec.trim();
  if (!trimmed || /\s/.test(trimmed) || trimmed.startsWith("-"))
    throw new SshError("other", `--on takes a host as ssh knows it (an alias, user@host or host:port), not '${spec}'`);
  const v6 = /^(.*@)?\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (v6) return withPort({ destination: `${v6[1] ?? ""}${v6[2]}`, spec: trimmed }, v6[3]);
  const hostPort = /^([^:]+):(\d+)$/.exec(trimmed);
  if (hostPort) return withPort({ destination: hostPort[1]!, spec: trimmed }, hostPort[2]);
  return { destination: trimmed, spec: trimmed };
}

function withPort(target: SshTarget, port: string | undefined): SshTarget {
  if (port === undefined) return target;
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new SshError("other", `the port in --on ${target.spec} must be 1-65535`);
  return { ...target, port: n };
}

/** Quotes a word for the remote POSIX shell. */
export function shq(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The folder of control sockets: under XDG_RUNTIME_DIR when set (per-user, tmpfs), else the
 * cache; 0700, since a socket there is a logged-in session to the server. Socket paths must stay
 * under ~104 bytes: ssh's %C is a 40-character hash, and a too-long root is shortened to a hash.
 */
function controlDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, "trellis-ssh") : path.join(cacheRoot(env), "ssh");
  const dir =
    base.length <= 50
      ? base
      : path.join("/tmp", `trellis-ssh-${createHash("sha256").update(base).digest("hex").slice(0, 12)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** How long the shared connection outlives its last use. */
const CONTROL_PERSIST = "120";

interface SshRunOptions {
  input?: string | Buffer | NodeJS.ReadableStream;
  /** Where the remote stderr goes as it comes (progress); it is also kept for the error message. */
  stderr?: NodeJS.WritableStream;
  /** Where the remote stdout goes as it comes; otherwise it is returned. */
  stdout?: NodeJS.WritableStream;
  /** An exit code of the remote command that is an answer, not a failure. */
  okCodes?: number[];
}

export class Ssh {
  readonly target: SshTarget;
  private readonly program: string[];

  constructor(
    spec: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.target = parseHost(spec);
    const words = (env[SSH_COMMAND_ENV] ?? "ssh").trim().split(/\s+/).filter(Boolean);
    this.program = words.length ? words : ["ssh"];
  }

  /** The options every call shares: multiplexing, no prompts, keepalives that notice a dead link. */
  baseArgs(): string[] {
    const dir = controlDir(this.env);
    return [
      ...this.program.slice(1),
      "-o",
      "BatchMode=yes",
      "-o",
      "ControlMaster=auto",
      "-o",
      `ControlPath=${path.join(dir, "%C")}`,
      "-o",
      `ControlPersist=${CONTROL_PERSIST}`,
      "-o",
      "ConnectTimeout=20",
      "-o",
      "ServerAliveInterval=10",
      "-o",
      "ServerAliveCountMax=3",
      ...(this.target.port ? ["-p", String(this.target.port)] : []),
    ];
  }

  /** Runs `script` with the server's shell; resolves with its stdout, or throws the failure's one message. */
  async run(script: string, o: SshRunOptions = {}): Promise<{ stdout: string; exitCode: number }> {
    const args = [...this.baseArgs(), "-T", this.target.destination, "--", script];
    let stderrText = "";
    const child = execa(this.program[0]!, args, {
      reject: false,
      buffer: { stdout: !o.stdout, stderr: false },
      stdin: o.input === undefined ? "ignore" : "pipe",
      stdout: "pipe",
      stderr: "pipe",
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderrText = (stderrText + chunk.toString("utf8")).slice(-16_384);
      o.stderr?.write(chunk);
    });
    if (o.stdout) child.stdout?.pipe(o.stdout, { end: false });
    if (o.input !== undefined && child.stdin) {
      if (typeof o.input === "string" || Buffer.isBuffer(o.input)) child.stdin.end(o.input);
      else o.input.pipe(child.stdin);
      child.stdin.on("error", () => {}); // ssh gone: its exit says why
    }
    const result = await child;
    if (result.failed && result.exitCode === undefined)
      throw new SshError(
        "ssh-missing",
        `could not run ${this.program[0]}: ${result.shortMessage} (install OpenSSH's client, or set ${SSH_COMMAND_ENV})`,
      );
    const code = result.exitCode ?? 255;
    if (code === 255) throw sshFailure(this.target.spec, stderrText);
    if (code !== 0 && !(o.okCodes ?? []).includes(code)) {
      const err = new SshError(
        "other",
        `on ${this.target.spec}: the command failed (exit ${code})${stderrText.trim() ? `:\n${stderrText.trim()}` : ""}`,
      );
      (err as SshError & { remoteExit: number }).remoteExit = code;
      throw err;
    }
    return { stdout: typeof result.stdout === "string" ? result.stdout : "", exitCode: code };
  }

  /** `ssh -W host:port`: a byte stream to a port on the server's loopback, through the shared connection. */
  streamTo(port: number): ChildProcess {
    return spawn(this.program[0]!, [...this.baseArgs(), "-W", `127.0.0.1:${port}`, this.target.destination], {
      stdio: ["pipe", "pipe", "pipe"],
    });
  }

  /** The ssh command line rsync's `-e` takes (the same options, so the same shared connection). */
  rshCommand(): string {
    return [this.program[0]!, ...this.baseArgs()].map(shq).join(" ");
  }

  /** Ends the shared connection now (tests; `trellis hosts --forget`). */
  async closeMaster(): Promise<void> {
    await execa(this.program[0]!, [...this.baseArgs(), "-O", "exit", this.target.destination], { reject: false });
  }
}

/** ssh's exit 255: which failure it was, in ssh's own words, and what to do about it. */
export function sshFailure(host: string, stderr: string): SshError {
  const said = stderr
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l && !/^(Warning: Permanently added|mux_client_|ControlSocket)/.test(l));
  const quoted = said.length ? `\nssh said:\n  ${said.slice(-20).join("\n  ")}` : "";
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr))
    return new SshError(
      "host-key-changed",
      `refused: the host key of ${host} is not the one your known_hosts has for it. Either the server was reinstalled or replaced, or someone is in the middle. Check the new key's fingerprint with your provider, then remove the old key (ssh-keygen -R <host>, as ssh says below) and connect once by hand with ssh.${quoted}`,
    );
  if (/Host key verification failed|No .* host key is known/i.test(stderr))
    return new SshError(
      "host-key-unknown",
      `refused: ${host}'s host key is not in your known_hosts, and trellis does not accept keys on your behalf. Connect once by hand (ssh ${host}), check the fingerprint it shows, and accept it; then run trellis again.${quoted}`,
    );
  if (
    /Permission denied|Too many authentication failures|no matching host key type|Authentication failed/i.test(stderr)
  )
    return new SshError(
      "auth",
      `${host} refused the login: no key it accepts was offered (trellis runs ssh in batch mode: no password prompts). Add your key to the agent (ssh-add), name it in ~/.ssh/config (IdentityFile), or install it on the server (ssh-copy-id ${host}); ssh ${host} should log in without a prompt.${quoted}`,
    );
  if (/Could not resolve hostname|Name or service not known|nodename nor servname/i.test(stderr))
    return new SshError(
      "unreachable",
      `cannot reach ${host}: the name does not resolve (a typo, or an alias missing from ~/.ssh/config).${quoted}`,
    );
  if (
    /Connection refused|timed out|No route to host|Network is unreachable|Connection closed|Connection reset|kex_exchange_identification|Broken pipe/i.test(
      stderr,
    )
  )
    return new SshError(
      "unreachable",
      `cannot reach ${host}: the server does not answer ssh (is it running, and is the address and port right?).${quoted}`,
    );
  return new SshError("other", `ssh to ${host} failed.${quoted || " (ssh said nothing)"}`);
}
