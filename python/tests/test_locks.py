"""Each torch backend's lock is complete for its platform: every requirement of every locked
package, under the markers of the platform it was resolved for, is pinned in the same lock at a
version that satisfies it. Read from the package metadata make_locks.py keeps beside each lock
(python/locks/<backend>.metadata.json), so nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PYTHON = Path(__file__).resolve().parents[1]
METADATA = sorted((PYTHON / "locks").glob("*.metadata.json"))


def pins(lock: Path) -> dict[str, str]:
    out = {}
    for raw in lock.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "-")):
            name, _, version = line.partition("==")
            out[canonicalize_name(name)] = version
    return out


def test_there_is_a_lock_per_backend_trellis_offers() -> None:
    backends = {p.name.split(".")[0] for p in METADATA}
    assert {"cpu", "cu130"} <= backends


@pytest.mark.parametrize("metadata_file", METADATA, ids=lambda p: p.name.split(".")[0])
def test_lock_is_complete_for_its_platform(metadata_file: Path) -> None:
    meta = json.loads(metadata_file.read_text())
    locked = pins(PYTHON / meta["lock"])
    packages = {canonicalize_name(n): p for n, p in meta["packages"].items()}
    assert set(locked) == set(packages), "the metadata is of another resolution: rerun python/tools/make_locks.py"
    for name, version in locked.items():
        assert packages[name]["version"] == version, name
    environment = {k: v for k, v in meta["environment"].items() if isinstance(v, str)}
    missing = []
    for name, package in packages.items():
        extras = package.get("requested_extras") or [""]
        for text in package["requires_dist"] or []:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({**environment, "extra": e}) for e in extras):
                continue
            dep = canonicalize_name(req.name)
            if dep not in locked:
                missing.append(f"{name} needs {text}: not in {meta['lock']}")
            elif not req.specifier.contains(Version(locked[dep]), prereleases=True):
                missing.append(f"{name} needs {text}: {meta['lock']} pins {locked[dep]}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("metadata_file", METADATA, ids=lambda p: p.name.split(".")[0])
def test_lock_pins_the_top_level_requirements(metadata_file: Path) -> None:
    meta = json.loads(metadata_file.read_text())
    locked = pins(PYTHON / meta["lock"])
    for raw in (PYTHON / "requirements.in").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        version = locked.get(canonicalize_name(req.name))
        assert version is not None, f"{meta['lock']} lacks {req.name}"
        # torch's pin carries the backend's local tag (2.13.0+cpu): compare the release.
        assert req.specifier.contains(Version(version.split("+")[0]), prereleases=True), f"{req.name} {version}"


def test_old_cpu_lock_would_have_failed() -> None:
    """The check catches what the hand-made lock missed: torch needs setuptools >= 77.0.3."""
    meta = json.loads((PYTHON / "locks" / "cpu.metadata.json").read_text())
    torch = next(p for n, p in meta["packages"].items() if n == "torch")
    assert any(r.startswith("setuptools") for r in torch["requires_dist"])
