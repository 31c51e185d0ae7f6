/**
 * Files to and from a server over the user's ssh: trellis itself (this very install, so the server
 * runs the version the laptop runs), a recipe with its data, and a run folder back. rsync when both
 * sides have it (unchanged files are not sent again, an interrupted copy resumes with --partial),
 * else tar through ssh.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Transform } from "node:stream";
import { execa } from "execa";
import { PACKAGE_ROOT, TRELLIS_VERSION } from "./package-files.js";
import { SshError, type Ssh } from "./ssh.js";
import { TrellisError } from "../core/errors.js";

/** What `npm pack` would ship (package.json "files"), plus the production dependencies it needs. */
const SHIPPED = [
  "package.json",
  "bin",
  "dist/src",
  "dist/python",
  "python/trellis_runtime",
  "python/extras",
  "python/locks",
  "python/requirements.lock",
  "python/requirements-cu130.lock",
  "python/requirements.in",
  "python/pyproject.toml",
  "recipes",
];

export interface TrellisBundle {
  /** `0.1.0-3fa1c2d4e5f6`: the version, and a digest of what is shipped (a rebuilt laptop install is a new one). */
  key: string;
  version: string;
  /** Paths relative to `root`. */
  paths: string[];
  root: string;
}

/**
 * This install as a list of paths, and its key. The node_modules closure is found by walking
 * package.json dependencies the way Node resolves them (a checkout and an npm install alike).
 */
export function trellisBundle(root = PACKAGE_ROOT): TrellisBundle {
  const paths = SHIPPED.filter((p) => existsSync(path.join(root, p)));
  const deps = new Set<string>();
  const visit = (fromDir: string, name: string) => {
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, "node_modules", name);
      if (existsSync(path.join(candidate, "package.json"))) {
        const rel = path.relative(root, candidate);
        const shipped = rel.startsWith("..") ? path.join("node_modules", name) : rel;
        if (deps.has(shipped)) return;
        deps.add(shipped);
        const pkg = JSON.parse(readFileSync(path.join(candidate, "package.json"), "utf8")) as {
          dependencies?: Record<string, string>;
          optionalDependencies?: Record<string, string>;
        };
        for (const d of Object.keys({ ...pkg.dependencies })) visit(candidate, d);
        for (const d of Object.keys({ ...pkg.optionalDependencies }))
          if (existsSync(path.join(candidate, "node_modules", d)) || existsSync(path.join(root, "node_modules", d)))
            visit(candidate, d);
        return;
      }
      if (dir === path.dirname(dir)) return; // not installed (an optional one): nothing to ship
    }
  };
  const own = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  for (const d of Object.keys(own.dependencies ?? {})) visit(root, d);
  const all = [...paths, ...[...deps].sort()];
  const digest = createHash("sha256");
  for (const p of all) stampTree(path.join(root, p), p, digest);
  return { key: `${TRELLIS_VERSION}-${digest.digest("hex").slice(0, 12)}`, version: TRELLIS_VERSION, paths: all, root };
}

/** Names, sizes and modification times: a rebuild changes the key, a re-run does not. */
function stampTree(full: string, rel: string, digest: ReturnType<typeof createHash>): void {
  const st = statSync(full);
  if (st.isDirectory()) {
    for (const name of readdirSync(full).sort())
      if (name !== "__pycache__") stampTree(path.join(full, name), `${rel}/${name}`, digest);
  } else digest.update(`${rel}\0${st.size}\0${Math.floor(st.mtimeMs)}\n`);
}

/** Counts the bytes that pass, and says so now and then. */
function meter(say: (bytes: number) => void): Transform {
  let bytes = 0;
  let last = 0;
  let said = -1;
  const tell = () => {
    if (bytes !== said) say((said = bytes));
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (Date.now() - last > 1000) {
        last = Date.now();
        tell();
      }
      done(null, chunk);
    },
    flush(done) {
      tell();
      done();
    },
  });
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Sends `paths` (relative to `localRoot`) into `remoteDir` as one tar stream through ssh.
 * `-h` follows symbolic links (a checkout's node_modules may be one).
 */
export async function sendTar(
  ssh: Ssh,
  localRoot: string,
  paths: string[],
  remoteScript: string,
  progress?: (line: string) => void,
): Promise<void> {
  const tar = execa(
    "tar",
    ["-C", localRoot, "-chzf", "-", "--exclude=__pycache__", "--exclude=node_modules/.bin", "--", ...paths],
    {
      stdout: "pipe",
      stderr: "pipe",
      buffer: { stdout: false, stderr: true },
      reject: false,
    },
  );
  const counted = tar.stdout.pipe(meter((b) => progress?.(`sent ${mb(b)}`)));
  const [sent, packed] = await Promise.allSettled([ssh.run(remoteScript, { input: counted }), tar]);
  if (packed.status === "fulfilled" && packed.value.exitCode !== 0)
    throw new TrellisError(`tar could not pack ${localRoot}: ${String(packed.value.stderr).trim()}`);
  if (sent.status === "rejected") throw sent.reason;
}

export async function hasLocalRsync(): Promise<boolean> {
  const r = await execa("rsync", ["--version"], { reject: false });
  return r.exitCode === 0;
}

/**
 * rsync over the same ssh: only what changed is sent; `--partial` keeps half-sent files, so a copy
 * cut by a dropped connection resumes where it was.
 */
export async function rsync(
  ssh: Ssh,
  from: string[],
  to: string,
  o: { exclude?: string[]; progress?: (line: string) => void; relative?: boolean; cwd?: string } = {},
): Promise<void> {
  const args = [
    "-a",
    "--partial",
    "--chmod=Du=rwx,Dgo=,Fu=rw,Fgo=",
    "--info=progress2",
    "--no-inc-recursive",
    ...(o.relative ? ["--relative"] : []),
    ...(o.exclude ?? []).flatMap((e) => ["--exclude", e]),
    "-e",
    ssh.rshCommand(),
    ...from,
    to,
  ];
  const child = execa("rsync", args, {
    cwd: o.cwd,
    reject: false,
    stdout: "pipe",
    stderr: "pipe",
    buffer: { stdout: false, stderr: true },
  });
  child.stdout.on("data", (chunk: Buffer) => {
    // progress2 lines: "  1,234,567  45%  1.2MB/s  0:00:03"; the last of each chunk is enough.
    const line = chunk
      .toString("utf8")
      .split(/[\r\n]/)
      .filter((l) => l.trim())
      .pop();
    if (line && o.progress) o.progress(line.trim().replace(/\s+/g, " "));
  });
  const r = await child;
  if (r.exitCode !== 0) {
    const err = String(r.stderr);
    if (r.exitCode === 255 || /ssh: |connection unexpectedly closed/i.test(err))
      throw new SshError(
        "unreachable",
        `rsync to ${ssh.target.spec} lost its ssh connection: ${err.trim()} (run the same command again: it resumes)`,
      );
    throw new TrellisError(`rsync failed (exit ${r.exitCode}): ${err.trim()}`);
  }
}

/** A remote path for rsync's destination: host:path, quoted for the remote shell. */
export function remoteSpec(ssh: Ssh, remotePath: string): string {
  const d = ssh.target.destination;
  return `${d.includes(":") ? `[${d}]` : d}:${remotePath}`;
}
