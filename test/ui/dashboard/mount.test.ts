import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { loadDashboard } from "../../../src/ui/load-dashboard.js";
import { stream, waitFor } from "../streams.js";

describe("mountDashboard", () => {
  it("draws on the alternate screen and gives the screen back on unmount, CI variable or not", async () => {
    // The way chooseView loads it: live frames even where the shell says CI=true.
    process.env.CI = "true";
    const { mountDashboard, createDashboardStore } = await loadDashboard(
      () => import("../../../src/ui/dashboard/index.js"),
    );
    assert.equal(process.env.CI, "true", "the variable is back for the run's own processes");
    const out = Object.assign(new PassThrough(), { columns: 80, rows: 24, isTTY: true });
    let written = "";
    out.on("data", (d: Buffer) => (written += d.toString()));
    const store = createDashboardStore();
    const mounted = mountDashboard({
      store,
      onCommand: () => {},
      stdout: out as unknown as NodeJS.WriteStream,
      stdin: new PassThrough() as unknown as NodeJS.ReadStream,
      color: false,
    });
    for (const e of stream("orpo.jsonl")) store.push(e);
    await waitFor(() => assert.match(written, /trellis ▸ quickstart-orpo/));
    mounted.unmount();
    mounted.unmount();
    await waitFor(() => assert.ok(written.endsWith("\u001b[?1049l")));
    assert.ok(written.startsWith("\u001b[?1049h"));
    assert.ok(written.endsWith("\u001b[?1049l"));
    assert.equal(written.split("\u001b[?1049l").length, 2, "restored once");
    assert.match(written, /trellis ▸ quickstart-orpo/);
  });
});
