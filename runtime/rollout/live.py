"""What one `flowc serve --rollout` instance does with the shared decision.

Every `poll_s` seconds the instance reads its environment's `deployments` row. When the
revision changed it loads the versions it names (from the store, by hash, once each) and swaps
one `Plan` reference: new calls are split by the new plan, calls already running keep the
`LoadedBundle` they started with. While a canary runs, the instance then judges it on the call
ends of both versions in the rules' window (`rules.decide`) and, when the rules say so, records
the promote or roll-back against the revision it judged (`Board.change`): with several
instances judging at once one change is made, and each serves it after its next read, so a
decision reaches every instance within one polling interval.

Before the first `flowc deploy` there is no row: the instance serves the bundle folder it was
started with, as without `--rollout`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flowc.model.rollout import RolloutRules, parse_rollout
from runtime.bundle_store import BundleError, LoadedBundle, bundle_from_bytes, in_daemon_thread
from runtime.journal import Journal
from runtime.logs import get_logger
from runtime.rollout.board import Board, Deployment
from runtime.rollout.rules import Decision, decide
from runtime.rollout.split import takes_canary

log = get_logger()

DEFAULT_POLL_S = 2.0
MAX_CACHED = 8  # versions kept loaded (stable, canary, and those resumed calls still need)


def rules_of(bundle: LoadedBundle) -> RolloutRules | str:
    """The `rollout:` rules of a bundle's bindings, or why there are none to apply."""
    raw = bundle.bindings.get("rollout")
    if raw is None:
        return "no `rollout:` rules in the bindings: promote or roll back by hand"
    parsed = parse_rollout(raw)
    if isinstance(parsed, list):
        return "; ".join(message for _, message, _ in parsed)
    return parsed


@dataclass(frozen=True)
class Plan:
    """One revision of the decision, with its versions loaded."""

    deployment: Deployment
    stable: LoadedBundle
    canary: LoadedBundle | None

    def pick(self, caller: str | None, did: str | None) -> LoadedBundle:
        d = self.deployment
        if self.canary is not None and takes_canary(
            self.canary.hash, d.share_bp, caller, did, d.callers, d.dids
        ):
            return self.canary
        return self.stable


class Rollout:
    """The decision as this instance serves it; see the module docstring."""

    def __init__(
        self, journal: Journal, env: str, max_bytes: int, poll_s: float = DEFAULT_POLL_S
    ) -> None:
        self.board = Board(journal)
        self.env = env
        self.max_bytes = max_bytes
        self.poll_s = poll_s
        self.plan: Plan | None = None
        self.last_decision: Decision | None = None
        self._cache: dict[str, LoadedBundle] = {}
        self._task: asyncio.Task[None] | None = None

    # ---- versions ------------------------------------------------------------------------
    async def bundle(self, bundle_hash: str) -> LoadedBundle | None:
        """The version `bundle_hash` for this environment (loaded once); None when the store
        has no such version or it cannot be served here (logged)."""
        cached = self._cache.get(bundle_hash)
        if cached is not None:
            return cached
        body = await self.board.bundle_body(bundle_hash)
        if body is None:
            log.error("rollout_bundle_missing", bundle=bundle_hash)
            return None
        if len(body) > self.max_bytes:
            log.error("rollout_bundle_too_large", bundle=bundle_hash, bytes=len(body))
            return None
        label = Path(f"<deployed {bundle_hash[:12]}>")
        try:
            bundle = await in_daemon_thread(bundle_from_bytes, body, label, self.env or None)
        except BundleError as exc:
            log.error("rollout_bundle_rejected", bundle=bundle_hash, error=str(exc))
            return None
        if bundle.hash != bundle_hash:
            log.error("rollout_bundle_hash_mismatch", bundle=bundle_hash, found=bundle.hash)
            return None
        self._remember(bundle)
        return bundle

    def _remember(self, bundle: LoadedBundle) -> None:
        self._cache[bundle.hash] = bundle
        keep = set()
        if self.plan is not None:
            keep = {self.plan.stable.hash} | (
                {self.plan.canary.hash} if self.plan.canary else set()
            )
        while len(self._cache) > MAX_CACHED:
            old = next((h for h in self._cache if h not in keep and h != bundle.hash), None)
            if old is None:
                break
            del self._cache[old]

    def pick(self, caller: str | None, did: str | None) -> LoadedBundle | None:
        """The version a new call gets; None: no deployment yet (serve the bundle folder)."""
        plan = self.plan
        return None if plan is None else plan.pick(caller, did)

    def health(self) -> dict[str, object]:
        """What /health says of the rollout on this instance."""
        plan = self.plan
        if plan is None:
            return {"revision": None}
        d = plan.deployment
        return {
            "revision": d.revision,
            "state": d.state,
            "stable": plan.stable.hash,
            "canary": plan.canary.hash if plan.canary else None,
            "share_bp": d.share_bp,
            "last_decision": (
                None
                if self.last_decision is None
                else {"action": self.last_decision.action, "reason": self.last_decision.reason}
            ),
        }

    # ---- the loop ------------------------------------------------------------------------
    async def refresh(self) -> Plan | None:
        """Read the decision; load and serve it when its revision changed."""
        d = await self.board.read(self.env)
        if d is None:
            return self.plan
        if self.plan is not None and self.plan.deployment.revision == d.revision:
            return self.plan
        stable = await self.bundle(d.stable)
        if stable is None:
            return self.plan  # keep serving what we have; logged
        canary = await self.bundle(d.canary) if d.canary is not None else None
        previous = self.plan
        self.plan = Plan(d, stable, canary)
        log.info(
            "rollout_plan",
            env=self.env,
            revision=d.revision,
            state=d.state,
            stable=d.stable,
            canary=d.canary,
            share_bp=d.share_bp,
            previous=previous.deployment.revision if previous else None,
        )
        return self.plan

    async def judge(self, now: datetime | None = None) -> Decision | None:
        """Judge the running canary by its rules; make the change they call for. None: no
        canary, or no rules to judge it by."""
        plan = self.plan
        if plan is None or plan.canary is None or plan.deployment.state != "canary":
            return None
        rules = rules_of(plan.canary)
        if isinstance(rules, str):
            return None
        d = plan.deployment
        now = now or datetime.now(UTC)
        started = d.canary_since or now
        since = max(started, now - timedelta(seconds=rules.window_s))
        stable_out, canary_out = await self.board.compare(since, plan.stable.hash, plan.canary.hash)
        decision = decide(rules, stable_out, canary_out, (now - started).total_seconds())
        self.last_decision = decision
        if decision.action == "hold":
            return decision
        note = f"automatic: {decision.reason}"
        if decision.action == "promote":
            changed = await self.board.change(
                d, "promote", stable=plan.canary.hash, canary=None, note=note
            )
        else:
            changed = await self.board.change(
                d, "rollback", stable=plan.stable.hash, canary=None, note=note
            )
        log.warning(
            "rollout_" + decision.action,
            env=self.env,
            canary=plan.canary.hash,
            reason=decision.reason,
            stable=stable_out.summary(),
            canary_outcomes=canary_out.summary(),
            made_here=changed is not None,
        )
        await self.refresh()
        return decision

    async def step(self) -> None:
        await self.refresh()
        await self.judge()

    async def run(self) -> None:
        """Poll and judge until cancelled; a failing database is logged and tried again."""
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("rollout_poll_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.poll_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="rollout")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
