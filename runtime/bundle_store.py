"""The bundle being served, and its hot reload.

A `LoadedBundle` is one `build/bundle.json` made ready to serve for one environment: every
flow compiled to an interpreter `Program` (with its subflow modules), the environment's
bindings, the DID -> flow map and the per-flow flags. It is never mutated: a reload builds a
new one and swaps one reference (`BundleStore.current`), so a call that started on the old
bundle keeps its `Program` to the end while new calls get the new one.

`BundleStore.reload()` loads and compiles in a worker thread (the event loop keeps serving
calls), then swaps. A bundle that cannot be read, is not a flowc bundle, lacks the
environment, or has a flow the interpreter cannot run is rejected: the error is logged, the
old bundle keeps serving, and `reload()` returns False. `watch()` polls `bundle.json`
(mtime, size, inode) and reloads once the file has stopped changing; `flowc compile` writes
the file in one go, and a half-written file fails to parse and is retried on the next
change.

The file is read only if it is a regular file no larger than `max_bytes` (`DEFAULT_MAX_BYTES`,
`flowc serve --max-bundle-mb`): a FIFO, a device or a directory in its place is refused at once
(opening a FIFO for reading would wait for a writer forever, and with it the reload and the
process's exit), and so is an oversized file, before it is read. Loading runs in a daemon
thread, so nothing a reload waits on can keep a stopping process alive.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from flowc.interpreter import Program, ProgramError
from flowc.interpreter.program import read_ir
from flowc.ir import FlowIR
from runtime.logs import get_logger

log = get_logger()

T = TypeVar("T")

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


class BundleError(Exception):
    """The bundle cannot be served (the message says why)."""


@dataclass(frozen=True)
class LoadedBundle:
    path: Path
    hash: str
    env: str
    bindings: Mapping[str, Any]
    programs: Mapping[str, Program]
    versions: Mapping[str, str]  # flow -> IR hash (the journal's flow_version)
    dids: Mapping[str, str]  # DID -> flow
    flags: Mapping[str, Mapping[str, bool]]  # flow -> {flag: value}
    loaded_at: float = 0.0
    irs: Mapping[str, FlowIR] = field(default_factory=dict, repr=False)

    @cached_property
    def voicemail_record_s(self) -> int | None:
        """The `max-record-len` that `flowc compile --target freeswitch` gives this
        environment's voicemail profile (None: no voicemail), computed once per bundle."""
        from flowc.compiler.freeswitch import max_record_len

        return max_record_len(self.irs, self.bindings)

    def flow_for(self, flow_var: str | None, destination: str | None) -> str | None:
        """The flow of a call: the `flowc_flow` channel variable when the dialplan set it, else
        the DID. A `flowc_flow` this bundle does not have (an instance that has not received
        a new flow yet) is no flow at all: the call is let go, and the dialplan's next
        instance serves it, rather than whatever this older bundle binds to the DID."""
        if flow_var:
            return flow_var if flow_var in self.programs else None
        if destination is not None:
            found = self.dids.get(destination)
            if found is None and destination.startswith("+"):
                found = self.dids.get(destination[1:])
            if found is not None:
                return found
        return None

    def _table(self, table: str) -> Mapping[str, Any]:
        value = self.bindings.get(table)
        return value if isinstance(value, Mapping) else {}

    def queue(self, flow: str, name: str) -> str:
        """The mod_callcenter queue bound to the flow's logical queue (else the name itself)."""
        return str(self._table("queues").get(f"{flow}.{name}", name))

    def number(self, flow: str, name: str) -> str | None:
        value = self._table("numbers").get(f"{flow}.{name}")
        return None if value is None else str(value)

    def mailbox(self, flow: str, name: str) -> str:
        return str(self._table("mailboxes").get(f"{flow}.{name}", name))

    def service(self, flow: str, name: str) -> dict[str, str]:
        """The bound environment of a logical service (for `${NAME}` in its URL and headers)."""
        spec = self._table("services").get(f"{flow}.{name}")
        env = spec.get("env") if isinstance(spec, Mapping) else None
        if not isinstance(env, Mapping):
            return {}
        return {str(k): str(v) for k, v in env.items()}


