"""One runtime instance: the outbound-socket server FreeSWITCH connects to for every call.

    runtime = Runtime(ServeConfig(bundle=Path("build"), env="prod"))
    await runtime.run()          # serves until SIGTERM/SIGINT, then drains

What it does with a connection (after `connect`, in `_handle`):

1. picks the flow: the channel variable `flowc_flow` wins when it names a flow of the bundle,
   else the DID (`flowc_did`, set by the generated dialplan, else `Caller-Destination-Number`)
   through the environment's `flows[].dids`; no flow -> the socket is released with `resume`
   and the dialplan tries the next instance, then its fallback;
2. a connection with `flowc_resume_node` set is the second socket of a queue's `after`: the
   call's driver, if this instance still holds it (waiting with the agent), adopts the new
   socket and continues; otherwise a new call starts at that node with the variables saved in
   `flowc_state`, once its signature verifies (`runtime.resume_state`; else the call is
   refused: journal `error` / `resume_refused`, hang-up). The adopting instance ignores the
   channel's state and node: it continues its own call;
3. otherwise a `CallDriver` serves the call with the bundle that is current *now*: a reload
   swaps `store.current` for new calls only.

Reload (`reload()`): on SIGHUP and when bundle.json changes (`BundleStore.watch`); a broken
bundle is rejected with a log line and the old one keeps serving.

Drain (`drain()`, on SIGTERM/SIGINT): stop accepting (the generated dialplan's next
`flowc_try_<N>` socket action then tries the next instance), let calls finish until the
deadline, then hang the rest up cleanly (each call's journal is finished: `CallEnd` with
`detail.runtime = "drain"`; calls talking to an agent are detached, not hung up), flush and
close the journal, stop the metrics endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from runtime import translate as tr
from runtime.bundle_store import DEFAULT_MAX_BYTES, BundleError, BundleStore, LoadedBundle
from runtime.driver import FAULT_CAUSE, CallDriver, CallHost, ClockFactory, Timeouts
from runtime.esl import commands as esl_cmd
from runtime.esl.aio import AsyncESL
from runtime.esl.errors import ESLError
from runtime.logs import get_logger
from runtime.metrics import MetricsServer, RuntimeMetrics
from runtime.resume_state import ResumeKeys

if TYPE_CHECKING:
    from runtime.rollout.live import Rollout

log = get_logger()


@dataclass
class ServeConfig:
    bundle: Path
    listen: list[tuple[str, int]] = field(default_factory=lambda: [("127.0.0.1", 8084)])
    env: str | None = None
    journal: str | None = None  # sqlite:///journal.db, postgresql://...; None: no journal
    metrics: tuple[str, int] | None = None  # where /metrics and /health listen
    drain_timeout: float = 30.0
    reload_interval: float = 1.0  # seconds between bundle.json checks; 0: no watching
    max_bundle_bytes: int = DEFAULT_MAX_BYTES  # a bigger bundle.json is refused, not read
    instance: str | None = None
    media: tr.MediaConfig = field(default_factory=tr.MediaConfig)
    timeouts: Timeouts = field(default_factory=Timeouts)
    linger: bool = True
    mirror_variables: bool = True
    connect_timeout: float = 10.0
    esl_timeout: float = 30.0
    backlog: int = 4096  # pending connections the kernel keeps (a burst of new calls)
    journal_options: dict[str, Any] = field(default_factory=dict)
    clock: datetime | None = None  # every call starts at this instant (demos, staging)
    # At start, calls with no end in the journal are closed as `lost` when this instance
    # started them; with `close_lost_after` (seconds) also any instance's started that long ago.
    close_lost_after: float | None = None
    # Where journal records go while the database is unavailable (see runtime.journal.base):
    # None: next to a SQLite journal (<db>.spool), else flowc-journal-<instance>.spool in the
    # working directory; "" or "none": no spool.
    journal_spool: str | None = None
    journal_spool_max_bytes: int = 64 * 1024 * 1024
    # Keys of the resume state (see runtime.resume_state); None: FLOWC_RESUME_KEY or random.
    resume_keys: ResumeKeys | None = None
    # Serve the versions `flowc deploy` decides (runtime/rollout), read from the journal's
    # database every `rollout_poll` seconds; None: serve the bundle folder only.
    rollout_poll: float | None = None
    # Process-wide interpreter settings (see `tune_process`): for the process that serves
    # (`flowc serve`), not for a library user embedding a runtime.
    tune_process: bool = False


class Runtime:
    """A runtime instance; see the module docstring."""

    def __init__(
        self,
        config: ServeConfig,
        *,
        clock_factory: ClockFactory | None = None,
        journal: Any | None = None,
        http_client: httpx.AsyncClient | None = None,
        lookup_env: dict[str, str] | None = None,
        lookup_options: dict[str, Any] | None = None,
        observer: Any | None = None,
    ) -> None:
        self.config = config
        self.metrics = RuntimeMetrics()
        self.store = BundleStore(
            config.bundle, config.env, self._on_reload, max_bytes=config.max_bundle_bytes
        )
        self._journal_given = journal
        self.journal: Any | None = journal
        self.host = CallHost(
            metrics=self.metrics,
            journal=journal,
            media=config.media,
            timeouts=config.timeouts,
            linger=config.linger,
            mirror_variables=config.mirror_variables,
            lookups=self._lookups_for,
            resume_keys=config.resume_keys or ResumeKeys.configured(),
        )
        if clock_factory is not None:
            self.host.clock_factory = clock_factory
        elif config.clock is not None:
            self.host.clock_factory = fixed_start(config.clock)
        self._http = http_client
        self._owns_http = http_client is None
        self._lookup_env = lookup_env
        self._lookup_options = dict(lookup_options or {})
        self.host.observer = observer
        self._lookup_clients: dict[str, Any] = {}
        self._servers: list[asyncio.Server] = []
        self._metrics_server: MetricsServer | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self.rollout: Rollout | None = None  # with --rollout (ServeConfig.rollout_poll)
        self._handlers: set[asyncio.Task[Any]] = set()
        self.drivers: set[CallDriver] = set()
        self.draining = False
        self.started = False
        self._stopped = asyncio.Event()
        self._stopping: asyncio.Task[None] | None = None
        self.ports: list[int] = []

    # ------------------------------------------------------------------ life cycle

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def address(self) -> str:
        host = self.config.listen[0][0]
        return f"{host}:{self.port}"

    async def start(self) -> None:
        """Load the bundle (raises `BundleError`), open the journal, listen."""
        if self.config.rollout_poll is not None and not (self.journal or self.config.journal):
            raise BundleError("--rollout needs a journal: the deployment decision is kept there")
        bundle = self.store.load_initial()
        if self.journal is None and self.config.journal:
            from runtime.journal import open_journal

            self.journal = open_journal(self.config.journal, **self.config.journal_options)
        self.host.journal = self.journal
        for host, port in self.config.listen:
            server = await asyncio.start_server(
                self._on_client, host, port, backlog=self.config.backlog
            )
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])
        self.host.instance = self.config.instance or f"{socket.gethostname()}:{self.ports[0]}"
        if self.journal is not None and self._journal_given is None:
            spool = self._spool_path()
            if spool is not None and hasattr(self.journal, "set_spool"):
                self.journal.set_spool(spool, self.config.journal_spool_max_bytes)
            try:
                await self.journal.open()
            except BaseException:
                for server in self._servers:
                    server.close()
                raise
        self._journal_metrics()
        await self._close_lost_calls()
        if self.config.rollout_poll is not None:
            await self._start_rollout(bundle)
        if self.config.metrics is not None:
            mhost, mport = self.config.metrics
            self._metrics_server = MetricsServer(self.metrics, self.health, mhost, mport)
            await self._metrics_server.start()
        if self.config.reload_interval > 0:
            self._watch_task = asyncio.create_task(
                self.store.watch(self.config.reload_interval), name="bundle-watch"
            )
        self.started = True
        keys = self.host.resume_keys
        if keys.generated:
            log.warning(
                "resume_key_generated",
                detail="no resume key configured (FLOWC_RESUME_KEY or --resume-key-file): "
                "a random one for this process; a call can resume after its agent only on "
                "this instance and not after a restart",
            )
        else:
            log.info("resume_keys", source=keys.source, keys=len(keys.keys))
        if self.config.tune_process:
            tune_process()
        log.info(
            "runtime_started",
            listen=[f"{h}:{p}" for (h, _), p in zip(self.config.listen, self.ports, strict=True)],
            env=bundle.env,
            bundle=bundle.hash,
            flows=sorted(bundle.programs),
            journal=_journal_label(self.config.journal),
            metrics=(
                f"{self._metrics_server.host}:{self._metrics_server.port}"
                if self._metrics_server
                else None
            ),
            instance=self.host.instance,
        )

    async def _start_rollout(self, bundle: LoadedBundle) -> None:
        from runtime.rollout.live import Rollout

        assert self.journal is not None and self.config.rollout_poll is not None
        self.rollout = Rollout(
            self.journal, bundle.env, self.config.max_bundle_bytes, self.config.rollout_poll
        )
        try:
            await self.rollout.refresh()
        except Exception as exc:  # the database is unreachable: the poll loop tries again
            log.error("rollout_read_failed", error=f"{type(exc).__name__}: {exc}")
        self.rollout.start()

    def _spool_path(self) -> str | None:
        spool = self.config.journal_spool
        if spool is not None:
            return None if spool.lower() in ("", "none", "off") else spool
        url = self.config.journal or ""
        if url.lower().startswith("sqlite://"):
            path = getattr(self.journal, "path", "journal.db")
            return None if path == ":memory:" else f"{path}.spool"
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.host.instance)
        return f"flowc-journal-{name}.spool"

    def _journal_metrics(self) -> None:
        """Gauges read from the journal's counters at scrape time."""
        journal = self.journal
        if journal is None or not hasattr(journal, "spool_pending"):
            return
        from prometheus_client import Gauge

        for name, doc, attr in (
            ("flowc_journal_queued", "Journal records waiting to be written.", "queued"),
            ("flowc_journal_spool_records", "Records in the spool file now.", "spool_pending"),
            ("flowc_journal_spooled", "Records written to the spool (since start).", "spooled"),
            (
                "flowc_journal_spool_refused",
                "Records the spool refused: full or unwritable (since start).",
                "spool_refused",
            ),
            (
                "flowc_journal_unsaved",
                "Records in neither the database nor the spool (since start).",
                "unsaved",
            ),
        ):
            gauge = Gauge(name, doc, registry=self.metrics.registry)
            gauge.set_function(_reader(journal, attr))

    @property
    def unsaved_records(self) -> int:
        """Journal records lost: written neither to the database nor to the spool."""
        return int(getattr(self.journal, "unsaved", 0) or 0)

    async def _close_lost_calls(self) -> None:
        """Close in the journal the calls a previous process of this instance left open
        (killed mid-call: FreeSWITCH went on without it), so reports stay true."""
        journal = self.journal
        if journal is None or not hasattr(journal, "close_lost_calls"):
            return
        before = None
        if self.config.close_lost_after is not None:
            before = datetime.now(UTC) - timedelta(seconds=self.config.close_lost_after)
        try:
            async with asyncio.timeout(10.0):
                closed = await journal.close_lost_calls(self.host.instance, started_before=before)
        except Exception as exc:  # the journal is unreachable: calls must be served anyway
            log.warning("lost_calls_not_checked", error=f"{type(exc).__name__}: {exc}")
            return
        if closed:
            log.warning("lost_calls_closed", calls=len(closed), instance=self.host.instance)

    @property
    def metrics_port(self) -> int | None:
        return self._metrics_server.port if self._metrics_server else None

    async def run(self) -> None:
        """Start, serve until SIGTERM/SIGINT (drain) ; SIGHUP reloads the bundle."""
        await self.start()
        loop = asyncio.get_running_loop()
        installed: list[int] = []
        handlers: dict[int, Callable[[], None]] = {
            signal.SIGHUP: lambda: self._spawn(self.reload("sighup")),
            signal.SIGTERM: lambda: self.request_stop("sigterm"),
            signal.SIGINT: lambda: self.request_stop("sigint"),
        }
        for sig, handler in handlers.items():
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, handler)
                installed.append(sig)
        try:
            await self._stopped.wait()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            if self._stopping is not None:
                await self._stopping

    def request_stop(self, reason: str = "stop") -> None:
        """Begin a graceful drain (idempotent); `run()` returns when it is done."""
        if self._stopping is None:
            log.info("runtime_stopping", reason=reason, calls=len(self.drivers))
            self._stopping = asyncio.create_task(self.stop(), name="runtime-stop")

    async def stop(self, drain_timeout: float | None = None) -> None:
        try:
            await self.drain(self.config.drain_timeout if drain_timeout is None else drain_timeout)
        finally:
            self._stopped.set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def reload(self, reason: str = "manual") -> bool:
        return await self.store.reload(reason)

    def _on_reload(self, result: str, bundle: LoadedBundle | None, error: str) -> None:
        self.metrics.reloads.labels(result).inc()
        if bundle is not None and result == "loaded":
            self.metrics.bundle_loaded(bundle.hash)

    async def drain(self, timeout: float) -> None:
        """Stop accepting; wait up to `timeout` s for calls; hang up the rest; close all."""
        if self.draining:
            return
        self.draining = True
        self.metrics.draining.set(1)
        # Let the loop accept what the kernel has already queued (those callers are in
        # already: they are served), then close: new connections are refused, and
        # FreeSWITCH's socket failover tries the next instance.
        for _ in range(3):
            await asyncio.sleep(0)
        for server in self._servers:
            server.close()
        if self._watch_task is not None:
            self._watch_task.cancel()
        if self.rollout is not None:
            await self.rollout.stop()
        deadline = asyncio.get_running_loop().time() + max(0.0, timeout)
        while self._busy() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        left = list(self.drivers)
        if left:
            log.warning("drain_deadline", calls=len(left))
            for driver in left:
                driver.abort("drain")
        handlers = list(self._handlers)
        if handlers:
            _, pending = await asyncio.wait(
                handlers, timeout=max(5.0, self.config.timeouts.exit * 3)
            )
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2.0)
        for server in self._servers:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await server.wait_closed()
        if self.journal is not None:
            journal = self.journal
            with contextlib.suppress(Exception):
                async with asyncio.timeout(max(5.0, timeout)):
                    await journal.flush()
            if self._journal_given is None:
                await journal.close()
            if self.unsaved_records:
                log.error(
                    "journal_records_unsaved",
                    records=self.unsaved_records,
                    spool=str(getattr(getattr(journal, "spool", None), "path", None)),
                )
        for client in self._lookup_clients.values():
            with contextlib.suppress(Exception):
                await client.aclose()
        if self._http is not None and self._owns_http:
            with contextlib.suppress(Exception):
                await self._http.aclose()
        if self._metrics_server is not None:
            await self._metrics_server.close()
        log.info("runtime_stopped", instance=self.host.instance)

    def _busy(self) -> bool:
        return any(not d.with_agent for d in self.drivers)

    # ------------------------------------------------------------------ health

    def health(self) -> dict[str, Any]:
        try:
            bundle: LoadedBundle | None = self.store.current
        except Exception:
            bundle = None
        journal = self.journal
        return {
            "status": "draining" if self.draining else ("ok" if bundle else "starting"),
            "instance": self.host.instance,
            "bundle": bundle.hash if bundle else None,
            "env": bundle.env if bundle else None,
            "flows": sorted(bundle.programs) if bundle else [],
            "calls_active": len(self.drivers),
            "calls_with_agent": sum(1 for d in self.drivers if d.with_agent),
            "last_reload_error": self.store.last_error,
            "journal": (
                {
                    "queued": journal.queued,
                    "written": journal.written,
                    "dropped": journal.dropped,
                    "spool_records": getattr(journal, "spool_pending", 0),
                    "spooled": getattr(journal, "spooled", 0),
                    "unsaved": getattr(journal, "unsaved", 0),
                }
                if journal is not None and hasattr(journal, "queued")
                else None
            ),
            "rollout": self.rollout.health() if self.rollout is not None else None,
        }

    # ------------------------------------------------------------------ look-ups

    def _lookups_for(self, bundle: LoadedBundle) -> Any:
        client = self._lookup_clients.get(bundle.hash)
        if client is None:
            from runtime.lookup import LookupClient

            if self._http is None:
                self._http = LookupClient._make_client()
            services = bundle.bindings.get("services") or {}
            service_env = {
                str(key): {str(k): str(v) for k, v in ((spec or {}).get("env") or {}).items()}
                for key, spec in services.items()
            }
            env = dict(os.environ) if self._lookup_env is None else dict(self._lookup_env)
            client = LookupClient(
                env, client=self._http, service_env=service_env, **self._lookup_options
            )
            self._lookup_clients[bundle.hash] = client
        return client

    # ------------------------------------------------------------------ connections

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One FreeSWITCH outbound connection: `connect`, serve, close (as `serve_outbound`
        does, on a listening socket with a deep backlog for bursts of calls)."""
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        esl = AsyncESL(reader, writer, mode="outbound", timeout=self.config.esl_timeout)
        try:
            try:
                await esl.connect(timeout=self.config.connect_timeout)
            except (ESLError, TimeoutError) as exc:
                self.metrics.error("connect")
                log.warning("connect_failed", error=str(exc))
                return
            await self._serve_connection(esl)
        except Exception:
            self.metrics.error("connection")
            log.exception("connection_failed", call_id=esl.channel_uuid)
        finally:
            await esl.close()
            if task is not None:
                self._handlers.discard(task)

    def bundle_for_call(self, bundle: LoadedBundle, data: Any, flow: str) -> LoadedBundle:
        """The bundle a new call runs on (a hook: tests give a call its scenario's flags)."""
        return bundle

    async def _serve_connection(self, esl: AsyncESL) -> None:
        data = esl.channel_data
        if data is None:
            return
        bundle = self.store.current
        uuid = data.uuid or ""
        # After the dialplan's `transfer flowc_try_<N>` the destination number is that
        # extension's name: the DID the caller dialled is in `flowc_did`.
        did = data.variable("flowc_did") or data.get("Caller-Destination-Number")
        if self.rollout is not None:
            bundle = await self._rollout_bundle(data, uuid, did) or bundle
        flow = bundle.flow_for(data.variable("flowc_flow"), did)
        resume_node = data.variable(tr.RESUME_NODE_VAR)
        if resume_node:
            parked = self.host.agents.pop(uuid, None)
            if parked is not None:
                log.info("resume_adopted", call_id=uuid, flow=parked.flow, node=resume_node)
                if await parked.adopt(esl):
                    return
                log.info("resume_too_late", call_id=uuid)
                await _release(esl)
                return
        if flow is None:
            self.metrics.error("no_flow" if flow is None else "draining")
            log.warning(
                "call_refused",
                call_id=uuid,
                reason="no flow for this call" if flow is None else "draining",
                did=did,
                flowc_flow=data.variable("flowc_flow"),
            )
            await _release(esl)
            return
        state: dict[str, Any] | str = {}
        if resume_node:
            state = self.host.resume_keys.open(data.variable(tr.STATE_VAR), uuid, resume_node)
            if isinstance(state, str):
                await self._refuse_resume(esl, bundle, flow, resume_node, state)
                return
        driver = CallDriver(self.host, esl, self.bundle_for_call(bundle, data, flow), flow, data)
        self.drivers.add(driver)
        try:
            if resume_node:
                assert isinstance(state, dict)
                await driver.run_resumed(resume_node, state)
            else:
                await driver.run()
        finally:
            self.drivers.discard(driver)

    async def _rollout_bundle(self, data: Any, uuid: str, did: str | None) -> LoadedBundle | None:
        """The version a call runs on under a rollout: a new call's by the split; a resumed
        call's the one it started on (in its signed state), wherever it started."""
        rollout = self.rollout
        assert rollout is not None
        resume_node = data.variable(tr.RESUME_NODE_VAR)
        if not resume_node:
            return rollout.pick(data.get("Caller-Caller-ID-Number"), did)
        state = self.host.resume_keys.open(data.variable(tr.STATE_VAR), uuid, resume_node)
        if isinstance(state, str) or not isinstance(state.get("bundle"), str):
            return None  # refused later, as without a rollout
        return await rollout.bundle(state["bundle"])

    async def _refuse_resume(
        self, esl: AsyncESL, bundle: LoadedBundle, flow: str, node: str, reason: str
    ) -> None:
        """A resume whose state is not signed by a key of ours (forged, tampered, another
        key): never run the flow from it. Journal it, hang up, release the socket."""
        data = esl.channel_data
        assert data is not None
        uuid = data.uuid or ""
        self.metrics.error("resume_refused")
        log.warning("resume_refused", call_id=uuid, flow=flow, node=node, reason=reason)
        if self.journal is not None:
            from runtime.journal import CallEnd, CallRecord

            now = self.host.clock_factory(data)()
            did = data.variable("flowc_did") or data.get("Caller-Destination-Number", "")
            caller = data.get("Caller-Caller-ID-Number", "")
            version = bundle.versions.get(flow, bundle.hash)
            self.journal.record(
                CallRecord(uuid, flow, version, did, caller, now, self.host.instance)
            )
            detail = {"runtime": "resume_refused", "reason": reason, "resume_node": node}
            self.journal.record(CallEnd(uuid, now, "error", node, detail))
        with contextlib.suppress(Exception):
            async with asyncio.timeout(3.0):
                await esl.command(esl_cmd.sendmsg_hangup(FAULT_CAUSE))
        with contextlib.suppress(Exception):
            await esl.exit(timeout=3.0)


def _reader(obj: object, attr: str) -> Callable[[], float]:
    return lambda: float(getattr(obj, attr, 0) or 0)


async def _release(esl: AsyncESL) -> None:
    """Give the channel back to the dialplan (`resume`, then `exit`)."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(3.0):
            await esl.command(esl_cmd.resume())
    with contextlib.suppress(Exception):
        await esl.exit(timeout=3.0)


FULL_GC_EVERY = 1000  # middle-generation collections between full ones (Python's default: 10)
SWITCH_INTERVAL = 0.0005  # s; Python's default is 0.005


def tune_process() -> None:
    """Keep the interpreter's own pauses out of the event-to-command latency.

    The GIL: the journal's writer thread converts rows in Python; when the event loop wants
    the GIL back it waits up to the switch interval, 5 ms by default. At 0.5 ms the loop
    gets it back ten times sooner (the thread is mostly in SQLite, which releases the GIL).

    Full garbage collections walk every tracked object of every live call: with 1,000 calls
    up one stalls the event loop for 100-200 ms. Calls do not leave reference cycles behind
    (their tasks and the interpreter are released at the end, see
    `CallDriver._drop_tasks`), so the young generations, which stay automatic and cheap,
    reclaim their garbage, and a full collection is needed only rarely: after 1,000
    middle-generation collections instead of 10. The objects of start-up (modules, compiled
    programs) leave the collector's view (`gc.freeze`). Larger young thresholds were
    measured to make the tail worse: fewer but longer pauses."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    rare_full_collections()


def rare_full_collections() -> None:
    """Collect, freeze what is alive now, and run full collections only every
    `FULL_GC_EVERY` middle-generation ones (the young generations stay automatic)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_GC_EVERY)


def fixed_start(start: datetime) -> ClockFactory:
    """A clock for every call that starts at `start` and runs at real speed from there."""

    def factory(_data: Any) -> Callable[[], datetime]:
        t0 = time.monotonic()
        return lambda: start + timedelta(seconds=time.monotonic() - t0)

    return factory


def _journal_label(url: str | None) -> str | None:
    if not url:
        return None
    scheme, _, rest = url.partition("://")
    if "@" in rest:  # never log a password
        rest = rest.split("@", 1)[1]
    return f"{scheme}://{rest}"


def parse_hostport(text: str, default_port: int) -> tuple[str, int]:
    """`127.0.0.1:8084`, `[::1]:8084`, `localhost` -> (host, port)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
        return host, int(port) if port else default_port
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host or "127.0.0.1", int(port)
    if text.count(":") > 1:  # a bare IPv6 address
        return text, default_port
    return text or "127.0.0.1", default_port
