/** The ssh adapter's pure parts: HOST as ssh knows it, quoting for the remote shell, and ssh's failures told apart. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execFileSync } from "node:child_process";
import { parseHost, shq, sshFailure, Ssh } from "../../src/adapters/ssh.js";

describe("parseHost", () => {
  it("takes an alias, user@host, host:port and [v6]:port", () => {
    assert.deepEqual(parseHost("gpu-box"), { destination: "gpu-box", spec: "gpu-box" });
    assert.deepEqual(parseHost("me@10.0.0.2"), { destination: "me@10.0.0.2", spec: "me@10.0.0.2" });
    assert.deepEqual(parseHost("me@box:2222"), { destination: "me@box", port: 2222, spec: "me@box:2222" });
    assert.deepEqual(parseHost("[::1]:22"), { destination: "::1", port: 22, spec: "[::1]:22" });
  });
  it("refuses what ssh would read as an option, spaces and bad ports", () => {
    assert.throws(() => parseHost("-oProxyCommand=evil"), /--on takes a host/);
    assert.throws(() => parseHost("a b"), /--on takes a host/);
    assert.throws(() => parseHost("box:70000"), /must be 1-65535/);
  });
});

describe("shq", () => {
  it("quotes for a POSIX shell, so that the shell gives back the same word", () => {
    for (const word of ["plain", "with space", "it's", "$(id)", 'a"b', "`x`", "; rm -rf ~", ""]) {
      const back = execFileSync("sh", ["-c", `printf %s ${shq(word) || "''"}`], { encoding: "utf8" });
      assert.equal(back, word);
    }
  });
});

describe("sshFailure", () => {
  // As OpenSSH 9 prints them.
  const changed = `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.
Host key verification failed.
`;
  it("tells each class apart, with ssh's words and what to do", () => {
    const cases: Array<[string, string, RegExp]> = [
      [changed, "host-key-changed", /not the one your known_hosts has .*ssh-keygen -R/s],
      [
        "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.\n",
        "host-key-unknown",
        /Connect once by hand \(ssh box\)/,
      ],
      ["me@box: Permission denied (publickey).\n", "auth", /ssh-add.*ssh-copy-id box/s],
      ["ssh: Could not resolve hostname nobox: Name or service not known\n", "unreachable", /does not resolve/],
      ["ssh: connect to host 127.0.0.1 port 1: Connection refused\n", "unreachable", /does not answer ssh/],
      ["ssh: connect to host 10.255.0.1 port 22: Connection timed out\n", "unreachable", /does not answer ssh/],
      ["something new\n", "other", /ssh to box failed/],
    ];
    for (const [stderr, kind, advice] of cases) {
      const err = sshFailure("box", stderr);
      assert.equal(err.kind, kind, stderr);
      assert.match(err.message, advice);
      assert.equal(err.exitCode, 3);
      assert.match(err.message, /ssh said:/);
    }
  });
});

describe("Ssh", () => {
  it("never turns host-key checking off, and never prompts", () => {
    const args = new Ssh("me@box:2222", { XDG_RUNTIME_DIR: "/tmp" }).baseArgs();
    assert.ok(!args.join(" ").includes("StrictHostKeyChecking"));
    assert.ok(args.includes("BatchMode=yes"));
    assert.deepEqual(args.slice(-2), ["-p", "2222"]);
  });
});
