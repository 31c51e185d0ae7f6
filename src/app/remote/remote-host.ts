/**
 * A GPU server reached with the user's own ssh (`--on HOST`): trellis installed there from this
 * very install, recipes and data sent, runs started detached there, and watched from here through
 * the ssh connection. On the server everything lives in the user's home:
 *   ~/.local/share/trellis/versions/<version>-<digest>/  trellis itself (kept per version)
 *   ~/trellis/projects/<recipe>-<digest>/                 the recipe and its local data files
 *   ~/trellis/runs/<run-id>/                              the run folders (0700)
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { Ssh, shq, SshError } from "../../adapters/ssh.js";
import {
  hasLocalRsync,
  remoteSpec,
  rsync,
  sendTar,
  trellisBundle,
  type TrellisBundle,
} from "../../adapters/ssh-transfer.js";
import { sha256File } from "../../adapters/hash.js";
import { rememberHost } from "../../adapters/remote-hosts.js";
import { TrellisError } from "../../core/errors.js";

const REMOTE_VERSIONS = ".local/share/trellis/versions";
const REMOTE_WORK = "trellis";
/** Node's oldest major that trellis runs on (package.json engines). */
const NODE_MAJOR = 20;
const PYTHON_MIN: [number, number] = [3, 10];

class RemoteSetupError extends TrellisError {
  override readonly exitCode = 3;
}

interface ServerFacts {
  home: string;
  node?: string;
  python?: string;
  rsync: boolean;
  installed: boolean;
}

interface RemoteOptions {
  /** Lines of progress for the user (stderr). */
  say: (line: string) => void;
  /** The remote stderr as it comes (env setup's progress, the run's notices). */
  stderr: NodeJS.WritableStream;
  /** The server has its own environment (`--env PATH` there): no Python check here. */
  ownEnvironment?: boolean;
}

export class RemoteHost {
  readonly ssh: Ssh;
  private bundle: TrellisBundle | undefined;
  facts: ServerFacts | undefined;

  constructor(
    spec: string,
    private readonly o: RemoteOptions,
  ) {
    this.ssh = new Ssh(spec);
  }

  get name(): string {
    return this.ssh.target.spec;
  }

  private get key(): string {
    this.bundle ??= trellisBundle();
    return this.bundle.key;
  }

  /** One round trip: what the server has. Node missing (or too old) is one message with the fix. */
  async probe(): Promise<ServerFacts> {
    const dir = `${REMOTE_VERSIONS}/${this.key}`;
    const { stdout } = await this.ssh.run(
      [
        "cd",
        `printf 'home=%s\\n' "$HOME"`,
        `if command -v node >/dev/null 2>&1; then printf 'node=%s\\n' "$(node --version 2>/dev/null)"; fi`,
        `if command -v python3 >/dev/null 2>&1; then printf 'python=%s\\n' "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)"; fi`,
        `if command -v rsync >/dev/null 2>&1; then echo rsync=yes; fi`,
        `if [ -f ${shq(dir)}/.complete ]; then echo installed=yes; fi`,
      ].join("; "),
    );
    const kv = Object.fromEntries(
      stdout
        .split("\n")
        .map((l) => l.split("="))
        .filter((p) => p.length >= 2)
        .map(([k, ...v]) => [k!, v.join("=").trim()]),
    );
    const facts: ServerFacts = {
      home: kv.home ?? "~",
      node: kv.node || undefined,
      python: kv.python || undefined,
      rsync: kv.rsync === "yes",
      installed: kv.installed === "yes",
    };
    const major = facts.node ? Number(/^v?(\d+)/.exec(facts.node)?.[1]) : 0;
    if (!(major >= NODE_MAJOR))
      throw new RemoteSetupError(
        `${facts.node ? `Node.js ${facts.node} on ${this.name} is too old` : `Node.js is not on ${this.name} (no 'node' on the PATH of an ssh command)`}: trellis runs there too and needs Node ${NODE_MAJOR} or newer. On the server, either:\n` +
          `  curl -fsSL https://deb.nodesource.com/setup_22.x | sudo -E bash - && sudo apt-get install -y nodejs\n` +
          `or, without root:\n` +
          `  curl -fsSL https://fnm.vercel.app/install | bash && ~/.local/share/fnm/fnm install 22\n` +
          `then check that 'ssh ${this.name} node --version' answers (a PATH set only in an interactive shell's rc file is not seen by ssh commands).`,
      );
    if (!this.o.ownEnvironment) {
      const [maj, min] = (facts.python ?? "0.0").split(".").map(Number) as [number, number];
      if (maj < PYTHON_MIN[0] || (maj === PYTHON_MIN[0] && min < PYTHON_MIN[1]))
        throw new RemoteSetupError(
          `${facts.python ? `Python ${facts.python} on ${this.name} is too old` : `Python 3 is not on ${this.name}`}: trellis builds its training environment there and needs Python ${PYTHON_MIN.join(".")} or newer with venv. On the server:\n` +
            `  sudo apt-get install -y python3 python3-venv     (Debian, Ubuntu)\n` +
            `  sudo dnf install -y python3                         (Fedora, RHEL)\n` +
            `or pass --env PATH with an environment already on the server (its TRL, transformers and torch are used as they are).`,
        );
    }
    this.facts = facts;
    return facts;
  }