def _modules_for(flows: Mapping[str, FlowIR], ir: FlowIR) -> dict[str, FlowIR]:
    """Subflow path -> module IR, transitively (modules may call modules)."""
    out: dict[str, FlowIR] = {}
    todo = [ir]
    while todo:
        current = todo.pop()
        for path, name in current.modules.items():
            if path in out:
                continue
            module = flows.get(name)
            if module is None:
                raise BundleError(f"flow `{current.name}` needs module `{name}` ({path})")
            out[path] = module
            todo.append(module)
    return out


def resolve_bundle_path(path: Path) -> Path:
    """`build/` or `build/bundle.json` -> the bundle.json file."""
    return path / "bundle.json" if path.is_dir() else path


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bundle_file(file: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of `file`, a regular file of at most `max_bytes`; `BundleError` otherwise.

    Opened non-blocking (a FIFO opens at once instead of waiting for a writer), checked with
    fstat on the open descriptor (no race with a rename), read with a bound (a file that grows
    while it is read is refused too)."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise BundleError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise BundleError(f"{file} is {_kind(st.st_mode)}, not a regular file: not read")
        if st.st_size > max_bytes:
            raise BundleError(
                f"{file} is {st.st_size:,} bytes, over the limit of {max_bytes:,}"
                " (flowc serve --max-bundle-mb)"
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise BundleError(
                    f"{file} grew over the limit of {max_bytes:,} bytes while it was read"
                )
        return b"".join(chunks)
    except OSError as exc:
        raise BundleError(f"cannot read {file}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def load_bundle(path: Path, env: str | None, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedBundle:
    """Read and compile a bundle for `env` (None: the only environment it binds)."""
    file = resolve_bundle_path(path)
    raw = read_bundle_file(file, max_bytes)
    return bundle_from_bytes(raw, file, env, os.path.getmtime(file) if file.exists() else 0.0)


def bundle_from_bytes(
    raw: bytes | str, file: Path, env: str | None, loaded_at: float = 0.0
) -> LoadedBundle:
    """A bundle from its bundle.json text (`file` names it in messages): a file, or a version
    kept by its hash in the rollout's store (runtime/rollout)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BundleError(f"{file} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("ir") != "flowc-bundle":
        raise BundleError(f"{file} is not a flowc bundle (no `ir: flowc-bundle`)")
    flows = data.get("flows")
    if not isinstance(flows, dict) or not flows:
        raise BundleError(f"{file} has no flows")
    all_bindings = data.get("bindings") or {}
    if not isinstance(all_bindings, dict):
        raise BundleError(f"{file}: `bindings` is not a mapping")
    if env is None:
        if len(all_bindings) > 1:
            raise BundleError(
                f"{file} binds several environments ({', '.join(sorted(all_bindings))}): "
                "choose one with --env"
            )
        env = next(iter(all_bindings), "")
    if env and env not in all_bindings:
        raise BundleError(
            f"{file} has no bindings for environment `{env}`"
            f" (it has: {', '.join(sorted(all_bindings)) or 'none'})"
        )
    bindings: Mapping[str, Any] = all_bindings.get(env, {}) if env else {}
    programs: dict[str, Program] = {}
    versions: dict[str, str] = {}
    irs: dict[str, FlowIR] = {}
    for name, raw in flows.items():
        if not isinstance(raw, dict):
            raise BundleError(f"flow `{name}` is not an IR mapping")
        try:
            irs[name] = read_ir(raw, name)
        except ProgramError as exc:
            raise BundleError(f"flow `{name}` cannot run: {exc}") from None
    for name, ir in irs.items():
        try:
            programs[name] = Program.from_ir(ir, _modules_for(irs, ir))
        except ProgramError as exc:
            raise BundleError(f"flow `{name}` cannot run: {exc}") from None
        except BundleError:
            raise
        except Exception as exc:  # a defect in the IR the interpreter did not foresee
            raise BundleError(f"flow `{name}` cannot run: {type(exc).__name__}: {exc}") from None
        versions[name] = str(ir.hash or data.get("hash") or "")
    dids: dict[str, str] = {}
    for flow, fb in (bindings.get("flows") or {}).items():
        if flow not in programs:
            raise BundleError(
                f"bindings `{env}` route DIDs to `{flow}`, which is not in the bundle"
            )
        for did in (fb or {}).get("dids") or ():
            dids[str(did)] = flow
    flags: dict[str, dict[str, bool]] = {}
    for key, value in (bindings.get("flags") or {}).items():
        flow, _, flag = str(key).partition(".")
        flags.setdefault(flow, {})[flag] = bool(value)
    bundle_hash = data.get("hash")
    if not isinstance(bundle_hash, str) or not bundle_hash:
        raise BundleError(f"{file} has no content hash")
    return LoadedBundle(
        path=file,
        hash=bundle_hash,
        env=env,
        bindings=bindings,
        programs=programs,
        versions=versions,
        dids=dids,
        flags=flags,
        loaded_at=loaded_at,
        irs=irs,
    )


async def in_daemon_thread(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a new daemon thread: unlike the default executor, which the interpreter
    joins at exit, a thread stuck in the file system cannot keep the process from exiting."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = fn(*args)
        except BaseException as exc:
            error = exc
        try:
            loop.call_soon_threadsafe(deliver, result, error)
        except RuntimeError:
            pass  # the loop is closed: nobody waits for this any more

    threading.Thread(target=work, name="bundle-load", daemon=True).start()
    return await future


def _stat(file: Path) -> tuple[int, int, int] | None:
    try:
        st = file.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class BundleStore:
    """Holds the current `LoadedBundle`; `reload()` swaps it atomically or keeps the old one."""

    def __init__(
        self,
        path: Path,
        env: str | None = None,
        on_reload: Callable[[str, LoadedBundle | None, str], None] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.path = resolve_bundle_path(path)
        self.env = env
        self.max_bytes = max_bytes
        self._current: LoadedBundle | None = None
        self._on_reload = on_reload
        self._lock = asyncio.Lock()
        self._seen = _stat(self.path)
        self.last_error: str | None = None

    @property
    def current(self) -> LoadedBundle:
        if self._current is None:
            raise BundleError("no bundle loaded")
        return self._current

    def load_initial(self) -> LoadedBundle:
        """Load synchronously at start-up; raises `BundleError` (nothing to keep serving)."""
        self._seen = _stat(self.path)
        bundle = load_bundle(self.path, self.env, self.max_bytes)
        self.env = bundle.env
        self._current = bundle
        self._notify("loaded", bundle, "")
        return bundle

    async def reload(self, reason: str = "manual") -> bool:
        """Load the file again; True when a new bundle now serves (or it was unchanged)."""
        async with self._lock:
            self._seen = _stat(self.path)
            try:
                bundle = await in_daemon_thread(load_bundle, self.path, self.env, self.max_bytes)
            except BundleError as exc:
                self.last_error = str(exc)
                log.error("bundle_rejected", reason=reason, error=str(exc), path=str(self.path))
                self._notify("rejected", None, str(exc))
                return False
            old = self._current
            if old is not None and old.hash == bundle.hash:
                self.last_error = None
                log.info("bundle_unchanged", reason=reason, hash=bundle.hash)
                self._notify("unchanged", bundle, "")
                return True
            self._current = bundle
            self.last_error = None
            log.info(
                "bundle_loaded",
                reason=reason,
                hash=bundle.hash,
                previous=old.hash if old else None,
                env=bundle.env,
                flows=sorted(bundle.programs),
            )
            self._notify("loaded", bundle, "")
            return True

    def _notify(self, result: str, bundle: LoadedBundle | None, error: str) -> None:
        if self._on_reload is not None:
            self._on_reload(result, bundle, error)

    async def watch(self, interval: float = 1.0) -> None:
        """Reload whenever bundle.json changes (polling; runs until cancelled)."""
        while True:
            await asyncio.sleep(interval)
            now = _stat(self.path)
            if now is None or now == self._seen:
                continue
            await asyncio.sleep(min(interval, 0.2))  # let the writer finish
            if _stat(self.path) != now:
                continue  # still being written: look again next round
            await self.reload("file_changed")
