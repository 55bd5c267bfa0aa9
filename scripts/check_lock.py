"""Compare the installed Python packages with requirements.lock; exit 1 on any difference.

Run by scripts/setup.sh after every install and by tests/test_lock.py, so a venv that drifted from
the lock (a hand-installed upgrade, an old venv) is reported instead of silently tested.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_pins(text: str) -> dict[str, str]:
    """Name -> version for every pin of the lock whose environment marker holds here."""
    from packaging.markers import Marker

    pins: dict[str, str] = {}
    for line in text.splitlines():
        m = _PIN.match(line.strip())
        if not m:
            continue
        name, version, marker = m.groups()
        if marker and not Marker(marker).evaluate():
            continue
        pins[_canonical(name)] = version
    return pins


def mismatches(pins: dict[str, str]) -> list[str]:
    """One line per locked package that is missing or installed at another version."""
    out = []
    for name, version in sorted(pins.items()):
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            out.append(f"{name}: locked {version}, not installed")
            continue
        if have != version:
            out.append(f"{name}: locked {version}, installed {have}")
    return out


def main() -> int:
    pins = locked_pins(LOCK.read_text(encoding="utf-8"))
    bad = mismatches(pins)
    if bad:
        print("setup: the venv differs from requirements.lock:", file=sys.stderr)
        for line in bad:
            print(f"  {line}", file=sys.stderr)
        print("  fix: rm -rf .venv && bash scripts/setup.sh", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
