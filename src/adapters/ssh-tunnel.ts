/**
 * A local port that leads to the run's websocket on the server's loopback, through ssh only: each
 * connection made to 127.0.0.1:<local> is carried by its own `ssh -W 127.0.0.1:<remote>` over the
 * shared connection. The local port outlives any one ssh: when the link drops, the viewer's next
 * connection starts a fresh ssh (and a fresh shared connection), so reconnecting is the
 * websocket client's ordinary retry, and its replay fills the gap.
 */
import net from "node:net";
import type { Ssh } from "./ssh.js";

interface Tunnel {
  /** ws://127.0.0.1:<local port> */
  url: string;
  close(): Promise<void>;
}

export async function openTunnel(ssh: Ssh, remotePort: number): Promise<Tunnel> {
  const live = new Set<() => void>();
  const server = net.createServer((socket) => {
    const child = ssh.streamTo(remotePort);
    const end = () => {
      socket.destroy();
      if (child.exitCode === null) child.kill();
    };
    live.add(end);
    child.once("exit", () => {
      live.delete(end);
      socket.destroy();
    });
    child.once("error", end);
    socket.once("close", end);
    socket.on("error", () => {});
    child.stdin!.on("error", () => {});
    child.stderr!.resume(); // ssh's own words about a failed stream: the viewer sees a closed connection
    socket.pipe(child.stdin!);
    child.stdout!.pipe(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const end of [...live]) end();
        server.close(() => resolve());
      }),
  };
}
