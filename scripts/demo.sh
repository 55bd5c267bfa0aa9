#!/usr/bin/env bash
# Set up (if needed), then the main job on the bundled examples: check and compile every
# flow, draw each one, and run simulated calls through them. Output goes to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
out=out
mkdir -p "$out"
echo "== flowc check examples/ flows/"
flowc check examples/ flows/
echo "== flowc compile examples/ flows/ -o $out/build"
flowc compile examples/ flows/ -o "$out/build"
