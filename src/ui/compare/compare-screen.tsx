/**
 * The compare screen as an Ink component: the frame from compare-frame.ts, with keys to switch the
 * x axis (x), page through prompts ([ ]) and leave (q). Keys only where stdin has raw mode.
 */
import { useApp, useInput, useStdin } from "ink";
import { useMemo, useState } from "react";
import type { ArmResult, Scores } from "../../core/compare/arm-result.js";
import { TextRows } from "../dashboard/text-rows.js";
import type { GlyphMode } from "../../core/chart/raster.js";
import { useTerminalSize } from "../dashboard/use-terminal-size.js";
import { colorEnabled } from "../format.js";
import { defaultGlyphs } from "../dashboard/theme.js";
import { compareFrame, type CompareAxis } from "./compare-frame.js";

interface CompareScreenProps {
  arms: readonly ArmResult[];
  baseline: Scores | null;
  title: string;
  columns?: number;
  rows?: number;
  color?: boolean;
  glyphs?: GlyphMode;
}

export function CompareScreen(props: CompareScreenProps) {
  const size = useTerminalSize();
  const { exit } = useApp();
  const [axis, setAxis] = useState<CompareAxis>("device_s");
  const [page, setPage] = useState(0);
  const { isRawModeSupported } = useStdin();
  useInput(
    (input) => {
      if (input === "q") exit();
      else if (input === "x") setAxis((a) => (a === "device_s" ? "tokens" : "device_s"));
      else if (input === "]") setPage((p) => p + 1);
      else if (input === "[") setPage((p) => p - 1);
    },
    { isActive: Boolean(isRawModeSupported) },
  );
  const theme = useMemo(
    () => ({ color: props.color ?? colorEnabled(process.stdout), glyphs: props.glyphs ?? defaultGlyphs() }),
    [props.color, props.glyphs],
  );
  const lines = compareFrame(props.arms, props.baseline, {
    columns: props.columns ?? size.columns,
    rows: props.rows ?? size.rows,
    theme,
    axis,
    promptPage: page,
    title: props.title,
  });
  return <TextRows lines={lines} />;
}
