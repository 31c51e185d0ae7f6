"""Resolve python/requirements.in into one complete lock per torch backend.

    python python/tools/make_locks.py [BACKEND...] [-- PIP-ARGS...]

BACKEND is cpu, cu126, cu128 or cu130 (default: all). Each lock pins every package the
environment needs on CPython 3.11, Linux x86_64, dependencies included, because trellis installs
a lock with `pip install --no-deps`. pip resolves it (`install --dry-run --report`, with the
target platform given, so wheels are not downloaded: pip reads their metadata), taking the
current lock's versions as preferences (constraints) so that a regeneration moves only what
must move. Beside each lock, python/locks/<backend>.metadata.json keeps every locked package's
requirements and the marker environment they were evaluated in: test_locks.py proves from it,
offline, that the lock is complete.

PIP-ARGS are passed to pip, e.g. `-- --find-links /opt/wheels` where the PyTorch index cannot
be reached but its wheel lies on disk. Runs with any python >= 3.10 whose pip is 23.1 or newer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = ROOT / "requirements.in"
PYTORCH_INDEX = "https://download.pytorch.org/whl"

# backend -> (lock file, index to add for torch or None for the package index's own build, torch's local tag)
BACKENDS: dict[str, tuple[str, str | None, str]] = {
    "cpu": ("requirements.lock", f"{PYTORCH_INDEX}/cpu", "+cpu"),
    "cu126": ("requirements-cu126.lock", f"{PYTORCH_INDEX}/cu126", "+cu126"),
    "cu128": ("requirements-cu128.lock", f"{PYTORCH_INDEX}/cu128", "+cu128"),
    # The package index's torch for Linux x86_64 is the CUDA 13.0 build (no local tag).
    "cu130": ("requirements-cu130.lock", None, ""),
}
DESCRIPTIONS = {
    "cpu": "CPU only (torch from the PyTorch CPU index)",
    "cu126": "CUDA 12.6 (torch from the PyTorch index; NVIDIA driver >= 525)",
    "cu128": "CUDA 12.8 (torch from the PyTorch index; NVIDIA driver >= 570)",
    "cu130": "CUDA 13.0 (torch from the package index, as pip gets it; NVIDIA driver >= 580)",
}
PYTHON_VERSION = "3.11"
# Read by trellis (src/adapters/venv/requirements-lock.ts torchIndexOf).
TORCH_INDEX_PREFIX = "# torch index: "
# pip takes --platform literally: every manylinux tag a Linux x86_64 with glibc 2.28 accepts.
PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)] + [
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
    "linux_x86_64",
]


def top_level(backend: str) -> list[str]:
    """requirements.in with torch's pin given the backend's local tag (2.13.0+cpu)."""
    _, _, tag = BACKENDS[backend]
    out = []
    for raw in TOP_LEVEL.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("torch==") and tag:
            line += tag
        out.append(line)
    return out


def preferences(lock: Path) -> list[str]:
    """The current lock's pins, as constraints, without torch (its tag differs per backend)."""
    if not lock.exists():
        return []
    pins = [line.strip() for line in lock.read_text().splitlines() if "==" in line and not line.startswith(("#", "-"))]
    return [p for p in pins if not p.lower().startswith("torch==")]


def reachable(url: str) -> bool:
    """One quick request: pip would retry an unreachable index for every package, for minutes."""
    try:
        urllib.request.urlopen(f"{url}/torch/", timeout=10).close()
        return True
    except OSError:
        return False


def resolve(backend: str, pip_args: list[str]) -> dict:
    lock_name, index, _ = BACKENDS[backend]
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp, "requirements.txt")
        req.write_text("\n".join(top_level(backend)) + "\n")
        constraints = Path(tmp, "constraints.txt")
        constraints.write_text("\n".join(preferences(ROOT / lock_name)) + "\n")
        report = Path(tmp, "report.json")
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--isolated",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            "--only-binary=:all:",
            "--python-version",
            PYTHON_VERSION,
            "--implementation",
            "cp",
            "-r",
            str(req),
            "-c",
            str(constraints),
        ]
        for platform in PLATFORMS:
            cmd += ["--platform", platform]
        if index and reachable(index):
            cmd += ["--extra-index-url", index]
        elif index and "--find-links" not in pip_args:
            raise SystemExit(f"{backend}: {index} cannot be reached; give the torch wheel with `-- --find-links DIR`")
        elif index:
            print(f"{backend}: {index} cannot be reached: torch from the --find-links given", file=sys.stderr)
        # The package index's torch must not be shadowed by a local wheel of another build
        # (`==2.13.0` matches 2.13.0+cpu): PIP-ARGS only help backends with their own index.
        cmd += pip_args if index else []
        print(f"{backend}: resolving", file=sys.stderr)
        subprocess.run(cmd, check=True)
        return json.loads(report.read_text())


def write_lock(backend: str, report: dict) -> None:
    lock_name, index, _ = BACKENDS[backend]
    items = sorted(report["install"], key=lambda i: i["metadata"]["name"].lower())
    tops = " ".join(top_level(backend))
    lines = [
        f"# The exact Python environment trellis runs TRL in, torch backend {backend}: {DESCRIPTIONS[backend]}.",
        f"# CPython {PYTHON_VERSION}, Linux x86_64. Every package, dependencies included, is pinned, so that",
        "# `pip install --no-deps -r` this file gives the same environment on every machine; trellis keys",
        "# its managed venv on this file's hash. Generated by python/tools/make_locks.py from",
        "# python/requirements.in: do not edit by hand.",
        f"# Top level: {tops}",
    ]
    if index:
        # Not a pip option line: trellis installs torch alone from this index, then the rest
        # without it (pip would ask the extra index for every package).
        lines.append(f"{TORCH_INDEX_PREFIX}{index}")
    lines += [f"{i['metadata']['name']}=={i['metadata']['version']}" for i in items]
    (ROOT / lock_name).write_text("\n".join(lines) + "\n")
    metadata = {
        "backend": backend,
        "lock": lock_name,
        "environment": report.get("environment", {}),
        "packages": {
            i["metadata"]["name"]: {
                "version": i["metadata"]["version"],
                "requested_extras": i.get("requested_extras", []),
                "requires_dist": i["metadata"].get("requires_dist", []),
                "requires_python": i["metadata"].get("requires_python"),
            }
            for i in items
        },
    }
    out = ROOT / "locks" / f"{backend}.metadata.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(metadata, indent=1, sort_keys=True) + "\n")
    print(f"{backend}: {len(items)} packages -> python/{lock_name}", file=sys.stderr)


def main(argv: list[str]) -> int:
    pip_args: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, pip_args = argv[:at], argv[at + 1 :]
    backends = argv or list(BACKENDS)
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        print(f"unknown backend {', '.join(unknown)} (known: {', '.join(BACKENDS)})", file=sys.stderr)
        return 2
    for backend in backends:
        write_lock(backend, resolve(backend, pip_args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
