"""Takes an exclusive flock(2) on stdin, which is trellis's descriptor of a run's run.lock.

Node has no flock: trellis runs this with the run's interpreter (``-I -S``, a few ms, so as a
file rather than ``-m``: isolated mode reads no PYTHONPATH). The lock belongs to the open file
description, so it stays trellis's after Python exits. Exits 75 (sysexits' EX_TEMPFAIL) when
another process holds it.
"""

import fcntl
import sys

HELD = 75


def lock_stdin() -> int:
    try:
        fcntl.flock(0, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return HELD
    return 0


if __name__ == "__main__":
    sys.exit(lock_stdin())
