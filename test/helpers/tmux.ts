/** A real terminal for the dashboard: tmux sessions of a given size, their screens, their keys. */
import { execa } from "execa";
import { waitFor } from "./live-run.js";

export interface Terminal {
  start(session: string, size: { columns: number; rows: number }, command: string): Promise<void>;
  resize(session: string, size: { columns: number; rows: number }): Promise<void>;
  keys(session: string, ...keys: string[]): Promise<void>;
  /** The visible screen; with `scrollback`, the lines above it too (a summary longer than the screen). */
  screen(session: string, scrollback?: boolean): Promise<string>;
  waitForScreen(
    session: string,
    check: (text: string) => boolean,
    what: string,
    timeoutMs?: number,
    scrollback?: boolean,
  ): Promise<string>;
  close(): Promise<void>;
}

/** `cwd` and `env` for every command; the shell line prints the exit code, then keeps the pane open. */
export function terminal(cwd: string, env: Record<string, string>): Terminal {
  const socket = `trellis-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmux = async (...args: string[]) =>
    String((await execa("tmux", ["-L", socket, ...args], { reject: false })).stdout);
  const vars = Object.entries({ ...env, NO_COLOR: "" })
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const screen = (session: string, scrollback = false) =>
    tmux("capture-pane", "-p", "-t", session, ...(scrollback ? ["-S", "-"] : []));
  return {
    async start(session, size, command) {
      // CI=true as in many shells and CI jobs: the dashboard must still draw live (src/ui/load-dashboard.ts).
      await tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        String(size.columns),
        "-y",
        String(size.rows),
        `cd ${cwd} && env CI=true ${vars} ${command}; echo EXIT=$?; sleep 600`,
      );
    },
    async resize(session, size) {
      await tmux("resize-window", "-t", session, "-x", String(size.columns), "-y", String(size.rows));
    },
    async keys(session, ...keys) {
      await tmux("send-keys", "-t", session, ...keys);
    },
    screen,
    async waitForScreen(session, check, what, timeoutMs = 180_000, scrollback = false) {
      let last = "";
      await waitFor(
        () => {
          void screen(session, scrollback).then((s) => (last = s));
          return check(last);
        },
        timeoutMs,
        `${what}; screen:\n${last}`,
      );
      return last;
    },
    close: async () => void (await tmux("kill-server")),
  };
}
