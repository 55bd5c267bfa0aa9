"""Loading bundles for an environment, routing calls to flows, and atomic reloads."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from runtime.bundle_store import BundleError, BundleStore, load_bundle, read_bundle_file
from tests.server.serverkit import FLOWS, compile_bundle


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_bundle(tmp_path_factory.mktemp("b") / "build")


def test_load_for_the_only_environment(build: Path) -> None:
    b = load_bundle(build, None)
    assert b.env == "test" and sorted(b.programs) == ["lab", "shop"]
    assert b.versions["shop"].startswith("sha256:") and b.versions["shop"] != b.hash
    assert b.queue("shop", "sales") == "test_sales@default"
    assert b.queue("shop", "unbound") == "unbound"
    assert b.number("shop", "desk") == "user/1901" and b.number("shop", "nope") is None
    assert b.mailbox("shop", "general") == "default/1000"


def test_service_environment_from_the_bindings(build: Path) -> None:
    b = load_bundle(build, None)
    bound = replace(
        b,
        bindings={
            **b.bindings,
            "services": {
                "shop.crm": {"env": {"CRM_URL": "http://127.0.0.1:8900/crm", "N": 3}},
                "shop.bare": None,
            },
        },
    )
    assert bound.service("shop", "crm") == {"CRM_URL": "http://127.0.0.1:8900/crm", "N": "3"}
    assert bound.service("shop", "bare") == {}
    assert bound.service("shop", "unbound") == {}


def test_flow_for_a_call(build: Path) -> None:
    b = load_bundle(build / "bundle.json", "test")
    assert b.flow_for(None, "8001") == "shop"
    assert b.flow_for(None, "+8621000001") == "shop"
    assert b.flow_for("lab", "8001") == "lab"  # the channel variable wins
    assert b.flow_for("no_such_flow", "8001") is None  # not this bundle's: let it go
    assert b.flow_for(None, "12345") is None


def test_environment_errors(build: Path, tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no bindings for environment `prod`"):
        load_bundle(build, "prod")
    data = json.loads((build / "bundle.json").read_text())
    data["bindings"]["other"] = data["bindings"]["test"]
    (tmp_path / "bundle.json").write_text(json.dumps(data))
    with pytest.raises(BundleError, match="choose one with --env"):
        load_bundle(tmp_path, None)
    assert load_bundle(tmp_path, "other").env == "other"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ("[]", "not a flowc bundle"),
        ('{"ir": "flowc-bundle"}', "has no flows"),
        ('{"ir": "flowc-bundle", "flows": {"x": {"ir": "flowc-ir", "version": 7}}}', "cannot run"),
    ],
)
def test_broken_bundles_are_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bundle.json").write_text(text)
    with pytest.raises(BundleError, match=message):
        load_bundle(tmp_path, None)
    with pytest.raises(BundleError, match="cannot read"):
        load_bundle(tmp_path / "missing", None)


def test_reload_is_atomic_and_keeps_the_old_bundle_on_error(build: Path, tmp_path: Path) -> None:
    work = tmp_path / "build"
    shutil.copytree(build, work)
    events: list[str] = []
    store = BundleStore(work, "test", lambda result, b, err: events.append(result))
    first = store.load_initial()

    async def scenario() -> None:
        assert await store.reload("same") is True
        assert store.current is first  # unchanged: the very same object
        (work / "bundle.json").write_text("{ broken")
        assert await store.reload("broken") is False
        assert store.current is first and store.last_error
        src = tmp_path / "flows"
        shutil.copytree(FLOWS, src)
        shop = src / "shop.yaml"
        shop.write_text(shop.read_text().replace("Goodbye.", "Bye now."))
        compile_bundle(work, src)
        watcher = asyncio.create_task(store.watch(0.02))
        try:
            async with asyncio.timeout(10):
                while store.current is first:
                    await asyncio.sleep(0.01)
        finally:
            watcher.cancel()
        assert store.current.hash != first.hash and store.last_error is None
        # the old bundle object is intact for the calls that still use it
        assert first.programs["shop"] is not store.current.programs["shop"]

    asyncio.run(scenario())
    assert events[:3] == ["loaded", "unchanged", "rejected"] and events[-1] == "loaded"


# ---- bounded reading: regular files only, a size limit ------------------------------------------


def _bounded(fn: Any, timeout: float = 10.0) -> Any:
    """Run `fn` in a daemon thread; fail if it has not returned within `timeout` s."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "still blocked"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def test_a_fifo_in_place_of_bundle_json_is_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "bundle.json")
    with pytest.raises(BundleError, match="is a FIFO, not a regular file"):
        _bounded(lambda: load_bundle(tmp_path, None))
    with pytest.raises(BundleError, match="is a directory"):
        read_bundle_file(tmp_path)


def test_a_bundle_over_the_size_limit_is_refused(build: Path, tmp_path: Path) -> None:
    size = (build / "bundle.json").stat().st_size
    with pytest.raises(BundleError, match=f"is {size:,} bytes, over the limit of 1,000"):
        load_bundle(build, None, max_bytes=1000)
    store = BundleStore(build, None, max_bytes=1000)
    with pytest.raises(BundleError, match="over the limit"):
        store.load_initial()
    assert load_bundle(build, None, max_bytes=size).env == "test"


def test_reload_keeps_the_old_bundle_when_bundle_json_becomes_a_fifo(
    build: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "build"
    shutil.copytree(build, folder)
    store = BundleStore(folder, None)
    old = store.load_initial()
    (folder / "bundle.json").unlink()
    os.mkfifo(folder / "bundle.json")

    async def reload() -> bool:
        async with asyncio.timeout(10):
            return await store.reload("test")

    assert asyncio.run(reload()) is False
    assert store.current is old
    assert store.last_error is not None and "a FIFO" in store.last_error
