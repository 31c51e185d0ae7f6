import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { z } from "zod";

/** How often a waiting process looks again; installs take a minute, so a fraction of a second is plenty. */
const LOCK_POLL_MS = 250;
/** A lock folder with no readable owner this old was left by a process that died between mkdir and write. */
const OWNERLESS_LOCK_STALE_MS = 10_000;
const OWNER_FILE = "owner.json";

const Owner = z.object({ pid: z.number(), host: z.string(), token: z.string() });
type Owner = z.infer<typeof Owner>;

interface FolderMutexOptions {
  signal?: AbortSignal;
  logger?: Logger;
  pollMs?: number;
}

/**
 * Runs `fn` while holding an exclusive lock on `target` (a `<target>.lock` folder: mkdir is atomic).
 * Waits while a live process holds it, and takes it over from a holder on this host that has died.
 */
export async function withFolderMutex<T>(
  target: string,
  fn: () => Promise<T>,
  opts: FolderMutexOptions = {},
): Promise<T> {
  const lockDir = `${target}.lock`;
  const me: Owner = { pid: process.pid, host: hostname(), token: randomUUID() };
  await mkdir(path.dirname(lockDir), { recursive: true });
  let toldWaiting = false;
  for (;;) {
    opts.signal?.throwIfAborted();
    if (await tryCreate(lockDir, me)) break;
    const owner = await readOwner(lockDir);
    if (await isStale(lockDir, owner)) {
      opts.logger?.warn({ lockDir, owner }, "taking over a lock left by a process that is gone");
      await steal(lockDir, owner);
      continue;
    }
    if (!toldWaiting) {
      opts.logger?.info({ lockDir, pid: owner?.pid }, "waiting for another trellis process to finish the environment");
      toldWaiting = true;
    }
    await sleep(opts.pollMs ?? LOCK_POLL_MS, undefined, opts.signal ? { signal: opts.signal } : {});
  }
  try {
    return await fn();
  } finally {
    // Only remove the lock if it is still ours (it could have been taken over if we looked dead).
    if ((await readOwner(lockDir))?.token === me.token) await rm(lockDir, { recursive: true, force: true });
  }
}

async function tryCreate(lockDir: string, me: Owner): Promise<boolean> {
  try {
    await mkdir(lockDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  await writeFile(path.join(lockDir, OWNER_FILE), JSON.stringify(me));
  return true;
}

async function readOwner(lockDir: string): Promise<Owner | undefined> {
  try {
    return Owner.parse(JSON.parse(await readFile(path.join(lockDir, OWNER_FILE), "utf8")));
  } catch {
    return undefined;
  }
}

async function isStale(lockDir: string, owner: Owner | undefined): Promise<boolean> {
  if (owner === undefined) {
    try {
      return Date.now() - (await stat(lockDir)).mtimeMs > OWNERLESS_LOCK_STALE_MS;
    } catch {
      return false; // The lock vanished: the next mkdir will tell.
    }
  }
  // A pid on another host says nothing here (a shared home over NFS): wait for that host to finish.
  return owner.host === hostname() && !isAlive(owner.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // Alive, but someone else's.
  }
}

/** Renames the stale lock away (atomic, so two stealers cannot both win), then deletes it. */
async function steal(lockDir: string, seen: Owner | undefined): Promise<void> {
  const aside = `${lockDir}.stale-${randomUUID()}`;
  try {
    await rename(lockDir, aside);
  } catch {
    return; // Someone else took it over first.
  }
  const moved = await readOwner(aside);
  if (moved?.token !== seen?.token) {
    // Between our look and the rename, a new holder took the lock: give it back if nobody else has.
    await rename(aside, lockDir).catch(() => undefined);
  }
  await rm(aside, { recursive: true, force: true });
}
