"""The emulator's XML dialplan: the hunt as mod_dialplan_xml does it, the decisions of the
dialplan `flowc compile --target freeswitch` writes, and calls that run it (a socket action
per instance, `uuid_setvar` read back by the dialplan, a refusal that goes on to the next)."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from flowc.compiler.freeswitch import dialplan as generate
from runtime.emulator import (
    CallerScript,
    CallSpec,
    Channel,
    Dialplan,
    DialplanError,
    QueueOutcome,
    call_through_dialplan,
    dial,
    place_call,
)
from runtime.emulator.dialplan import substitute
from runtime.esl import commands as esl_cmd
from runtime.esl import serve_outbound
from tests.emulator.emu_support import AppLog, ivr_app


def run(coro: Awaitable[Any], limit: float = 30.0) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(limit):
            return await coro

    return asyncio.run(bounded())


def parse(contexts: str) -> Dialplan:
    return Dialplan.parse(f"<include>{contexts}</include>")


def hunt(
    dp: Dialplan,
    destination: str,
    variables: Mapping[str, str] | None = None,
    context: str = "flowc",
    profile: Mapping[str, str] | None = None,
) -> tuple[str | None, list[tuple[str, str]]]:
    fields = {"destination_number": destination, "context": context, **(profile or {})}
    values = dict(variables or {})

    def variable(name: str) -> str | None:
        return values.get(name) or fields.get(name)

    found = dp.hunt(context, destination, fields.get, variable)
    return found.extension, [(a.app, a.data) for a in found.actions]


# -- the hunt ---------------------------------------------------------------------------------

ROUTES = """
<context name="flowc">
  <extension name="vip">
    <condition field="destination_number" expression="^next$"/>
    <condition field="${tier}" expression="^gold$">
      <action application="log" data="INFO gold"/>
    </condition>
  </extension>
  <extension name="rest">
    <condition field="destination_number" expression="^next$">
      <action application="hangup" data="NORMAL_CLEARING"/>
    </condition>
  </extension>