  /** trellis on the server, the same version as here: sent once per version (tar through ssh). */
  async ensureTrellis(): Promise<void> {
    const facts = this.facts ?? (await this.probe());
    rememberHost(this.name);
    if (facts.installed) return;
    this.bundle ??= trellisBundle();
    const dir = `${REMOTE_VERSIONS}/${this.key}`;
    this.o.say(`installing trellis ${this.bundle.version} on ${this.name} (~/${dir})`);
    let shown = "";
    await sendTar(
      this.ssh,
      this.bundle.root,
      this.bundle.paths,
      `set -e; cd; d=${shq(dir)}; rm -rf "$d.part"; mkdir -p "$d.part"; tar -xzf - -C "$d.part"; touch "$d.part/.complete"; rm -rf "$d"; mv "$d.part" "$d"`,
      (line) => {
        if (line !== shown) this.o.say(`  ${(shown = line)}`);
      },
    );
    facts.installed = true;
  }

  /** The server's trellis, run in ~/trellis with `args`; its stderr streams here as it comes. */
  async trellis(
    args: string[],
    o: { stdout?: NodeJS.WritableStream; okCodes?: number[]; quiet?: boolean } = {},
  ): Promise<{ stdout: string; exitCode: number }> {
    await this.ensureTrellis();
    const entry = `"$HOME"/${REMOTE_VERSIONS}/${this.key}/bin/trellis.js`;
    try {
      return await this.ssh.run(
        `cd && mkdir -p -m 700 ${REMOTE_WORK} && cd ${REMOTE_WORK} && exec node ${entry} ${args.map(shq).join(" ")}`,
        { stderr: o.quiet ? undefined : this.o.stderr, stdout: o.stdout, okCodes: o.okCodes },
      );
    } catch (err) {
      // The server's trellis said why on stderr (streamed above): its exit code is the answer.
      const code = (err as { remoteExit?: number }).remoteExit;
      if (err instanceof SshError && code !== undefined && !o.quiet) {
        const e = new RemoteSetupError(`the trellis on ${this.name} exited with code ${code} (its message is above)`);
        (e as { exitCode: number }).exitCode = code;
        throw e;
      }
      throw err;
    }
  }

  /**
   * The recipe and its local data files, into ~/trellis/projects/<name>-<digest>/ with the same
   * layout relative to each other (the recipe's relative paths hold there). Unchanged files are
   * not sent again: rsync compares them; without rsync, their sha256 on both sides.
   * Returns the recipe's path on the server, relative to ~/trellis.
   */
  async sendRecipe(recipeFile: string, recipeName: string, dataFiles: string[]): Promise<string> {
    const recipe = path.resolve(recipeFile);
    const all = [recipe, ...dataFiles.map((f) => path.resolve(f))];
    const root = commonDir(all.map((f) => path.dirname(f)));
    const rels = [...new Set(all.map((f) => path.relative(root, f)))];
    const project = `projects/${recipeName}-${createHash("sha256").update(root).digest("hex").slice(0, 8)}`;
    const remoteDir = `${REMOTE_WORK}/${project}`;
    await this.ssh.run(`cd && mkdir -p -m 700 ${REMOTE_WORK} && mkdir -p ${shq(remoteDir)}`);
    this.o.say(
      `sending the recipe and ${dataFiles.length} data file${dataFiles.length === 1 ? "" : "s"} to ${this.name}:~/${remoteDir}`,
    );
    if (this.facts?.rsync && (await hasLocalRsync())) {
      await rsync(
        this.ssh,
        rels.map((r) => `./${r}`),
        remoteSpec(this.ssh, `${remoteDir}/`),
        {
          relative: true,
          cwd: root,
          progress: (line) => this.o.say(`  ${line}`),
        },
      );
    } else {
      const remoteSums = await this.ssh.run(
        `cd ${shq(remoteDir)} 2>/dev/null && sha256sum -- ${rels.map(shq).join(" ")} 2>/dev/null; true`,
      );
      const have = new Map(
        remoteSums.stdout
          .split("\n")
          .map((l) => /^([0-9a-f]{64}) [ *](.+)$/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[2]!, m[1]!]),
      );
      const changed: string[] = [];
      for (const r of rels) if (have.get(r) !== (await sha256File(path.join(root, r)))) changed.push(r);
      if (changed.length)
        await sendTar(this.ssh, root, changed, `set -e; cd; tar -xzf - -C ${shq(remoteDir)}`, (line) =>
          this.o.say(`  ${line}`),
        );
      else this.o.say("  unchanged since the last run: nothing sent");
    }
    return `${project}/${path.relative(root, recipe)}`;
  }

  /** A run's live address on the server, and its token: read over ssh, kept in memory only. */
  async target(run: string | undefined): Promise<RemoteTarget> {
    const { stdout } = await this.trellis(["_remote", "target", ...(run ? [run] : [])], { quiet: true });
    return JSON.parse(stdout) as RemoteTarget;
  }

  /** Copies a run folder back: without checkpoints (and without the final model unless `model`). */
  async pull(run: string, into: string, o: { model: boolean }): Promise<void> {
    // The token and the supervisor's address are the server's; checkpoints stay there too.
    const exclude = ["checkpoint-*", "supervisor.json", "token", ".disk-reserve"];
    if (!o.model) exclude.push("/output/");
    if (!this.facts?.rsync || !(await hasLocalRsync()))
      throw new RemoteSetupError(
        `trellis pull needs rsync on both sides (it resumes a cut copy). Install it: sudo apt-get install -y rsync (on ${this.name} and here)`,
      );
    await rsync(this.ssh, [remoteSpec(this.ssh, `${REMOTE_WORK}/runs/${run}`)], into, {
      exclude,
      progress: (line) => this.o.say(`  ${line}`),
    });
  }
}

export interface RemoteTarget {
  run: string;
  dir: string;
  live: boolean;
  port?: number;
  token?: string;
}

function commonDir(dirs: string[]): string {
  let common = dirs[0]!;
  for (const d of dirs.slice(1))
    while (common !== path.dirname(common) && path.relative(common, d).startsWith("..")) common = path.dirname(common);
  return common;
}
