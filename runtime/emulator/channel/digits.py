"""The caller's keys: the scripted inputs, the timed key queue (``keys_at`` / ``live_keys``),
DTMF events, and the apps that collect digits (``play_and_get_digits``, ``read``:
``switch_ivr_read`` / ``switch_ivr_collect_digits_count``)."""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..fsutil import atoi, regex_match, separate_string
from ..profile import Unrecorded
from ..wire import Headers
from .base import AppGen, Wait

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["DigitCollector", "KeyQueue"]


@dataclass
class KeyQueue:
    """The caller's keys: ``inputs`` (one per input step), ``queue`` (timed keys as (virtual
    time, digit), in arrival order) and whether a collect is reading the queue now."""

    inputs: deque[str] = field(default_factory=deque)
    queue: deque[tuple[float, str]] = field(default_factory=deque)
    collecting: bool = False


class DigitCollector:
    """Keys and digit collection on channel ``ch``."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch
        script = ch.script
        self.keys = KeyQueue(deque(script.inputs), deque(sorted(script.keys_at)))

    def next_input(self) -> str:
        return self.keys.inputs.popleft() if self.keys.inputs else "silence"

    def dtmf(self, digit: str, *, duration: int | None = None) -> None:
        self.ch.digits_dialed += digit
        post: Headers = [
            ("DTMF-Digit", digit),
            ("DTMF-Duration", str(self.ch.script.dtmf_duration if duration is None else duration)),
            ("DTMF-Source", self.ch.script.dtmf_source),
        ]
        self.ch.events.fire("DTMF", self.ch.events.event("DTMF", with_vars=False, post=post))

    def key_arrives(self) -> None:
        """A ``CallerScript.keys_at`` key reaches the switch (see there)."""
        if self.keys.collecting or self.ch.hung_up or self.ch._done:
            return  # the running collect reads the queue itself
        while self.keys.queue and self.keys.queue[0][0] <= self.ch.now:
            if self.ch.xfer.loopback is not None:
                raise Unrecorded("a caller's key during a loopback bridge (T11 has none)")
            if self.ch._bridged:
                # talking to an agent: the key's DTMF event, then it goes to the other leg
                # (T12 conn 23, DTMF at 3.053 and 5.060 s after CHANNEL_BRIDGE)
                _, digit = self.keys.queue.popleft()
                self.dtmf(digit)
            elif self.ch.private.running_app == "callcenter" and self.ch.engine.waiting == "sleep":
                _, digit = self.keys.queue.popleft()
                self.ch.engine.cut_sleep("cdtmf:" + digit, ("moh",))
            elif self.ch.conns.parked and not self.ch.private.msgs:
                self.drop_queued_keys()
            else:
                return  # queued for the next collect, or the park loop after this app

    def drop_queued_keys(self) -> None:
        """The park loop dequeues the keys nobody read: each fires its DTMF event and is
        dropped (T07 line 101, after the failing re-prompt)."""
        while self.keys.queue and self.keys.queue[0][0] <= self.ch.now:
            _, digit = self.keys.queue.popleft()
            self.dtmf(digit)

    def ivr_read(
        self,
        min_digits: int,
        max_digits: int,
        prompt: str | None,
        var_name: str | None,
        timeout_ms: int,
        terminators: str | None,
        digit_timeout_ms: int,
    ) -> Generator[Wait, str, tuple[str, str]]:
        """``switch_ivr_read`` for one try; returns (status, digits)."""
        ch = self.ch
        if not digit_timeout_ms:
            digit_timeout_ms = timeout_ms
        max_digits = max(max_digits, min_digits)
        ch.vars.delete("read_result")
        if var_name:
            ch.vars.delete(var_name)
        yield from ch.life.pre_answer()
        plan = self._key_plan(prompt)
        buffer, status = "", "success"
        if prompt and prompt.lower() != "silence":
            status, buffer = yield from self._prompt(prompt, plan)
        if status == "failure":  # the prompt failed: no collect, no read_result
            return self._done(status, buffer, max_digits, var_name, terminators)
        invalid_prompt = status == "invalid_prompt"
        terminator = ""
        if (min_digits and len(buffer) < min_digits) or len(buffer) < max_digits:
            status, digits, terminator = yield from self._collect(
                plan, max_digits, len(buffer), terminators or "", timeout_ms, digit_timeout_ms
            )
            buffer += digits
        status, buffer = self._terminated(status, buffer, terminator, terminators, min_digits)
        if invalid_prompt:
            status = "failure"
        result = {"success": "success", "timeout": "timeout"}.get(status, "failure")
        ch.vars.set("read_result", result)
        return self._done(status, buffer, max_digits, var_name, terminators)

    def _key_plan(self, prompt: str | None) -> deque[tuple[float, str]]:
        """The keys this try will read, as (virtual time, digit): the script's next input
        typed after ``digit_delay``, or the channel's timed key queue itself."""
        ch = self.ch
        start = ch.now
        has_prompt = bool(prompt) and prompt is not None and prompt.lower() != "silence"
        opened = ch.player.open_file(prompt) if has_prompt and prompt is not None else "ok"
        # A prompt that cannot be opened ends the try before the caller is listened to (T01
        # line 283), so it takes none of the scripted inputs.
        timed = bool(ch.script.keys_at) or ch.script.live_keys
        self.keys.collecting = timed
        inp = self.next_input() if opened != "notfound" and not timed else "silence"
        if opened == "invalid_args" and inp not in ("silence", ""):
            raise Unrecorded("keys during a collect whose say: prompt failed (T01a has none)")
        if inp.startswith("speech:"):
            # The callers of every capture sent keys only (SIPp, no audio), and no capture has
            # a loaded ASR module: what a collect does with a caller's words is not recorded.
            raise Unrecorded(
                f"caller speech {inp[len('speech:') :][:40]!r} during a collect: no capture "
                "has a caller speaking or a speech recogniser"
            )
        # timed keys: the collect reads the channel's key queue itself (what is left stays)
        plan: deque[tuple[float, str]] = self.keys.queue if timed else deque()
        if opened == "notfound":
            plan = deque()
        if inp == "hangup":
            ch.life.caller_hangup_at(start + ch.script.hangup_delay)
        elif inp not in ("silence", ""):
            t = start + ch.script.digit_delay
            for d in inp:
                plan.append((t, d))
                t += ch.script.inter_digit
        return plan

    def _prompt(
        self, prompt: str, plan: deque[tuple[float, str]]
    ) -> Generator[Wait, str, tuple[str, str]]:
        """The prompt, cut by the first key: (status, buffer); ``failure``: no collect."""
        first_at = plan[0][0] if plan else None
        played = yield from self.ch.player.play(prompt, break_at=first_at)
        if played == "break":
            _, d = plan.popleft()
            self.dtmf(d)
            return "success", d
        if played == "invalid_args":
            # T01a lines 255-257: "Invalid Args", then the collect runs to its timeout
            # and read_result is failure
            return "invalid_prompt", ""
        if played not in ("ok", "stopped"):  # a stopped prompt: digits are collected
            return "failure", ""
        return "success", ""

    def _terminated(
        self, status: str, buffer: str, terminator: str, terminators: str | None, min_digits: int
    ) -> tuple[str, str]:
        """The terminator's effect (``+``/``x`` keep it, ``x`` restarts, ``=`` requires it)."""
        if terminator:
            self.ch.vars.set("read_terminator_used", terminator)
            terms = terminators or ""
            p = terms.find(terminator)
            if p >= 1 and terms[p - 1] in "+x":
                buffer += terminator
                if terms[p - 1] == "x":
                    status = "restart"
        elif terminators is not None and terminators.startswith("="):
            status = "too_small"
        if min_digits and len(buffer) < min_digits:
            status = "too_small"
        return status, buffer

    def _done(
        self,
        status: str,
        buffer: str,
        max_digits: int,
        var_name: str | None,
        terminators: str | None,
    ) -> tuple[str, str]:
        if (
            status != "restart"
            and max_digits == 1
            and len(buffer) == 1
            and terminators
            and buffer in terminators
        ):
            buffer = ""
        if var_name and buffer:
            self.ch.vars.set(var_name, buffer)
        self.keys.collecting = False
        return status, buffer

    def _collect(
        self,
        plan: deque[tuple[float, str]],
        max_digits: int,
        have: int,
        terminators: str,
        timeout_ms: int,
        digit_timeout_ms: int,
    ) -> Generator[Wait, str, tuple[str, str, str]]:
        """``switch_ivr_collect_digits_count``: (status, digits, terminator)."""
        digits = ""
        timeout = (digit_timeout_ms if have else timeout_ms) / 1000.0
        last = self.ch.now
        while True:
            if self.ch.hung_up:
                return "failure", digits, ""
            deadline = last + timeout
            if plan and plan[0][0] <= deadline:
                at, d = plan.popleft()
                r = yield from self.ch.engine.sleep(max(0.0, at - self.ch.now))
                if r == "hangup":
                    return "failure", digits, ""
                self.dtmf(d)
                last = self.ch.now
                timeout = digit_timeout_ms / 1000.0
                if d in terminators:
                    return "success", digits, d
                digits += d
                if have + len(digits) >= max_digits:
                    return "success", digits, ""
                continue
            r = yield from self.ch.engine.sleep(max(0.0, deadline - self.ch.now))
            if r == "hangup":
                return "failure", digits, ""
            if plan is not self.keys.queue:
                plan.clear()
            return "timeout", digits, ""

    def app_pagd(self, arg: str) -> AppGen:
        argv = separate_string(arg, 11) if arg else []
        if not argv:
            return

        def at(i: int) -> str | None:
            return argv[i] if len(argv) > i else None

        min_digits = max(0, atoi(at(0)))
        max_digits = atoi(at(1))
        max_tries = max(1, atoi(at(2)))
        timeout = atoi(at(3)) if at(3) is not None else 1000
        timeout = max(timeout, 1000)
        terminators = at(4) or "#"
        prompt, bad_prompt, var_name, regex = at(5), at(6), at(7), at(8)
        digit_timeout = atoi(at(9))
        fail_ext = at(10)
        max_digits = min(max(max_digits, min_digits), 127)
        if regex and var_name:
            self.ch.vars.delete(var_name + "_invalid")
        tries = max_tries
        while not self.ch.hung_up and tries:
            status, buffer = yield from self.ivr_read(
                min_digits, max_digits, prompt, var_name, timeout, terminators, digit_timeout
            )
            if status == "restart":
                return
            if status == "timeout" and len(buffer) >= min_digits:
                status = "success"
            if min_digits == 0 and not buffer and "read_terminator_used" in self.ch.vars:
                return
            if status == "success" and buffer:
                if not regex or regex_match(buffer, regex):
                    return
                if var_name:
                    self.ch.vars.delete(var_name)
                    self.ch.vars.set(var_name + "_invalid", buffer)
            if self.ch.hung_up:
                break
            if bad_prompt:
                yield from self.ch.player.play(bad_prompt)
            tries -= 1
        if fail_ext and not self.ch.hung_up:
            target = separate_string(fail_ext, 4)
            if target:
                ext = target[0]
                dialplan = target[1] if len(target) > 1 else None
                context = target[2] if len(target) > 2 else None
                self.ch.xfer.session_transfer(ext, dialplan, context)

    def app_read(self, arg: str) -> AppGen:
        argv = separate_string(arg, 7) if arg else []

        def at(i: int) -> str | None:
            return argv[i] if len(argv) > i else None

        min_digits = max(0, atoi(at(0)))
        max_digits = atoi(at(1))
        timeout = max(atoi(at(4)) or 1000, 1000)
        terminators = at(5) or "#"
        digit_timeout = atoi(at(6))
        yield from self.ivr_read(
            min_digits, max_digits, at(2), at(3), timeout, terminators, digit_timeout
        )