</context>
"""


def test_a_condition_on_a_variable_is_read_when_the_extension_is_hunted() -> None:
    dp = parse(ROUTES)
    assert hunt(dp, "next", {"tier": "gold"}) == ("vip", [("log", "INFO gold")])
    assert hunt(dp, "next", {"tier": "silver"}) == ("rest", [("hangup", "NORMAL_CLEARING")])
    assert hunt(dp, "next") == ("rest", [("hangup", "NORMAL_CLEARING")])
    assert hunt(dp, "elsewhere", {"tier": "gold"}) == (None, [])  # no route


def test_captures_are_substituted_at_hunt_time_variables_when_the_app_runs() -> None:
    dp = parse(
        """<context name="flowc"><extension name="x">
        <condition field="destination_number" expression="^after_(\\w+)_(\\d)$">
          <action application="set" data="node=$1"/>
          <action application="log" data="INFO ${node} ${1} $2 $9 $x ${"/>
        </condition></extension></context>"""
    )
    name, actions = hunt(dp, "after_survey_7")
    assert name == "x"
    # $1/${1}/$2 are groups, $9 a group that does not exist; ${node} and any other $ stay
    assert actions == [("set", "node=survey"), ("log", "INFO ${node} survey 7  $x ${")]


def test_actions_of_a_passing_condition_stay_when_a_later_one_fails() -> None:
    # FreeSWITCH's caller extension keeps them, and the hunt goes on to the next extension:
    # why every generated extension carries its actions on its last condition only.
    dp = parse(
        """<context name="flowc">
        <extension name="first">
          <condition field="destination_number" expression="^next$">
            <action application="set" data="early=1"/>
          </condition>
          <condition field="${flag}" expression="^on$">
            <action application="set" data="late=1"/>
          </condition>
        </extension>
        <extension name="second">
          <condition field="destination_number" expression="^next$">
            <action application="hangup" data="USER_BUSY"/>
          </condition>
        </extension></context>"""
    )
    assert hunt(dp, "next", {"flag": "on"}) == ("first", [("set", "early=1"), ("set", "late=1")])
    assert hunt(dp, "next") == ("first", [("set", "early=1"), ("hangup", "USER_BUSY")])


def test_anti_actions_break_and_continue() -> None:
    dp = parse(
        """<context name="flowc">
        <extension name="tag" continue="true">
          <condition field="destination_number" expression="^9">
            <action application="set" data="nine=yes"/>
            <anti-action application="set" data="nine=no"/>
          </condition>
        </extension>
        <extension name="both">
          <condition field="caller_id_number" expression="^\\+86" break="never">
            <action application="set" data="china=yes"/>
          </condition>
          <condition>
            <action application="answer"/>
          </condition>
        </extension></context>"""
    )
    assert hunt(dp, "900", profile={"caller_id_number": "+8613800000000"}) == (
        "tag",
        [("set", "nine=yes"), ("set", "china=yes"), ("answer", "")],
    )
    # the anti-action counts as a match, continue="true" goes on; break="never" too
    assert hunt(dp, "100", profile={"caller_id_number": "+1555"}) == (
        "tag",
        [("set", "nine=no"), ("answer", "")],
    )


def test_the_global_context_answers_for_an_unknown_context() -> None:
    dp = parse(
        """<context name="global"><extension name="g">
        <condition field="destination_number" expression="^(.*)$">
          <action application="log" data="INFO $1"/>
        </condition></extension></context>"""
    )
    assert hunt(dp, "5000", context="nowhere") == ("g", [("log", "INFO 5000")])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("n=$1", "n=ab"),
        ("n=${1}x", "n=abx"),
        ("n=${var}", "n=${var}"),
        ("$0|$2|$3|$10", "ab1||1|"),  # $2 took no part, there is no $10
        ("cost $", "cost $"),
        ("${1", "1"),  # switch_perform_substitution drops `${` without its `}`
    ],
)
def test_substitute(data: str, expected: str) -> None:
    match = re.search(r"^([a-z]+)(x)?(\d)", "ab1")
    assert match is not None
    assert substitute(data, match) == expected


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<include><context name='c'><extension name='e'><condition field='a' "
         "expression='b'><condition field='c' expression='d'/></condition></extension>"
         "</context></include>", "<condition> in a condition"),
        ("<include><context name='c'><extension name='e'><condition field='a' expression='b'>"
         "<action application='set' data='x=1' inline='true'/></condition></extension>"
         "</context></include>", "inline"),
        ("<include><context name='c'><extension name='e'><condition wday='1-5'>"
         "<action application='answer'/></condition></extension></context></include>", "wday"),
        ("<include><context name='c'><extension name='e'><condition regex='any'>"
         "<regex field='a' expression='b'/></condition></extension></context></include>",
         "regex"),
        ("<include><X-PRE-PROCESS cmd='include' data='x.xml'/></include>", "pre-processor"),
        ("<include>", "not XML"),
        ("<include/>", "no <context>"),
    ],
)  # fmt: skip
def test_what_is_not_modelled_is_refused(xml: str, message: str) -> None:
    with pytest.raises(DialplanError, match=re.escape(message)):
        Dialplan.parse(xml)


def test_a_dialplan_folder_joins_included_extensions_to_their_context(tmp_path: Path) -> None:
    """The generated layout: `*.xml` hold contexts (freeswitch.xml includes
    `dialplan/*.xml`), `public/*.xml` extensions the stock public context includes."""
    (tmp_path / "public").mkdir()
    (tmp_path / "flowc.xml").write_text(
        '<include><context name="flowc"><extension name="t"><condition field="destination_number"'
        ' expression="^t$"><action application="hangup"/></condition></extension>'
        "</context></include>",
        encoding="utf-8",
    )
    for name, did in [("b.xml", "5001"), ("a.xml", "5000")]:
        (tmp_path / "public" / name).write_text(
            f'<include><extension name="{name}"><condition field="destination_number" '
            f'expression="^{did}$"><action application="answer"/></condition></extension>'
            "</include>",
            encoding="utf-8",
        )
    dp = Dialplan.load(tmp_path)
    assert [e.name for e in dp.contexts["public"]] == ["a.xml", "b.xml"]  # glob order
    assert hunt(dp, "5001", context="public") == ("b.xml", [("answer", "")])
    assert dp.applications() == {"hangup", "answer"}
    (tmp_path / "public" / "c.xml").write_text('<context name="public"/>', encoding="utf-8")
    with pytest.raises(DialplanError, match=re.escape("c.xml: an included file is an <include>")):
        Dialplan.load(tmp_path)


def test_an_application_the_emulator_does_not_run_is_refused_before_the_call() -> None:
    dp = parse(
        """<context name="public"><extension name="x">
        <condition field="destination_number" expression="^5000$">
          <action application="lua" data="route.lua"/>
        </condition></extension></context>"""
    )
    with pytest.raises(DialplanError, match="does not run: lua"):
        Channel(CallSpec(did="5000", script=CallerScript(dialplan=dp)))


# -- the generated dialplan's decisions --------------------------------------------------------

BINDINGS: dict[str, Any] = {
    "environment": "prod",
    "runtime": ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"],
    "fallback": "callcenter:operators@default",
    "flows": {"care": {"dids": ["5000"]}},
}
FALLBACK = [
    ("log", "WARNING flowc: no runtime took the call: falling back"),
    ("callcenter", "operators@default"),
]


def generated(bindings: Mapping[str, Any] = BINDINGS) -> Dialplan:
    return Dialplan.parse(ET.tostring(generate(dict(bindings)), encoding="unicode"))


@pytest.mark.parametrize(
    ("variables", "extension", "actions"),
    [
        # (d) refused or unreachable: the next instance, in order
        ({"flowc_try": "1"}, "flowc_next_2", [("transfer", "flowc_try_2 XML flowc")]),
        ({"flowc_try": "2"}, "flowc_next_3", [("transfer", "flowc_try_3 XML flowc")]),
        # (e) the last one too: the fallback
        ({"flowc_try": "3"}, "flowc_fallback", FALLBACK),
        # (a) an agent talked to the caller, the flow goes on at the queue's `after`
        (
            {"flowc_try": "2", "flowc_served": "B", "flowc_resume": "survey",
             "cc_queue_answered_epoch": "1767225600"},
            "flowc_resume",
            [("set", "flowc_resume_node=survey"), ("unset", "flowc_resume"),
             ("unset", "flowc_served"), ("transfer", "flowc_try_1 XML flowc")],
        ),
        # (b) an agent talked to the caller and the flow has nothing after
        (
            {"flowc_try": "1", "flowc_served": "A", "cc_queue_answered_epoch": "1767225600"},
            "flowc_agent_done",
            [("hangup", "NORMAL_CLEARING")],
        ),
        # (c) a runtime took the call and lost it
        (
            {"flowc_try": "1", "flowc_served": "A"},
            "flowc_lost",
            [("log", "WARNING flowc: runtime ${flowc_served} lost the call: falling back"),
             ("callcenter", "operators@default")],
        ),
        # the resume socket fails over like a new call ...
        ({"flowc_try": "1", "flowc_resume_node": "survey"}, "flowc_next_2",
         [("transfer", "flowc_try_2 XML flowc")]),
        # ... and when no instance takes it the caller, who had an agent, is hung up
        (
            {"flowc_try": "3", "flowc_resume_node": "survey",
             "cc_queue_answered_epoch": "1767225600"},
            "flowc_resume_lost",
            [("log", "WARNING flowc: no runtime for the call after the agent: hanging up"),
             ("hangup", "NORMAL_CLEARING")],
        ),
    ],
)  # fmt: skip
def test_flowc_next_decides_from_the_channel_variables(
    variables: dict[str, str], extension: str, actions: list[tuple[str, str]]
) -> None:
    assert hunt(generated(), "flowc_next", variables) == (extension, actions)


def test_the_public_extension_and_each_try() -> None:
    dp = generated()
    assert hunt(dp, "5000", context="public") == (
        "flowc_care",
        [
            ("set", "flowc_flow=care"),
            ("set", "flowc_did=${destination_number}"),
            ("set", "flowc_env=prod"),
            ("answer", ""),
            ("transfer", "flowc_try_1 XML flowc"),
        ],
    )
    for n in (1, 2, 3):
        assert hunt(dp, f"flowc_try_{n}", {"flowc_try": "1"}) == (
            f"flowc_try_{n}",
            [
                ("set", f"flowc_try={n}"),
                ("socket", f"127.0.0.1:{n} async full"),
                ("transfer", "flowc_next XML flowc"),
            ],
        )


# -- calls through the generated dialplan --------------------------------------------------------


def lost_app(served: str) -> Callable[..., Awaitable[None]]:
    """Takes the call (marks it served as the runtime does), then lets it go back to the
    dialplan without finishing it."""

    async def handler(esl: Any) -> None:
        await esl.command(esl_cmd.myevents("json"), timeout=5)
        await esl.api(f"uuid_setvar {esl.channel_uuid} flowc_served {served}", timeout=5)
        await esl.command(esl_cmd.resume(), timeout=5)
        await esl.exit(timeout=5)

    return handler


async def refusing_app(esl: Any) -> None:
    """What the runtime does with a call it does not take (`runtime.server._release`)."""
    await esl.command(esl_cmd.resume(), timeout=5)
    await esl.exit(timeout=5)


async def serve_all(
    handlers: list[Callable[..., Awaitable[None]]], body: Callable[[list[int]], Awaitable[Any]]
) -> Any:
    servers = [
        await serve_outbound(h, "127.0.0.1", 0, connect_timeout=5, timeout=10) for h in handlers
    ]
    try:
        return await body([s.sockets[0].getsockname()[1] for s in servers])
    finally:
        for s in servers:
            s.close()
            await s.wait_closed()


def bindings_for(ports: list[int], fallback: str | None = "callcenter:operators@default") -> Any:
    return {
        **BINDINGS,
        "runtime": [f"127.0.0.1:{p}" for p in ports],
        "fallback": fallback,
    }


def test_a_refused_call_goes_to_the_next_instance_and_is_served_there() -> None:
    log = AppLog()

    async def body(ports: list[int]) -> Any:
        spec = CallSpec(did="5000", script=CallerScript(inputs=["42#"], dialplan=None))
        return await call_through_dialplan(
            generated(bindings_for(ports)), "5000", call=spec, timeout=10, time_scale=0
        )

    rec = run(serve_all([refusing_app, ivr_app(log)], body))
    assert [s.outcome for s in rec.sockets] == ["connected", "connected"]
    assert log.results == [("success", "42", False)]
    assert [r[2] for r in rec.routes] == [
        "flowc_care", "flowc_try_1", "flowc_next_2", "flowc_try_2"
    ]  # fmt: skip
    assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING"
    assert ("set", "flowc_did=5000") in rec.apps  # ${destination_number}: the profile field


def test_the_variable_the_application_sets_is_what_the_dialplan_reads() -> None:
    async def body(ports: list[int]) -> Any:
        spec = CallSpec(script=CallerScript(default_queue=QueueOutcome(talk_time=0.5)))
        return await call_through_dialplan(
            generated(bindings_for(ports)), "5000", call=spec, timeout=10, time_scale=0
        )

    # instance 1 takes the call (uuid_setvar flowc_served) and loses it: the fallback, not
    # instance 2
    rec = run(serve_all([lost_app("A"), ivr_app(AppLog())], body))
    assert [s.outcome for s in rec.sockets] == ["connected"]
    assert [r[2] for r in rec.routes][-1] == "flowc_lost"
    assert rec.apps[-2:] == [
        ("log", "WARNING flowc: runtime A lost the call: falling back"),
        ("callcenter", "operators@default"),
    ]
    assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING"  # after the operator


def test_no_instance_reachable_the_fallback_or_a_hang_up_without_one() -> None:
    async def body(ports: list[int]) -> Any:
        dead = []
        for _ in range(2):
            server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
            dead.append(server.sockets[0].getsockname()[1])
            server.close()
            await server.wait_closed()
        with_fallback = await call_through_dialplan(
            generated(bindings_for(dead)), "5000", timeout=10, time_scale=0
        )
        without = await call_through_dialplan(
            generated(bindings_for(dead, fallback=None)), "5000", timeout=10, time_scale=0
        )
        return with_fallback, without

    with_fallback, without = run(serve_all([], body))
    for rec in (with_fallback, without):
        assert [s.outcome for s in rec.sockets] == ["refused", "refused"]
        assert rec.ok and not rec.connected and rec.closed_by == "switch"
        assert rec.routes[-1][2] == "flowc_fallback"
    assert ("callcenter", "operators@default") in with_fallback.apps
    assert with_fallback.hangup_cause == "NORMAL_CLEARING"
    assert without.apps[-1] == ("hangup", "NORMAL_TEMPORARY_FAILURE")
    assert without.hangup_cause == "NORMAL_TEMPORARY_FAILURE"


def test_a_call_with_a_dialplan_is_placed_not_dialled() -> None:
    spec = CallSpec(script=CallerScript(dialplan=generated()))
    with pytest.raises(ValueError, match="use place_call"):
        run(dial("127.0.0.1", 1, call=spec))
    rec = run(place_call(CallSpec(did="nowhere", script=CallerScript(dialplan=generated()))))
    assert rec.routes == [("public", "nowhere", None)]
    assert rec.hangup_cause == "NO_ROUTE_DESTINATION" and rec.sockets == []


def test_a_connection_the_application_never_uses_is_its_fault() -> None:
    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def body() -> Any:
        server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            return await call_through_dialplan(
                generated(bindings_for([port])), "5000", timeout=10, time_scale=0
            )
        finally:
            server.close()
            await server.wait_closed()

    rec = run(body())
    assert [s.outcome for s in rec.sockets] == ["connected"]
    # the socket closed: the dialplan goes on after the socket action (Qb lines 27, 215,
    # 232), here to the fallback since no runtime took the call
    assert rec.routes[-1][2] == "flowc_fallback"  # its callcenter:operators queue
    assert not rec.ok and rec.error == "the application never sent connect"


def test_a_dialplan_that_transfers_in_a_loop_ends() -> None:
    dp = parse(
        """<context name="public"><extension name="again">
        <condition field="destination_number" expression="^(\\d+)$">
          <action application="transfer" data="$1 XML public"/>
        </condition></extension></context>"""
    )
    rec = run(place_call(CallSpec(did="5000", script=CallerScript(dialplan=dp))))
    assert rec.hangup_cause == "EXCHANGE_ROUTING_ERROR"
    assert len(rec.routes) == 70 and rec.apps.count(("transfer", "5000 XML public")) == 70
