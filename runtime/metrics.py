"""Prometheus metrics of one runtime instance, and its loopback HTTP endpoint.

Metrics (all in the instance's own `CollectorRegistry`, so several runtimes can live in one
process, as the scale-out tests do):

| metric                                   | type      | labels          |
|------------------------------------------|-----------|-----------------|
| flowc_calls_active                       | gauge     |                 |
| flowc_calls_total                        | counter   | flow, outcome   |
| flowc_interpreter_steps_total            | counter   | flow            |
| flowc_node_visits_total                  | counter   | flow, node      |
| flowc_event_to_command_seconds           | histogram |                 |
| flowc_errors_total                       | counter   | kind            |
| flowc_lookups_total                      | counter   | service, result |
| flowc_bundle_reloads_total               | counter   | result          |
| flowc_bundle_info                        | gauge     | hash            |
| flowc_draining                           | gauge     |                 |

`flowc_event_to_command_seconds` is the time from the runtime seeing the switch's answer to
a command (an app's completion, a DTMF, a hang-up, a look-up result) to writing the next
command: the interpreter's and the driver's own cost, without the network.

`MetricsServer` serves `GET /metrics` (text format) and `GET /health` (JSON: status, bundle
hash, active calls, draining) with a minimal asyncio HTTP/1.0 responder: no thread, no
framework, bounded request size and time. It binds where it is told; the CLI defaults to
127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

LATENCY_BUCKETS: Final = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    1.0,
)
_MAX_REQUEST: Final = 8192
_REQUEST_TIMEOUT: Final = 5.0


class RuntimeMetrics:
    """The instance's metrics; label children are cached (a label lookup costs microseconds)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.calls_active = Gauge("flowc_calls_active", "Calls being served now.", registry=r)
        self.calls_total = Counter(
            "flowc_calls_total",
            "Calls finished, by flow and outcome.",
            ["flow", "outcome"],
            registry=r,
        )
        self.steps_total = Counter(
            "flowc_interpreter_steps_total",
            "Interpreter steps (trace steps) by flow.",
            ["flow"],
            registry=r,
        )
        self.node_visits = Counter(
            "flowc_node_visits_total",
            "Nodes entered, by flow and node.",
            ["flow", "node"],
            registry=r,
        )
        self.latency = Histogram(
            "flowc_event_to_command_seconds",
            "Time from a switch event to the next command sent for that call.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter("flowc_errors_total", "Errors, by kind.", ["kind"], registry=r)
        self.lookups = Counter(
            "flowc_lookups_total",
            "HTTP look-ups, by service and result.",
            ["service", "result"],
            registry=r,
        )
        self.reloads = Counter(
            "flowc_bundle_reloads_total", "Bundle (re)loads, by result.", ["result"], registry=r
        )
        self.bundle_info = Gauge(
            "flowc_bundle_info", "The bundle being served (value 1).", ["hash"], registry=r
        )
        self.draining = Gauge("flowc_draining", "1 while the instance drains.", registry=r)
        self._steps: dict[str, Any] = {}
        self._nodes: dict[tuple[str, str], Any] = {}
        self._calls: dict[tuple[str, str], Any] = {}
        self._errors: dict[str, Any] = {}
        self._observe = self.latency.observe
        self._current_hash: str | None = None
        # The last latencies, exactly (the histogram's buckets are coarse): benchmarks read
        # percentiles from here. Bounded: 200,000 floats.
        self.latency_samples: deque[float] = deque(maxlen=200_000)

    def steps(self, flow: str, n: int) -> None:
        child = self._steps.get(flow)
        if child is None:
            child = self._steps[flow] = self.steps_total.labels(flow)
        child.inc(n)

    def node(self, flow: str, node: str) -> None:
        key = (flow, node)
        child = self._nodes.get(key)
        if child is None:
            child = self._nodes[key] = self.node_visits.labels(flow, node)
        child.inc()

    def call_ended(self, flow: str, outcome: str) -> None:
        key = (flow, outcome)
        child = self._calls.get(key)
        if child is None:
            child = self._calls[key] = self.calls_total.labels(flow, outcome)
        child.inc()

    def error(self, kind: str) -> None:
        child = self._errors.get(kind)
        if child is None:
            child = self._errors[kind] = self.errors.labels(kind)
        child.inc()

    def observe_latency(self, seconds: float) -> None:
        self._observe(seconds)
        self.latency_samples.append(seconds)

    def lookup(self, service: str, result: str) -> None:
        self.lookups.labels(service, result).inc()

    def bundle_loaded(self, bundle_hash: str) -> None:
        if self._current_hash is not None and self._current_hash != bundle_hash:
            with contextlib.suppress(KeyError):
                self.bundle_info.remove(self._current_hash)
        self._current_hash = bundle_hash
        self.bundle_info.labels(bundle_hash).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """One sample's value (tests and /health)."""
        return self.registry.get_sample_value(name, labels)


class MetricsServer:
    """`GET /metrics` and `GET /health` over HTTP/1.0 on an asyncio server."""

    def __init__(
        self,
        metrics: RuntimeMetrics,
        health: Callable[[], dict[str, Any]],
        host: str = "127.0.0.1",
        port: int = 9464,
    ) -> None:
        self.metrics = metrics
        self.health = health
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_REQUEST_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            writer.close()
            return
        try:
            line = head[: min(len(head), _MAX_REQUEST)].split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split()
            method, path = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
            path = path.split("?", 1)[0]
            if method not in ("GET", "HEAD"):
                status, ctype, body = "405 Method Not Allowed", "text/plain", b"GET only\n"
            elif path == "/metrics":
                status, ctype, body = "200 OK", CONTENT_TYPE_LATEST, self.metrics.render()
            elif path in ("/health", "/healthz"):
                info = self.health()
                ok = info.get("status") == "ok"
                status = "200 OK" if ok else "503 Service Unavailable"
                ctype = "application/json"
                body = (json.dumps(info, sort_keys=True) + "\n").encode()
            else:
                status, ctype, body = "404 Not Found", "text/plain", b"/metrics or /health\n"
            headers = (
                f"HTTP/1.0 {status}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            writer.write(headers + (b"" if method == "HEAD" else body))
            with contextlib.suppress(Exception):
                async with asyncio.timeout(_REQUEST_TIMEOUT):
                    await writer.drain()
        finally:
            writer.close()
