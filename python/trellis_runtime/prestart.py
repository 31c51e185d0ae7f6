"""A stage's Python, started before trellis has rendered the stage: imports first, script later.

`trellis run --foreground` starts this (as a file, not `-m`, so that nothing of trellis_runtime is
imported from here: the rendered script imports its own copy) while Node loads, validates and
renders. It imports the heavy packages, then reads one JSON line on stdin: the rendered script,
its working folder, its environment and arguments. It becomes that environment and runs the
script as `python script.py` would (`__main__`, `sys.argv`, `sys.path[0]`). End of stdin before
that line (trellis went another way, or died) ends it at once, mid-import or not.

The rendered script stays runnable with plain python; this only moves its imports earlier.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import sys
import threading

# The defaults trellis_runtime.environment.prepare() sets, applied here before torch loads (torch
# reads OMP_NUM_THREADS once, at import). python/tests/test_prestart.py keeps them equal.
ENV_DEFAULTS = {"TOKENIZERS_PARALLELISM": "false", "TRL_EXPERIMENTAL_SILENCE": "1"}
TINY_MODEL_ENV = {"OMP_NUM_THREADS": "1"}
# What every stage script imports, heaviest first; each is skipped if absent.
HEAVY_MODULES = ("torch", "transformers", "datasets", "accelerate", "peft", "trl", "transformers.trainer")


def _read_handoff(box: list[dict], ready: threading.Event) -> None:
    line = sys.stdin.readline()
    if not line:
        os._exit(0)  # abandoned: no script will come
    box.append(json.loads(line))
    ready.set()


def main(argv: list[str]) -> None:
    defaults = dict(ENV_DEFAULTS)
    if "--tiny" in argv:
        defaults.update(TINY_MODEL_ENV)
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    box: list[dict] = []
    ready = threading.Event()
    threading.Thread(target=_read_handoff, args=(box, ready), daemon=True).start()
    for name in HEAVY_MODULES:
        with contextlib.suppress(ImportError):
            __import__(name)
    ready.wait()
    handoff = box[0]
    # The stage's environment exactly, plus the defaults its own prepare() will set anyway.
    env = {**handoff["env"], **{k: v for k, v in defaults.items() if k not in handoff["env"]}}
    for key in [k for k in os.environ if k not in env]:
        del os.environ[key]
    os.environ.update(env)
    # stdin as a plainly started stage has it: nothing.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    script = os.path.abspath(os.path.join(handoff["cwd"], handoff["script"]))
    os.chdir(handoff["cwd"])
    sys.argv = [script, *handoff.get("argv", [])]
    sys.path.insert(0, os.path.dirname(script))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    # Run as a file, its folder comes first on sys.path: trellis_runtime's own modules (data,
    # events, models...) must not shadow anything torch or transformers import.
    del sys.path[0]
    main(sys.argv[1:])
