"""The venv holds exactly requirements.lock, and the lock covers everything pyproject asks for."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def check_lock() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_lock", ROOT / "scripts" / "check_lock.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_installed_versions_equal_the_lock() -> None:
    mod = check_lock()
    pins = mod.locked_pins(LOCK.read_text(encoding="utf-8"))
    assert len(pins) > 30
    assert mod.mismatches(pins) == []


def test_every_pin_has_hashes() -> None:
    text = LOCK.read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z])", text.strip())
    pinned = [b for b in blocks if re.match(r"[A-Za-z0-9._-]+==", b)]
    assert pinned and all("--hash=sha256:" in b for b in pinned)


def test_a_drifted_package_is_reported() -> None:
    mod = check_lock()
    bad = mod.mismatches({"pyyaml": "0.0.1", "no-such-package-flowc": "1.0"})
    assert bad == [
        "no-such-package-flowc: locked 1.0, not installed",
        f"pyyaml: locked 0.0.1, installed {__import__('yaml').__version__}",
    ]


def test_the_lock_covers_every_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = check_lock().locked_pins(LOCK.read_text(encoding="utf-8"))
    for req in wanted:
        name = re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in pins, req
