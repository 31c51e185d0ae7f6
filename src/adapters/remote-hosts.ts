/**
 * The servers `--on` has used, in a small local file: `trellis hosts` lists them. Nothing secret
 * is kept here (the host as the user wrote it, when it was last used); ssh keeps the rest.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

interface KnownHost {
  host: string;
  lastUsed: string;
}

function hostsFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(homedir(), ".config");
  return path.join(config, "trellis", "hosts.json");
}

export function readHosts(file = hostsFile()): KnownHost[] {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { hosts?: unknown };
    if (!Array.isArray(parsed.hosts)) return [];
    return parsed.hosts.filter(
      (h): h is KnownHost =>
        typeof h === "object" &&
        h !== null &&
        typeof (h as KnownHost).host === "string" &&
        typeof (h as KnownHost).lastUsed === "string",
    );
  } catch {
    return []; // none yet, or damaged: it is only a list of names, rebuilt as hosts are used
  }
}

export function rememberHost(host: string, now = new Date(), file = hostsFile()): void {
  const hosts = [{ host, lastUsed: now.toISOString() }, ...readHosts(file).filter((h) => h.host !== host)];
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ hosts }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
