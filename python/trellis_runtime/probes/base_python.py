"""The base interpreter's version and platform, which go into a venv's key.

``real`` is the interpreter behind the command (a pyenv shim is a script that never changes by
itself), for the cache of this answer.
"""

import json
import os
import sys
import sysconfig


def facts() -> dict:
    return {
        "version": sys.version,
        "platform": sysconfig.get_platform(),
        "real": os.path.realpath(sys.executable),
    }


if __name__ == "__main__":
    print(json.dumps(facts()))
