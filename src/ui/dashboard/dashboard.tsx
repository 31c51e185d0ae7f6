/**
 * The live dashboard: reads snapshots from the store, prints the frame, handles keys. Keys are
 * read only when stdin supports raw mode (Ink throws otherwise, e.g. without a TTY).
 */
import { useInput, useStdin, type Key } from "ink";
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { GlyphMode } from "../../core/chart/raster.js";
import type { Prompt } from "./footer.js";
import { currentStage } from "../../core/run/progress.js";
import { dashboardFrame } from "./frame.js";
import { ctrlC } from "../../app/attach.js";
import { actionFor, keyName, type DashboardCommand } from "./keys.js";
import { applyAction, DEFAULT_SETTINGS, editFilter, type DashboardSettings } from "./settings.js";
import { TextRows } from "./text-rows.js";
import type { DashboardStore } from "./store.js";
import { colorEnabled } from "../format.js";
import { defaultGlyphs } from "./theme.js";
import { useTerminalSize } from "./use-terminal-size.js";

export interface DashboardProps {
  store: DashboardStore;
  onCommand: (command: DashboardCommand) => void;
  /** Terminal size; follows the terminal (and its resizes) when left out. */
  columns?: number;
  rows?: number;
  /** Colour codes; colorEnabled (ui/format.ts) on stdout, unless given. */
  color?: boolean;
  /** Braille charts, or ASCII where the terminal can't show braille. */
  glyphs?: GlyphMode;
  /** The clock in seconds; defaults to the wall clock, ticking every second while the run lives. */
  now?: () => number;
  /** A finished run opened for review: the footer says so. */
  review?: boolean;
}

/** Elapsed time and ETA move on between events: redraw this often while running. */
const TICK_MS = 1000;

export function Dashboard(props: DashboardProps) {
  const state = useSyncExternalStore(props.store.subscribe, props.store.getSnapshot, props.store.getSnapshot);
  const size = useTerminalSize();
  const columns = props.columns ?? size.columns;
  const rows = props.rows ?? size.rows;
  const theme = useMemo(
    () => ({ color: props.color ?? colorEnabled(process.stdout), glyphs: props.glyphs ?? defaultGlyphs() }),
    [props.color, props.glyphs],
  );

  const [settings, setSettingsState] = useState<DashboardSettings>(DEFAULT_SETTINGS);
  const [prompt, setPromptState] = useState<Prompt>("none");
  // Keys can arrive faster than React re-subscribes the handler (a quick "s y", a typed filter):
  // the handler reads and writes these refs, so it never acts on a stale prompt or settings.
  const promptRef = useRef<Prompt>("none");
  const settingsRef = useRef<DashboardSettings>(DEFAULT_SETTINGS);
  const setPrompt = (p: Prompt) => setPromptState((promptRef.current = p));
  const setSettings = (f: (s: DashboardSettings) => DashboardSettings) =>
    setSettingsState((settingsRef.current = f(settingsRef.current)));
  const [tick, setTick] = useState(0);

  const live = state.run.status === "running" || state.run.status === "pending";
  useEffect(() => {
    if (props.now || !live) return;
    const timer = setInterval(() => setTick((t) => t + 1), TICK_MS);
    return () => clearInterval(timer);
  }, [props.now, live]);

  const { isRawModeSupported } = useStdin();
  // Stop requests sent from here (s y, Ctrl-C): a Ctrl-C after one kills, as on the plain path.
  const stopsSent = useRef(0);
  const sendStop = (p: Prompt) => {
    stopsSent.current++;
    props.onCommand("stop");
    setPrompt(p);
  };
  const onKey = (input: string, key: Key) => {
    // Ctrl-C is the same in every view (app/attach.ts ctrlC): it stops the run, it never detaches.
    if (keyName(input, key) === "ctrl-c") {
      const what = ctrlC(stopsSent.current, live && !props.review);
      return what === "leave" ? props.onCommand("detach") : sendStop(what === "stop" ? "stop-sent" : "kill-sent");
    }
    if (key.ctrl) return;
    if (promptRef.current === "confirm-stop") {
      if (input === "y" || input === "Y") sendStop("stop-sent");
      else setPrompt("none");
      return;
    }
    if (settingsRef.current.editingFilter) return setSettings((s) => editFilter(s, input, key));
    const action = actionFor(input, key);
    switch (action) {
      case undefined:
        return;
      case "detach":
        return props.onCommand("detach");
      case "stop":
        if (live) setPrompt("confirm-stop");
        return;
      case "checkpoint":
        if (live) {
          props.onCommand("checkpoint");
          setPrompt("checkpoint-sent");
        }
        return;
      default: {
        const liveIndex = Math.max(0, (currentStage(state)?.index ?? 1) - 1);
        return setSettings((s) => applyAction(s, action, { stages: state.run.stages.length, live: liveIndex }));
      }
    }
  };
  useInput(
    (input, key) => {
      // Keys typed faster than they are read arrive as one string (Ink's paste): each is a key,
      // except in the filter, which takes the string whole.
      if (input.length > 1 && !key.ctrl && !key.meta && !settingsRef.current.editingFilter)
        for (const ch of input) onKey(ch, {} as Key);
      else onKey(input, key);
    },
    { isActive: Boolean(isRawModeSupported) },
  );

  // A requested checkpoint is acknowledged once a new one lands; a stop once the run ends.
  const checkpoints = Object.values(state.stages).reduce((n, d) => n + d.checkpoints, 0);
  const [checkpointsAtRequest, setCheckpointsAtRequest] = useState(checkpoints);
  useEffect(() => {
    if (prompt === "checkpoint-sent" && checkpoints > checkpointsAtRequest) setPrompt("none");
    if (prompt !== "checkpoint-sent") setCheckpointsAtRequest(checkpoints);
  }, [prompt, checkpoints, checkpointsAtRequest]);
  useEffect(() => {
    if (!live && prompt !== "none") setPrompt("none");
  }, [live, prompt]);

  const now = props.now ? props.now() : Date.now() / 1000;
  const lines = useMemo(
    () => dashboardFrame(state, { columns, rows, theme, now, ...settings, prompt, review: props.review ?? false }),
    // `tick` re-renders the clock; `now` alone changes every call.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [state, columns, rows, theme, settings, prompt, tick, props.now, props.review],
  );
  return <TextRows lines={lines} />;
}
