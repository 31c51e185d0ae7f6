#!/usr/bin/env bash
# Installs python/requirements-cu130.lock the way trellis does (a fresh venv, pip install --no-deps
# -r the lock) from the real package index, as a user's pip sees it (--isolated: no local wheel
# folder, no config), and shows that torch imports with its CUDA build set. Then the old way: the
# lock as it was before the per-backend locks (git show 1bc6602:python/requirements.lock), which
# pinned the index's CUDA torch without its nvidia-* and triton requirements.
# No CUDA device is needed: torch imports and reports torch.version.cuda without one.
#
#   bash bench/cuda-lock-install.sh > bench/results/cuda-lock-install.txt 2>&1
#
# Downloads ~4 GB and writes ~9 GB under $WORK (default /tmp/trellis-cuda-lock), removed at the end.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/trellis-cuda-lock}
PY=${PYTHON:-python3}
rm -rf "$WORK"; mkdir -p "$WORK"
probe='import torch; print("torch", torch.__version__, "cuda build", torch.version.cuda, "cuda available", torch.cuda.is_available())'

echo "# $(date -u +%FT%TZ) $(uname -sm), $($PY --version), pip $($PY -m pip --version | cut -d" " -f2)"
echo "## new: python/requirements-cu130.lock ($(grep -c '^[A-Za-z].*==' "$ROOT/python/requirements-cu130.lock") pins)"
$PY -m venv "$WORK/new"
start=$(date +%s)
"$WORK/new/bin/python" -m pip install --isolated --no-deps --disable-pip-version-check -q -r "$ROOT/python/requirements-cu130.lock" 2>&1 | grep -v "^\s*$" | tail -5
echo "install: $(( $(date +%s) - start )) s, $(du -sh "$WORK/new" | cut -f1)"
"$WORK/new/bin/python" -c "$probe" 2>&1 | tail -3
echo "exit status of import torch: ${PIPESTATUS[0]}"
"$WORK/new/bin/python" -m pip check --disable-pip-version-check 2>&1 | tail -3
rm -rf "$WORK/new"

echo "## old: the lock before per-backend locks (torch==2.13.0 from the index, installed with --no-deps)"
git -C "$ROOT" show 1bc6602:python/requirements.lock > "$WORK/old.lock"
$PY -m venv "$WORK/old"
"$WORK/old/bin/python" -m pip install --isolated --no-deps --disable-pip-version-check -q -r "$WORK/old.lock" 2>&1 | grep -v "^\s*$" | tail -5
"$WORK/old/bin/python" -c "$probe" 2>&1 | tail -1
echo "exit status of import torch: ${PIPESTATUS[0]}"
"$WORK/old/bin/python" -m pip check --disable-pip-version-check 2>&1 | head -25
rm -rf "$WORK"
