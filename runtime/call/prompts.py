"""Answer, Play and Collect: the prompt and input commands translated into apps (keys, speech)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from runtime import translate as tr
from runtime.call.esl_link import EslLink
from runtime.call.state import consume
from runtime.esl import commands as esl_cmd
from runtime.esl.errors import ESLError
from runtime.esl.message import Event
from runtime.logs import get_logger

if TYPE_CHECKING:
    pass

log = get_logger()


class PromptOps(EslLink):
    """The operations that talk to the caller: answer, play a prompt, collect input."""

    async def _op_answer(self, c: cmd.Answer) -> None:
        if not self._answered:
            await self._exec("answer", "", self.t.answer)
            self._answered = True
        self._answer(ev.Answered(at=self.now()))

    def _ensure_terminators(self, barge_in: bool) -> None:
        wanted = tr.terminators_var(barge_in)
        if self._terminators != wanted:
            self._terminators = wanted
            self._fire_app("set", f"playback_terminators={wanted}")

    def _ensure_tts(self, sets: tuple[str, ...]) -> None:
        """`tts_engine`/`tts_voice` on the channel, which a `say:` prompt needs."""
        if sets and sets != self._tts_sets:
            self._tts_sets = sets
            for arg in sets:
                self._fire_app("set", arg)

    def _refused(self, items: tuple[cmd.PlayItem, ...]) -> None:
        for r in tr.refused_items(items):
            if len(self._refused_says) < 20:
                self._refused_says.append(
                    {"node": self.call.node, "say_as": r.say_as, "length": r.length}
                )
            log.warning(
                "say_value_refused",
                call_id=self.call_id,
                flow=self.flow,
                node=self.call.node,
                say_as=r.say_as,
                length=r.length,
            )

    async def _op_play(self, c: cmd.Play) -> None:
        self._refused(c.items)
        steps = tr.play_steps(c, self.media)
        self._ensure_terminators(c.barge_in)
        keys = len(self._keys)
        for app, arg in steps:
            if c.barge_in and len(self._keys) > keys:
                break  # a key interrupted the prompt: the rest is not played
            await self._exec(app, arg, self.t.app)
        self._answer(ev.PromptDone(at=self.now()))

    async def _op_collect(self, c: cmd.Collect) -> None:
        self._secret_collect = c.sensitive
        self._refused(c.prompt)
        plan = tr.collect_plan(c, self.media)
        arg = plan.arg
        var = tr.input_var(c.var)
        self._ensure_tts(plan.sets)
        if plan.lead:  # parts of a mixed prompt before its last run (see CollectPlan)
            self._ensure_terminators(True)
            keys = len(self._keys)
            for app, lead_arg in plan.lead:
                if len(self._keys) > keys:
                    break
                await self._exec(app, lead_arg, self.t.app)
        keys = len(self._keys)
        limit = (
            c.tries * (c.timeout_ms + plan.max_digits * max(c.digit_timeout_ms, 1000)) / 1000
            + self.t.collect_margin
        )
        if not tr.uses_asr(c, self.media):  # no recogniser bound: a keys-only collect
            complete = await self._exec("play_and_get_digits", arg, limit)
            result: ev.Event = self._digits(c, complete, keys)
        else:
            result = await self._collect_speech(c, arg, limit, keys)
        if c.sensitive:
            self._fire_app("unset", var)
            self._fire_app("unset", f"{var}_invalid")
        self._answer(result)

    def _digits(self, c: cmd.Collect, complete: Event, keys: int) -> ev.Digits:
        return tr.digits_result(
            complete,
            c.var,
            "".join(self._keys[keys:]),
            self.now(),
            min_digits=c.min,
            max_digits=c.max,
            regex=c.regex,
        )

    async def _collect_speech(self, c: cmd.Collect, arg: str, limit: float, keys: int) -> ev.Event:
        speech: asyncio.Queue[Event] = asyncio.Queue()
        began = False

        def on_event(e: Event) -> None:
            nonlocal began
            if e.name == "DETECTED_SPEECH":
                if e.get("Speech-Type") == "begin-speaking":
                    began = True
                speech.put_nowait(e)

        self._listener = on_event
        if not self._asr_events:
            self._asr_events = True
            self._fire_app("set", "fire_asr_events=true")
        self._fire_app("set", f"flowc_asr_keywords={tr.speech_keywords_value(c)}")
        self._fire_app("detect_speech", tr.detect_speech_arg(c, self.media))
        pagd = asyncio.ensure_future(self._exec("play_and_get_digits", arg, limit))
        heard: ev.Event | None = None
        getter: asyncio.Future[Event] | None = None
        try:
            async with asyncio.timeout(limit):
                while heard is None and not pagd.done():
                    getter = asyncio.ensure_future(speech.get())
                    done, _ = await asyncio.wait(
                        {pagd, getter}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if getter in done:
                        heard = tr.speech_result(getter.result(), self.now())
                    else:
                        getter.cancel()
                if heard is not None and not pagd.done():
                    self._fire(esl_cmd.api(f"uuid_break {self.call_id} all"))
                    with contextlib.suppress(TimeoutError, ESLError):
                        async with asyncio.timeout(self.t.speech_grace):
                            await asyncio.shield(pagd)
        finally:
            if getter is not None and not getter.done():
                getter.cancel()
            if not pagd.done():
                pagd.cancel()
            else:
                pagd.add_done_callback(consume)  # the answer may be a hang-up: seen elsewhere
            self._fire_app("detect_speech", "stop")
        if heard is not None:
            return heard
        complete = pagd.result()
        digits = self._digits(c, complete, keys)
        if digits.result == "success" or digits.digits:
            return digits
        if began:  # the caller is talking: give the recogniser a moment to finish
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.t.speech_grace):
                    while heard is None:
                        heard = tr.speech_result(await speech.get(), self.now())
            if heard is not None:
                return heard
        return ev.SpeechNoMatch("no_input", at=self.now())
