"""The pre-start entry (trellis_runtime/prestart.py): the import-time defaults it applies are
environment.prepare()'s, and a script it is handed runs as `python script` would run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from trellis_runtime import environment, prestart

PRESTART = Path(prestart.__file__)


def test_defaults_are_prepares():
    assert prestart.ENV_DEFAULTS == environment.ENV_DEFAULTS
    assert prestart.TINY_MODEL_ENV == environment.TINY_MODEL_ENV


def _script(tmp_path: Path) -> Path:
    script = tmp_path / "stage.py"
    script.write_text(
        "import json, os, sys\n"
        "print(json.dumps({'name': __name__, 'argv': sys.argv, 'path0': sys.path[0], 'cwd': os.getcwd(),"
        " 'env': os.environ.get('STAGE_ONLY'), 'gone': os.environ.get('PRESTART_ONLY'),"
        " 'omp': os.environ.get('OMP_NUM_THREADS'), 'stdin': sys.stdin.read()}))\n"
        "sys.exit(3)\n"
    )
    return script


def test_runs_the_handed_script_as_plain_python_would(tmp_path):
    script = _script(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    child = subprocess.Popen(
        [sys.executable, str(PRESTART), "--tiny"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**env, "PRESTART_ONLY": "1"},
        text=True,
    )
    handoff = {"script": script.name, "cwd": str(tmp_path), "env": {**env, "STAGE_ONLY": "yes"}, "argv": ["--x"]}
    out, _ = child.communicate(json.dumps(handoff) + "\n", timeout=300)
    assert child.returncode == 3
    seen = json.loads(out)
    assert seen == {
        "name": "__main__",
        "argv": [str(script), "--x"],
        "path0": str(tmp_path),
        "cwd": str(tmp_path),
        "env": "yes",
        "gone": None,
        "omp": "1",
        "stdin": "",
    }


def test_ends_when_stdin_closes_without_a_script():
    child = subprocess.Popen([sys.executable, str(PRESTART)], stdin=subprocess.PIPE)
    child.stdin.close()
    assert child.wait(timeout=300) == 0
