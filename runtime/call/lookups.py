"""Fetch: a look-up runs as its own task and answers with FetchResult / FetchFailed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.interpreter.trace import plain
from runtime.call.esl_link import EslLink
from runtime.logs import get_logger

if TYPE_CHECKING:
    pass

log = get_logger()


class LookupOps(EslLink):
    """Look-ups of the flow's services."""

    async def _op_fetch(self, c: cmd.Fetch) -> None:
        from runtime.lookup import LookupOk, LookupRequest

        factory = self.host.lookups
        if factory is None:
            self._mark()
            self._inbox.put_nowait(
                ev.FetchFailed(c.request_id, "error", "no lookup client", at=self.now())
            )
            return
        client = factory(self.bundle)
        # The interpreter evaluates body templates to values (a `now()` is a datetime):
        # JSON has no such types, so they go as text (ISO 8601), as everywhere else.
        body = plain(c.body) if isinstance(c.body, Mapping) else None
        req = LookupRequest(
            service=c.service,
            method=c.method,
            url=c.url,
            headers=dict(c.headers),
            body=body,
            timeout_ms=c.timeout_ms,
            retries=c.retries,
            flow=self.steps.node_flow,
        )
        result = await client.fetch(req)
        self._mark()
        if isinstance(result, LookupOk):
            self.metrics.lookup(c.service, "ok")
            self._inbox.put_nowait(
                ev.FetchResult(c.request_id, result.status, result.body, at=self.now())
            )
        else:
            self.metrics.lookup(c.service, result.reason)
            log.info(
                "lookup_failed",
                call_id=self.call_id,
                flow=self.flow,
                node=self.call.node,
                service=c.service,
                reason=result.reason,
                detail=result.detail,
            )
            self._inbox.put_nowait(
                ev.FetchFailed(c.request_id, result.reason, result.detail, at=self.now())
            )
