#!/usr/bin/env bash
# Set up (if needed), then run every check CI runs: ruff, mypy, the JSON Schema freshness
# test and the whole pytest suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff";   ruff check flowc flowc_app runtime tests bench scripts
echo "== ruff format"; ruff format --check flowc flowc_app runtime tests bench scripts
echo "== mypy";   mypy  # the paths are in pyproject.toml: the code, tests/, bench/ and scripts/
echo "== import contracts"; lint-imports --no-cache
echo "== pytest"; python -m pytest "$@"
