#!/usr/bin/env bash
# Install everything flowc needs on a fresh Debian machine: system packages, and a virtualenv
# holding exactly the versions in requirements.lock (hash-checked) plus flowc itself. Safe to run
# again: it skips what is already there and reinstalls when the lock or pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."

# Another apt/dpkg run (unattended upgrades, a second set-up) holds the package manager's lock:
# wait for it, bounded, instead of failing at once.
APT_LOCK_WAIT=${FLOWC_APT_LOCK_WAIT:-600}
apt_get() {
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o "DPkg::Lock::Timeout=$APT_LOCK_WAIT" "$@"
}

need_apt=()
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)  # zh prompts in drawings
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need_apt+=(postgresql); fi
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)  # the HTML pages are tested in it
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${need_apt[*]} (Debian packages; waits up to ${APT_LOCK_WAIT}s" \
    "if another apt run holds the lock)"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.flowc-installed
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing requirements.lock (hash-checked) and flowc into .venv"
  # This machine's pip config names local mirrors that may be absent: drop those warnings.
  .venv/bin/python -m pip install -q --require-hashes --no-deps -r requirements.lock \
    2> >(grep -v '^WARNING: Location' >&2)
  # flowc itself: editable, built with the locked setuptools, no dependency resolution.
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e . \
    2> >(grep -v '^WARNING: Location' >&2)
  touch "$stamp"
fi
# The venv must hold exactly the lock's versions (a stale venv or a hand-installed upgrade fails).
.venv/bin/python scripts/check_lock.py
