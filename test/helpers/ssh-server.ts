/**
 * A real OpenSSH server on 127.0.0.1 standing for a rented GPU box: Debian's sshd on a free port
 * with its own config and host key in a temp folder, logging in a separate Unix account
 * (`trellis-box`) with its own home and PATH; a key pair, a known_hosts and an ssh config made
 * here for the "laptop" (the test process). Needs root (to add the account and run sshd) and
 * openssh-server (.ci/run installs it); `sshSkip` says why when they are missing.
 *
 * The test shortcut, said plainly: the server account does not build its own managed venv (that
 * downloads and takes minutes); it is given traversal of the laptop's existing managed venv
 * (an ACL entry on the folders above it, removed at the end) and runs with `--env <that venv>`.
 * Users' servers take the real path: `trellis env setup` runs there on the first run.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import net from "node:net";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";

const SSHD = "/usr/sbin/sshd";

export function sshSkip(): string | false {
  if (process.getuid?.() !== 0) return "needs root: adds a Unix account and runs sshd";
  if (!existsSync(SSHD)) return "needs openssh-server (apt-get install openssh-server)";
  for (const tool of ["ssh-keygen", "setfacl", "rsync", "useradd"])
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `needs ${tool} (apt-get install openssh-client acl rsync passwd)`;
    }
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface SshBox {
  dir: string;
  user: string;
  home: string;
  port: number;
  /** What the laptop's trellis needs: TRELLIS_SSH_COMMAND (ssh -F config) and its own control-socket folder. */
  env: Record<string, string>;
  /** The ssh alias of the box in the laptop's config. */
  alias: string;
  sshd: ChildProcess;
  /** Sets the box account's PATH for ssh commands (~/.ssh/environment). */
  setPath(dirs: string[]): void;
  /** A PATH folder with every tool of /usr/bin but `omit` (a server without Node). */
  binFarm(omit: string[]): string;
  /** Runs a command as the box user (to look at its home). */
  asBox(cmd: string): string;
  /** Replaces the server's host key (a reinstalled box, or someone in the middle) and restarts sshd. */
  changeHostKey(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSshBox(venvDirs: string[] = []): Promise<SshBox> {
  const dir = mkdtempSync("/tmp/trellis-ssh-");
  chmodSync(dir, 0o711); // the box account reaches its home inside; the laptop's key in it stays 0600
  const home = path.join(dir, "home");
  const port = await freePort();
  // An account of its own each time (removed at the end): nothing of an earlier test's box is left in it.
  const BOX_USER = `trellis-box-${path
    .basename(dir)
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x")}`;
  // '*': no password, yet not locked ("!" is locked, and sshd refuses a locked account's keys too).
  execFileSync("useradd", ["--no-create-home", "--home-dir", home, "--shell", "/bin/sh", "--password", "*", BOX_USER]);
  mkdirSync(path.join(home, ".ssh"), { recursive: true, mode: 0o700 });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "id"), "-C", "laptop"]);
  writeFileSync(path.join(home, ".ssh", "authorized_keys"), readFileSync(path.join(dir, "id.pub")), { mode: 0o600 });
  const hostKey = path.join(dir, "host_key");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey, "-C", "box"]);
  writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      "AuthorizedKeysFile .ssh/authorized_keys",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "UsePAM no",
      "StrictModes no",
      "PermitUserEnvironment yes",
      `AllowUsers ${BOX_USER}`,
      "MaxSessions 50",
      "MaxStartups 50",
      "",
    ].join("\n"),
  );
  const writeKnownHosts = () =>
    writeFileSync(
      path.join(dir, "known_hosts"),
      `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, "utf8").split(" ").slice(0, 2).join(" ")}\n`,
    );
  writeKnownHosts();
  writeFileSync(
    path.join(dir, "ssh_config"),
    [
      "Host box",
      "  HostName 127.0.0.1",
      `  Port ${port}`,
      `  User ${BOX_USER}`,
      `  IdentityFile ${path.join(dir, "id")}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${path.join(dir, "known_hosts")}`,
      "  LogLevel ERROR",
      "",
    ].join("\n"),
  );
  const setPath = (dirs: string[]) =>
    writeFileSync(path.join(home, ".ssh", "environment"), `PATH=${dirs.join(":")}\n`, { mode: 0o600 });
  setPath(["/usr/local/bin", "/usr/bin", "/bin"]);
  execFileSync("chown", ["-R", `${BOX_USER}:`, home]);
  execFileSync("chmod", ["700", home]);
  // The test shortcut (see above): traversal, not listing, of the folders above the shared venv.
  const granted = new Set<string>();
  for (const venv of venvDirs)
    for (let d = path.dirname(venv); d !== "/"; d = path.dirname(d)) {
      execFileSync("setfacl", ["-m", `u:${BOX_USER}:x`, d]);
      granted.add(d);
    }
  mkdirSync("/run/sshd", { recursive: true });
  const startSshd = async () => {
    const child = spawn(SSHD, ["-D", "-e", "-f", path.join(dir, "sshd_config")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    child.stderr.on("data", (c: Buffer) => (log += c.toString()));
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
        s.on("error", () => resolve(false));
      });
      if (up) return child;
      if (child.exitCode !== null) throw new Error(`sshd did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd did not listen on ${port}: ${log}`);
  };
  const box: SshBox = {
    dir,
    user: BOX_USER,
    home,
    port,
    alias: "box",
    sshd: await startSshd(),
    env: {
      TRELLIS_SSH_COMMAND: `ssh -F ${path.join(dir, "ssh_config")}`,
      XDG_RUNTIME_DIR: path.join(dir, "rt"),
      XDG_CONFIG_HOME: path.join(dir, "config"),
    },
    setPath,
    binFarm(omit) {
      const farm = path.join(dir, `bin-without-${omit.join("-")}`);
      mkdirSync(farm, { recursive: true });
      for (const name of readdirSync("/usr/bin"))
        if (!omit.includes(name)) symlinkSync(path.join("/usr/bin", name), path.join(farm, name));
      return farm;
    },
    asBox: (cmd) => execFileSync("su", ["-s", "/bin/sh", BOX_USER, "-c", cmd], { encoding: "utf8" }),
    async changeHostKey() {
      rmSync(hostKey, { force: true });
      rmSync(`${hostKey}.pub`, { force: true });
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey, "-C", "box-reinstalled"]);
      box.sshd.kill();
      await new Promise((r) => box.sshd.once("exit", r));
      box.sshd = await startSshd();
    },
    async stop() {
      try {
        execFileSync(
          "ssh",
          [
            "-F",
            path.join(dir, "ssh_config"),
            "-o",
            `ControlPath=${path.join(dir, "rt", "trellis-ssh", "%C")}`,
            "-O",
            "exit",
            "box",
          ],
          {
            stdio: "ignore",
          },
        );
      } catch {
        // no master left
      }
      box.sshd.kill();
      for (const d of granted) execFileSync("setfacl", ["-x", `u:${BOX_USER}`, d]);
      await new Promise((r) => setTimeout(r, 200)); // the box's sessions end with sshd
      try {
        execFileSync("userdel", [BOX_USER], { stdio: "ignore" });
      } catch {
        // a process of the box's still runs (a run a failed test left): the account stays, unused
      }
      // Thousands of files (trellis installed there, a model): removed in the background, not waited for.
      spawn("rm", ["-rf", dir], { detached: true, stdio: "ignore" }).unref();
    },
  };
  return box;
}
