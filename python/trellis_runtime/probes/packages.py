"""What a Python environment holds: its version, platform, every package, torch and CUDA.

Read from package metadata and torch/version.py, without importing torch: an import costs
seconds of CPU before the first stage can start. The packages are those a stage script sees:
not the current directory's, nor trellis's own python/ folder, which running this module puts
first on sys.path. ``paths`` is what a change to the environment touches, for the cache: the
folders packages are found in (installing or removing one adds or removes a *.dist-info there),
the .pth files in them and the venv's pyvenv.cfg, which are edited in place, and legacy
*.egg-info metadata (setup.py develop rewrites it).
"""

import contextlib
import importlib.metadata as md
import json
import os
import platform
import re
import site
import sys

# trellis's python/ folder, which PYTHONPATH names so that this module can run.
_TRELLIS_PYTHON = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def script_path(path: list, cwd: str) -> list:
    """sys.path as a stage script sees it: without the probe's own entries (cwd, trellis's python/)."""
    own = {os.path.abspath(cwd), _TRELLIS_PYTHON}
    return [p for p in path if p and os.path.abspath(p) not in own]


def torch_facts(pkgs: dict) -> dict:
    out = {}
    try:
        dist = md.distribution("torch")
        out["torch"] = dist.version
        text = dist.locate_file("torch/version.py").read_text()
        m = re.search(r"^cuda\b[^=]*=(.+)$", text, re.M)
        value = m.group(1).strip().strip("'\"") if m else "None"
        out["cuda"] = None if value == "None" else value
        out["cudnn"] = next((v for k, v in pkgs.items() if k.lower().startswith("nvidia-cudnn")), None)
    except Exception as e:  # a torch without metadata is the answer
        out["torch_error"] = f"{type(e).__name__}: {e}"
    return out


def changed_by(dists: list) -> list:
    paths = [sys.executable, site.getusersitepackages(), os.path.join(sys.prefix, "pyvenv.cfg"), *sys.path]
    for folder in sys.path:
        with contextlib.suppress(OSError):
            paths += [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(".pth")]
    for d in dists:
        where = str(getattr(d, "_path", ""))
        if where.endswith(".egg-info"):
            paths.append(os.path.join(where, "PKG-INFO") if os.path.isdir(where) else where)
    return paths


def facts() -> dict:
    sys.path[:] = script_path(sys.path, os.getcwd())
    dists = list(md.distributions())
    pkgs = {d.metadata["Name"]: d.version for d in dists if d.metadata["Name"]}
    out = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": dict(sorted(pkgs.items(), key=lambda kv: kv[0].lower())),
    }
    out.update(torch_facts(pkgs))
    out["paths"] = changed_by(dists)
    return out


if __name__ == "__main__":
    print(json.dumps(facts()))
