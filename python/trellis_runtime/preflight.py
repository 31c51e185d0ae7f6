"""Per-node preflight of a Slurm launch: run on every node before training, then compared.

    python preflight.py fingerprint MASTER_ADDR   one JSON line: this node's versions, and
                                                  whether MASTER_ADDR resolves here
    python preflight.py compare FILE              the nodes' lines: exit 1, naming each
                                                  difference, unless they agree (an error event
                                                  on the run's event channel says why)

Mismatched torch, NCCL or driver versions across nodes hang or crash collectives in ways that
are hard to trace afterwards; an unresolvable rendezvous address makes each node wait alone.
Package versions are read from metadata: importing torch is not needed for them.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import platform
import re
import socket
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trellis_runtime import __version__ as TRELLIS_RUNTIME_VERSION
from trellis_runtime.events import Emitter

PACKAGES = ("torch", "transformers", "trl", "accelerate", "peft", "datasets", "deepspeed", "bitsandbytes")
# Facts that must be equal on every node; host and the address check are per node.
COMPARED = ("trellis", "python", "packages", "cuda", "driver")


class PreflightError(Exception):
    """The nodes of a launch differ, or one cannot resolve the rendezvous address."""


def _version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def _cuda() -> str | None:
    try:
        text = Path(md.distribution("torch").locate_file("torch/version.py")).read_text()
    except (md.PackageNotFoundError, OSError):
        return None
    m = re.search(r"^cuda\b[^=]*=\s*['\"]?([^'\"\n]+)", text, re.M)
    return None if not m or m.group(1).strip() == "None" else m.group(1).strip()


def _driver() -> str | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None


def fingerprint(master_addr: str) -> dict:
    try:
        resolved = sorted({info[4][0] for info in socket.getaddrinfo(master_addr, None)})
        problem = None
    except OSError as exc:
        resolved, problem = [], f"{type(exc).__name__}: {exc}"
    return {
        "host": socket.gethostname(),
        "node": os.environ.get("SLURMD_NODENAME"),
        "trellis": TRELLIS_RUNTIME_VERSION,
        "python": platform.python_version(),
        "executable": sys.executable,
        "packages": {p: _version(p) for p in PACKAGES},
        "cuda": _cuda(),
        "driver": _driver(),
        "master_addr": master_addr,
        "master_resolves_to": resolved,
        "master_problem": problem,
    }


def _name(node: dict) -> str:
    return node.get("node") or node["host"]


def _agreement(nodes: list[dict]) -> str:
    n = nodes[0]
    versions = f"trellis {n['trellis']}, torch {n['packages']['torch']}, CUDA {n['cuda']}, driver {n['driver']}"
    return f"preflight: {len(nodes)} nodes agree ({versions}); rendezvous {n['master_addr']} resolves on each"


def differences(nodes: list[dict]) -> list[str]:
    problems = [
        f"node {_name(n)} cannot resolve the rendezvous address {n['master_addr']}: {n['master_problem']}"
        for n in nodes
        if n.get("master_problem")
    ]
    first = nodes[0]
    for n in nodes[1:]:
        for key in COMPARED:
            a, b = first.get(key), n.get(key)
            if key == "packages":
                for p in PACKAGES:
                    if (a or {}).get(p) != (b or {}).get(p):
                        problems.append(
                            f"{p} {(a or {}).get(p)} on {_name(first)} but {(b or {}).get(p)} on {_name(n)}"
                        )
            elif a != b:
                problems.append(f"{key} {a} on {_name(first)} but {b} on {_name(n)}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "fingerprint":
        print(json.dumps(fingerprint(argv[1])), flush=True)
        return 0
    if len(argv) == 2 and argv[0] == "compare":
        nodes = [json.loads(line) for line in Path(argv[1]).read_text().splitlines() if line.strip()]
        emit = Emitter.from_env()
        with emit.guard():
            problems = differences(nodes) if nodes else ["no node answered the preflight"]
            if problems:
                raise PreflightError(f"the nodes of the launch differ: {'; '.join(problems)}")
            emit.notice(
                "preflight",
                _agreement(nodes),
            )
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except PreflightError as exc:
        print(f"trellis preflight: {exc}", file=sys.stderr)
        sys.exit(1)
