"""Short programs trellis runs in a Python to learn about it, each printing one JSON line.

Run as ``python -m trellis_runtime.probes.<name>`` with PYTHONPATH pointing at trellis's
python/ folder: most of them run in an interpreter where trellis_runtime is not installed (the
base Python a venv is built from, a user's own environment given with ``--env``), before torch
exists there. So they use the standard library only, import torch or TRL only where that is
their question, and import nothing of trellis_runtime (whose ``__init__`` is all they load).
"""
