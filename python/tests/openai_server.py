"""A real OpenAI-compatible server on 127.0.0.1 for the judge tests: `transformers serve`.

transformers 5 ships the server; it needs FastAPI, Uvicorn and openai (the `serving` extra),
which the managed environment does not have and must not get. They are installed once from PyPI,
pinned, into a folder of their own (~/.cache/trellis/test-serving/...), which the server's Python
puts at the END of sys.path: the managed environment's packages win wherever both have one.
Offline with no such folder yet, `serving_packages` returns None and the tests skip.

    python tests/openai_server.py MODEL_DIR     # prints the base URL, serves until killed
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PINS = ("fastapi==0.165.0", "uvicorn==0.55.0", "openai==3.63.0")


def serving_dir() -> Path:
    base = Path(os.environ.get("TRELLIS_TEST_SERVING_DIR") or Path.home() / ".cache" / "trellis" / "test-serving")
    return base / f"py{sys.version_info.major}{sys.version_info.minor}-{'-'.join(PINS).replace('==', '')}"


def serving_packages() -> Path | None:
    """The folder holding the server's extra packages, installed on first use; None if they cannot be had."""
    target = serving_dir()
    if (target / ".complete").exists():
        return target
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(tmp), *PINS],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        return None
    (tmp / ".complete").write_text("")
    try:
        os.replace(tmp, target)
    except OSError:
        if not (target / ".complete").exists():
            raise
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(model: str, packages: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """`transformers serve MODEL` on a free port; returns the process and its /v1 base URL once healthy."""
    port = free_port()
    code = (
        "import sys; sys.path.append(sys.argv.pop(1)); "
        "from transformers.cli.transformers import main; sys.argv[0] = 'transformers'; main()"
    )
    args = [sys.executable, "-c", code, str(packages), "serve", model, "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"transformers serve exited ({process.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"transformers serve did not answer /health in 120 s: {log.read_text()[-2000:]}")


if __name__ == "__main__":
    found = serving_packages()
    if found is None:
        print("cannot install the server's packages (offline?)", file=sys.stderr)
        sys.exit(3)
    proc, url = start(sys.argv[1], found, Path(sys.argv[2]) if len(sys.argv) > 2 else Path(os.devnull))
    print(url, flush=True)
    # The caller ends this process with SIGTERM: the server goes with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        proc.wait()
    finally:
        proc.kill()
