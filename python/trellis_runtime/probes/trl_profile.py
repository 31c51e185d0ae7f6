"""The file of TRL's accelerate config for a profile (trl/accelerate_configs/<argv[1]>.yaml).

find_spec locates the package without importing it (and torch with it).
"""

import importlib.util
import json
import os
import sys


def profile_file(profile: str) -> str:
    spec = importlib.util.find_spec("trl")
    if spec is None or spec.origin is None:
        raise SystemExit("trl is not installed in this environment")
    return os.path.join(os.path.dirname(spec.origin), "accelerate_configs", profile + ".yaml")


if __name__ == "__main__":
    print(json.dumps({"path": profile_file(sys.argv[1])}))
