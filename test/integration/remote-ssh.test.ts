/**
 * `--on HOST` against a real OpenSSH server on 127.0.0.1 (test/helpers/ssh-server.ts): the
 * quickstart ORPO run from the laptop (this process's account) onto the box account, watched here;
 * the ssh connection killed mid-run (the run goes on, the view reconnects, every event once);
 * `pull --model` and the model loading with transformers; a server without Node; a changed host key.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { setupEnvironment } from "../../src/app/env.js";
import { BIN, RECIPES, workspace } from "../helpers/cli.js";
import { sshSkip, startSshBox, type SshBox } from "../helpers/ssh-server.js";

const skip = sshSkip();

/**
 * npm test runs the quickstart over ssh (~60 s of the CI budget) and the quick refusals; the tar
 * path and pull with the model loading (~40 s more) run in the `remote` matrix (scripts/test-matrix.mjs).
 */
const FULL = process.env.TRELLIS_MATRIX === "full";

describe("trellis --on HOST over a real sshd", { skip, timeout: 10 * 60_000 }, () => {
  let box: SshBox;
  let venv: string;
  const ws = workspace("remote");
  let env: Record<string, string>;
  const trellis = (args: string[], extra: Record<string, string> = {}) =>
    execa(process.execPath, [BIN, ...args], { cwd: ws.dir, env: { ...env, ...extra }, reject: false, stdin: "ignore" });

  before(async () => {
    venv = (await setupEnvironment()).dir; // the laptop's, made by npm test before: only looked up
    box = await startSshBox([venv]);
    env = { ...ws.env, ...box.env };
    cpSync(path.join(RECIPES, "quickstart-orpo.yaml"), path.join(ws.dir, "quickstart-orpo.yaml"));
    cpSync(path.join(RECIPES, "data"), path.join(ws.dir, "data"), { recursive: true });
  });
  after(async () => box && (await box.stop()));

  it("a server without Node: one message with the commands to install it", async () => {
    box.setPath([box.binFarm(["node", "nodejs"])]);
    try {
      const r = await trellis(["ls", "--on", "box"]);
      assert.equal(r.exitCode, 3, r.stderr);
      assert.match(r.stderr, /Node\.js is not on box/);
      assert.match(r.stderr, /apt-get install -y nodejs/);
      assert.equal(
        r.stderr
          .trim()
          .split("\n")
          .filter((l) => l.startsWith("trellis:")).length,
        1,
      );
    } finally {
      box.setPath(["/usr/local/bin", "/usr/bin", "/bin"]);
    }
  });

  it(
    "without rsync on the server: trellis and the recipe go by tar, once; unchanged files are not sent again",
    { skip: !FULL && "the remote matrix" },
    async () => {
      box.setPath([box.binFarm(["rsync"])]);
      try {
        // An environment the server does not have: its trellis refuses, after everything was sent.
        const args = ["run", "quickstart-orpo.yaml", "--on", "box", "--env", "/no/such/env", "--plain"];
        const first = await trellis(args);
        assert.equal(first.exitCode, 3, first.stderr);
        assert.match(first.stderr, /installing trellis \S+ on box/);
        assert.match(first.stderr, /sending the recipe and 2 data files to box/);
        assert.match(first.stderr, /--env \/no\/such\/env: no such file or folder/);
        assert.match(first.stderr, /the trellis on box exited with code 3 \(its message is above\)/);
        const projects = readdirSync(path.join(box.home, "trellis", "projects"));
        assert.equal(projects.length, 1);
        const sent = path.join(box.home, "trellis", "projects", projects[0]!, "data", "colors-train.jsonl");
        assert.equal(readFileSync(sent, "utf8"), readFileSync(path.join(ws.dir, "data", "colors-train.jsonl"), "utf8"));
        const again = await trellis(args);
        assert.doesNotMatch(again.stderr, /installing trellis/);
        assert.match(again.stderr, /unchanged since the last run: nothing sent/);
      } finally {
        box.setPath(["/usr/local/bin", "/usr/bin", "/bin"]);
      }
    },
  );

  it("a server that does not answer: one message, ssh's words", async () => {
    const r = await trellis(["ls", "--on", "127.0.0.1:1"]);
    assert.equal(r.exitCode, 3, r.stderr);
    assert.match(
      r.stderr,
      /cannot reach 127\.0\.0\.1:1: the server does not answer ssh .*\n.*ssh said:\n.*Connection refused/s,
    );
  });

  let runId = "";
  it("runs the quickstart on the box, watched here; the killed ssh connection loses no event", async () => {
    const child = execa(
      process.execPath,
      [BIN, "run", "quickstart-orpo.yaml", "--on", "box", "--env", venv, "--json"],
      { cwd: ws.dir, env, reject: false, stdin: "ignore", buffer: true },
    );
    let out = "";
    let killed = false;
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      // Mid-training: end the shared ssh connection (and with it the stream the view reads).
      if (!killed && /"type":"metrics"/.test(out)) {
        killed = true;
        void execa(
          "ssh",
          [
            ...box.env.TRELLIS_SSH_COMMAND!.split(" ").slice(1),
            "-o",
            `ControlPath=${path.join(box.env.XDG_RUNTIME_DIR!, "trellis-ssh", "%C")}`,
            "-O",
            "exit",
            "box",
          ],
          { reject: false },
        );
      }
    });
    const r = await child;
    assert.equal(r.exitCode, 0, `${r.stderr}\n${out.slice(-2000)}`);
    assert.ok(killed, "the run never reached its first metrics");
    assert.match(r.stderr, /lost the connection to box: the run goes on there; reconnecting/);
    assert.match(r.stderr, /reconnected to box/);
    const seen = out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { seq: number; type: string; status?: string; run_id?: string });
    const seqs = seen.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      "in order",
    );
    assert.equal(new Set(seqs).size, seqs.length, "no event twice");
    assert.equal(seen.at(-1)?.type, "run_end");
    assert.equal(seen.at(-1)?.status, "finished");
    runId = /run (\S+) started on box/.exec(r.stderr)![1]!;
    // The run folder is the box account's, private, and holds every event the view showed.
    const runDir = path.join(box.home, "trellis", "runs", runId);
    assert.equal(statSync(runDir).mode & 0o777, 0o700);
    assert.equal(statSync(runDir).uid !== 0, true);
    const onServer = readFileSync(path.join(runDir, "events.jsonl"), "utf8").trim().split("\n");
    assert.deepEqual(
      seqs,
      onServer.map((l) => (JSON.parse(l) as { seq: number }).seq),
    );
  });

  it("ls, check and hosts answer from the box", async () => {
    assert.ok(runId, "needs the run above");
    const ls = await trellis(["ls", "--on", "box"]);
    assert.equal(ls.exitCode, 0, ls.stderr);
    assert.match(ls.stdout, new RegExp(`${runId}\\s+finished`));
    const check = await trellis(["check", "quickstart-orpo.yaml", "--on", "box"]);
    assert.equal(check.exitCode, 0, check.stderr);
    assert.match(check.stdout, /quickstart-orpo\.yaml: ok \(orpo:orpo\)/);
    assert.match(check.stdout, /GB free under .*\/trellis/);
    const hosts = await trellis(["hosts"]);
    assert.match(hosts.stdout, /^box .* 1 run$/m);
  });

  it(
    "pull --model brings the run folder and the model back, and the model loads",
    { skip: !FULL && "the remote matrix" },
    async () => {
      assert.ok(runId, "needs the run above");
      const pulled = await trellis(["pull", runId, "--on", "box", "--model", "--to", "pulled"]);
      assert.equal(pulled.exitCode, 0, pulled.stderr);
      const local = path.join(ws.dir, "pulled", runId);
      assert.ok(existsSync(path.join(local, "events.jsonl")));
      assert.ok(!existsSync(path.join(local, "token")), "the token stays on the server");
      const model = path.join(local, "output", "orpo");
      const load = await execa(
        path.join(venv, "bin", "python"),
        [
          "-c",
          "import sys; from transformers import AutoModelForCausalLM; m = AutoModelForCausalLM.from_pretrained(sys.argv[1]); print(m.num_parameters())",
          model,
        ],
        { reject: false },
      );
      assert.equal(load.exitCode, 0, load.stderr);
      assert.ok(Number(load.stdout.trim()) > 0);
    },
  );

  it("a changed host key is refused, in ssh's words and with what to do", async () => {
    await box.changeHostKey();
    // A shared connection made before the change would still answer: the laptop has none now.
    await execa(
      "ssh",
      [
        ...box.env.TRELLIS_SSH_COMMAND!.split(" ").slice(1),
        "-o",
        `ControlPath=${path.join(box.env.XDG_RUNTIME_DIR!, "trellis-ssh", "%C")}`,
        "-O",
        "exit",
        "box",
      ],
      { reject: false },
    );
    const r = await trellis(["ls", "--on", "box"]);
    assert.equal(r.exitCode, 3, r.stderr);
    assert.match(r.stderr, /refused: the host key of box is not the one your known_hosts has/);
    assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });
});
