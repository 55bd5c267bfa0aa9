#!/usr/bin/env bash
# Refresh requirements.lock: every Python package flowc and its test tools use, pinned with
# hashes. Resolved by uv (pinned below) for Python 3.11 and newer on every platform; the result is
# installed by plain pip in hash-checking mode (scripts/setup.sh), so uv is needed only here.
# Usage: bash scripts/lock.sh [--upgrade | --upgrade-package NAME ...]
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
tool=.venv-lock
if [ ! -x "$tool/bin/uv" ] || [ "$("$tool/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  python3 -m venv "$tool"
  "$tool/bin/python" -m pip install -q "uv==$UV_VERSION"
fi
"$tool/bin/uv" pip compile pyproject.toml scripts/lock-extra.in --extra test \
  --generate-hashes --universal --python-version 3.11 \
  --no-header --output-file requirements.lock "$@"
echo "lock: requirements.lock refreshed ($(grep -c '^[a-zA-Z]' requirements.lock) packages)"
