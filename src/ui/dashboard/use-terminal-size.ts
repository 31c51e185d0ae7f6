/** The terminal's size, following resizes (Ink 6.8 has no useWindowSize; it came in Ink 7). */
import { useStdout } from "ink";
import { useEffect, useState } from "react";

/** Resizes arrive in bursts while a window is dragged: settle first. */
const RESIZE_SETTLE_MS = 80;

export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onResize = () => {
      clearTimeout(timer);
      timer = setTimeout(() => setSize(read()), RESIZE_SETTLE_MS);
    };
    stdout.on("resize", onResize);
    return () => {
      clearTimeout(timer);
      stdout.off("resize", onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return size;
}
