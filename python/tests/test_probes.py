"""The probes trellis runs in a Python (trellis_runtime/probes): each as trellis runs it, in a
fresh interpreter with `-m` from the python/ folder, answering one JSON line."""

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]


def probe(name, *args, cwd=PYTHON_DIR):
    """Runs probe `name` as src/adapters/venv/run-python.ts does, and reads its last line."""
    env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR)}
    done = subprocess.run(
        [sys.executable, "-m", f"trellis_runtime.probes.{name}", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_base_python_names_the_interpreter_and_platform():
    out = probe("base_python")
    assert out["version"] == sys.version
    assert out["real"] == os.path.realpath(sys.executable)
    assert out["platform"]


def test_sites_without_torch_imports_nothing():
    out = probe("sites", "--no-torch")
    assert out["executable"] == sys.executable
    assert len(out["sites"]) == 2
    assert "torch" not in out and "torchError" not in out


def test_sites_with_torch_says_where_it_comes_from():
    import torch

    out = probe("sites")
    assert out["torch"]["version"] == torch.__version__
    assert Path(out["torch"]["site"], "torch").is_dir()


def test_versions_reads_metadata_and_torch_only_when_asked():
    import trl

    names = ["trl", "surely-not-a-package"]
    plain = probe("versions", json.dumps(names))
    assert plain["packages"] == {"trl": trl.__version__, "surely-not-a-package": None}
    assert plain["prefix"] == sys.prefix
    assert "torch" not in plain
    with_torch = probe("versions", json.dumps(names), "--torch")
    import torch

    assert with_torch["torch"]["version"] == torch.__version__


def test_packages_lists_what_a_stage_sees_not_the_probe_folders(tmp_path):
    # A package in the working directory or in trellis's python/ folder is not the environment's.
    (tmp_path / "stray-1.0.dist-info").mkdir()
    (tmp_path / "stray-1.0.dist-info" / "METADATA").write_text("Name: stray\nVersion: 1.0\n")
    out = probe("packages", cwd=tmp_path)
    assert "stray" not in out["packages"]
    assert out["packages"]["trl"]
    assert out["torch"]
    assert str(PYTHON_DIR) not in out["paths"]
    assert out["python"] == sys.version.split()[0]


def test_packages_drops_the_probe_entries_from_the_path():
    from trellis_runtime.probes.packages import script_path

    kept = ["", str(PYTHON_DIR), "/elsewhere", os.getcwd()]
    assert script_path(kept, os.getcwd()) == ["/elsewhere"]


def test_trl_profile_points_into_trl():
    path = Path(probe("trl_profile", "multi_gpu")["path"])
    assert path.name == "multi_gpu.yaml" and path.parent.name == "accelerate_configs"


def test_flock_takes_the_lock_once(tmp_path):
    lock = tmp_path / "run.lock"
    script = PYTHON_DIR / "trellis_runtime" / "probes" / "flock.py"
    with lock.open("a+") as first:
        taken = subprocess.run([sys.executable, "-I", "-S", str(script)], stdin=first, check=False)
        assert taken.returncode == 0
        with lock.open("a+") as second:
            held = subprocess.run([sys.executable, "-I", "-S", str(script)], stdin=second, check=False)
            assert held.returncode == 75
        fcntl.flock(first, fcntl.LOCK_UN)


def test_plan_facts_on_a_machine_without_a_gpu():
    import torch

    from trellis_runtime.probes.plan_facts import facts

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = facts("some/model", trust_remote_code=False)
    assert out["cuda"] is False and "shape" not in out
    assert out["trl"] and out["transformers"] and out["torch"] == torch.__version__
