"""runtime.queue_announce: the member list, the caller's position, the wait, what is said and
the commands the announcer sends (against a fake `api`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from runtime import queue_announce as qa
from runtime.esl.errors import ConnectionClosed

HEADER = (
    "queue|instance_id|uuid|session_uuid|cid_number|cid_name|system_epoch|joined_epoch"
    "|rejoined_epoch|bridge_epoch|abandoned_epoch|base_score|skill_score|serving_agent"
    "|serving_system|state|score"
)
ME = "11111111-2222-4333-8444-555555555555"


def row(
    session: str,
    state: str = "Waiting",
    score: int = 0,
    *,
    name: str = "Caller",
    agent: str = "",
    queue: str = "support@default",
) -> str:
    head = [queue, "single_box", f"m-{session}", session, "1000", name, "1800000000"]
    return "|".join([*head, "1800000000", "0", "0", "0", "0", "0", agent, "", state, str(score)])


def listing(*rows: str) -> str:
    return "\n".join([HEADER, *rows, "+OK", ""]) if rows else "+OK\n"


# -- the member list ---------------------------------------------------------------------------


def test_parse_members_reads_every_row_in_order() -> None:
    members = qa.parse_members(listing(row("a", score=30), row(ME, "Trying", 12, agent="1000")))
    assert [(m.session_uuid, m.state, m.score) for m in members] == [
        ("a", "Waiting", 30),
        (ME, "Trying", 12),
    ]
    assert members[1].serving_agent == "1000" and members[1].uuid == f"m-{ME}"
    assert members[0].fields["queue"] == "support@default"
    assert members[0].joined_epoch == 1_800_000_000


def test_parse_members_keeps_a_caller_name_holding_the_separator() -> None:
    (m,) = qa.parse_members(listing(row(ME, score=7, name="Acme | Sales")))
    assert (m.fields["cid_name"], m.session_uuid, m.state, m.score) == (
        "Acme | Sales",
        ME,
        "Waiting",
        7,
    )


def test_parse_members_of_an_empty_queue_and_errors() -> None:
    assert qa.parse_members("+OK\n") == []
    assert qa.parse_members(listing(row("a")).replace("\n", "\r\n"))[0].session_uuid == "a"
    with pytest.raises(ValueError):
        qa.parse_members("-ERR callcenter_config Command not found!\n")
    with pytest.raises(ValueError):
        qa.parse_members("-ERR Invalid!\n")
    with pytest.raises(ValueError):
        qa.parse_members("")


# -- the position ------------------------------------------------------------------------------


def test_position_is_the_rank_by_score_among_waiting_members() -> None:
    members = qa.parse_members(
        listing(
            row("served", "Answered", 500, agent="1000@default"),
            row("first", "Waiting", 90),
            row("gone", "Abandoned", 80),
            row("offered", "Trying", 60, agent="1001@default"),
            row(ME, "Waiting", 40),
            row("later", "Waiting", 10),
        )
    )
    assert qa.queue_position(members, ME) == 3  # first, offered, me
    assert qa.queue_position(members, "first") == 1
    assert qa.queue_position(members, "served") is None  # with an agent: not waiting
    assert qa.queue_position(members, "gone") is None
    assert qa.queue_position(members, "nobody") is None


def test_position_sorts_by_score_and_keeps_the_listing_order_on_ties() -> None:
    members = qa.parse_members(
        listing(row("low", score=5), row(ME, score=50), row("tie", score=50))
    )
    assert qa.queue_position(members, ME) == 1
    assert qa.queue_position(members, "tie") == 2
    assert qa.queue_position(members, "low") == 3


# -- the wait ----------------------------------------------------------------------------------


def test_wait_observations_take_the_median_per_queue_and_forget_old_ones() -> None:
    now = [1000.0]
    seen = qa.WaitObservations(clock=lambda: now[0])
    assert seen.per_position("q") is None
    for value in (30.0, 90.0, 40.0):
        seen.record("q", value)
    seen.record("q", -1.0)  # ignored
    seen.record("q", float("nan"))  # ignored
    seen.record("other", 5.0)
    assert seen.per_position("q") == 40.0
    assert seen.per_position("other") == 5.0
    now[0] += 7200  # two hours on: the samples are stale
    assert seen.per_position("q") is None
    seen.record("q", 20.0)
    assert seen.per_position("q") == 20.0


def test_estimate_wait_uses_the_observed_rate_or_the_default() -> None:
    assert qa.estimate_wait(3, 40.0) == 120.0
    assert qa.estimate_wait(3, None) == 3 * qa.DEFAULT_SECONDS_PER_POSITION
    assert qa.estimate_wait(2, None, default_per_position=15.0) == 30.0
    assert qa.estimate_wait(0, 40.0) == 0.0


# -- what is said ------------------------------------------------------------------------------


def test_announcement_texts_in_english() -> None:
    assert qa.announcement_text("position", "en-US", 3, 0) == (
        "You are number 3 in line. Please stay on the line."
    )
    assert qa.announcement_text("position", "en-US", 1, 0).startswith("You are next in line.")
    assert qa.announcement_text("wait_time", "en-US", 3, 150) == (
        "The estimated wait is about 3 minutes. Please stay on the line."
    )
    both = qa.announcement_text("both", None, 2, 20)
    assert both == (
        "You are number 2 in line. The estimated wait is about 1 minute. Please stay on the line."
    )


def test_announcement_texts_in_chinese() -> None:
    assert qa.announcement_text("position", "zh-CN", 4, 0) == "您当前排在第4位。请不要挂机。"
    assert qa.announcement_text("position", "zh-TW", 1, 0) == "您是下一位，请稍候。请不要挂机。"
    assert qa.announcement_text("both", "zh-CN", 2, 121) == (
        "您当前排在第2位。预计等待时间约3分钟。请不要挂机。"
    )


def test_texts_have_nothing_freeswitch_would_split_or_expand() -> None:
    for locale in ("en-US", "zh-CN"):
        for kind in ("position", "wait_time", "both"):
            text = qa.announcement_text(kind, locale, 12, 3600)
            assert not any(c in text for c in "'\"\\{}$\n")


def test_broadcast_command_names_the_variable_not_the_text() -> None:
    assert qa.broadcast_command(ME, "flite", "kal") == (
        f"uuid_broadcast {ME} speak::flite|kal|${{flowc_announce_text}} aleg"
    )
    # a voice with a blank stays one argument for mod_commands' splitter
    assert qa.broadcast_command(ME, "tts_commandline", "Ting Ting") == (
        f"uuid_broadcast {ME} 'speak::tts_commandline|Ting Ting|${{flowc_announce_text}}' aleg"
    )


# -- the announcer -----------------------------------------------------------------------------


class FakeSwitch:
    """Answers the announcer's `api` commands like FreeSWITCH; records them."""

    def __init__(self, members: Callable[[], str]) -> None:
        self.members = members
        self.sent: list[str] = []
        self.vars: dict[str, str] = {}
        self.broadcasts = 0
        self.fail: Exception | None = None

    async def api(self, command: str, timeout: float) -> str:
        assert timeout > 0
        self.sent.append(command)
        if self.fail is not None:
            raise self.fail
        if command.startswith("callcenter_config queue list members "):
            return self.members()
        if command.startswith("uuid_setvar "):
            _, uuid, name, value = command.split(" ", 3)
            self.vars[name] = value
            return "+OK\n" if uuid == ME else "-ERR No such channel!\n"
        if command.startswith("uuid_broadcast "):
            self.broadcasts += 1
            return "+OK Message sent\n"
        if command.startswith("uuid_getvar "):
            return self.vars.get(command.split(" ")[2], "_undef_")
        return f"-ERR {command.split(' ')[0]} Command not found!\n"


def announcer(
    fake: FakeSwitch, kind: str = "both", locale: str = "en-US", **kw: object
) -> qa.QueueAnnouncer:
    seen = kw.pop("seen", None) or qa.WaitObservations()
    assert isinstance(seen, qa.WaitObservations)
    return qa.QueueAnnouncer(
        fake.api, ME, "support@default", kind, 1000, locale, "flite", "kal", seen=seen
    )


def test_announce_once_lists_sets_the_text_and_broadcasts_it() -> None:
    fake = FakeSwitch(lambda: listing(row("a", score=90), row(ME, score=40)))
    seen = qa.WaitObservations()
    seen.record("support@default", 45.0)
    a = announcer(fake, seen=seen)
    said = asyncio.run(a.announce_once())
    assert said == (
        "You are number 2 in line. The estimated wait is about 2 minutes. Please stay on the line."
    )
    assert fake.sent == [
        "callcenter_config queue list members support@default",
        f"uuid_setvar {ME} flowc_announce_text {said}",
        f"uuid_broadcast {ME} speak::flite|kal|${{flowc_announce_text}} aleg",
    ]
    assert a.said == [(2, said)] and a.first is not None and a.first[0] == 2


def test_nothing_is_said_when_the_caller_is_not_waiting_or_the_list_fails() -> None:
    fake = FakeSwitch(lambda: listing(row(ME, "Trying", 40, agent="1000@default"), row("b")))
    a = announcer(fake)
    said = asyncio.run(a.announce_once())
    assert said is not None and said.startswith("You are next in line.")  # Trying still waits
    fake.members = lambda: listing(row(ME, "Answered", 40, agent="1000@default"))
    assert asyncio.run(a.announce_once()) is None
    fake.members = lambda: "-ERR callcenter_config Command not found!\n"
    assert asyncio.run(a.announce_once()) is None
    assert fake.broadcasts == 1 and len(a.said) == 1


def test_a_refused_setvar_means_no_broadcast() -> None:
    fake = FakeSwitch(lambda: listing(row(ME)))
    a = qa.QueueAnnouncer(fake.api, "not-" + ME, "q", "position", 1000, "zh-CN", "flite", "kal")
    fake.members = lambda: listing(row("not-" + ME))
    assert asyncio.run(a.announce_once()) is None
    assert fake.broadcasts == 0


def test_the_announcer_repeats_until_stopped_and_ends_on_a_closed_socket() -> None:
    async def scenario() -> tuple[int, bool, int, bool]:
        fake = FakeSwitch(lambda: listing(row(ME)))
        a = qa.QueueAnnouncer(fake.api, ME, "q", "position", 1, "en-US", "flite", "kal")
        a.start()
        async with asyncio.timeout(5):
            while fake.broadcasts < 3:
                await asyncio.sleep(0.005)
        a.stop()
        await asyncio.sleep(0.02)
        stopped = (fake.broadcasts, a.running)
        b = qa.QueueAnnouncer(fake.api, ME, "q", "position", 1, "en-US", "flite", "kal")
        fake.fail = ConnectionClosed("the socket closed")
        b.start()
        async with asyncio.timeout(5):
            while b.running:
                await asyncio.sleep(0.005)
        return stopped[0], stopped[1], len(b.said), b.running

    count, running, said_after_close, still = asyncio.run(scenario())
    assert count >= 3 and not running
    assert said_after_close == 0 and not still


def test_for_queue_only_for_an_announcing_node() -> None:
    async def scenario() -> tuple[object, bool]:
        fake = FakeSwitch(lambda: "+OK\n")
        none = qa.QueueAnnouncer.for_queue(fake.api, ME, "q", "none", 1000, None, "flite", "kal")
        some = qa.QueueAnnouncer.for_queue(
            fake.api, ME, "q", "wait_time", 1000, None, "flite", "kal"
        )
        assert some is not None
        running = some.running
        some.stop()
        return none, running

    none, running = asyncio.run(scenario())
    assert none is None and running


def test_an_answer_teaches_the_wait_per_position() -> None:
    seen = qa.WaitObservations()
    fake = FakeSwitch(lambda: "+OK\n")
    a = qa.QueueAnnouncer(fake.api, ME, "q", "both", 1000, None, "flite", "kal", seen=seen)
    a.answered()  # never announced: nothing learnt
    assert seen.per_position("q") is None
    a.started -= 100.0  # joined 100 s ago; announced position 4 at 20 s
    a.first = (4, 20.0)
    a.answered()
    per = seen.per_position("q")
    assert per is not None and 20.0 <= per < 21.0  # (100 - 20) s for 4 positions


def test_agent_name_from_the_row_then_from_the_channel() -> None:
    fake = FakeSwitch(lambda: listing(row(ME, "Answered", 40, agent="1001@default")))
    assert asyncio.run(qa.agent_name(fake.api, "q", ME)) == "1001@default"
    fake.members = lambda: listing(row(ME, "Trying", 40, agent="ring-all"))
    assert asyncio.run(qa.agent_name(fake.api, "q", ME)) is None  # _undef_
    fake.vars["cc_agent"] = "1002@default"
    assert asyncio.run(qa.agent_name(fake.api, "q", ME)) == "1002@default"
    fake.members = lambda: "-ERR Invalid!\n"
    assert asyncio.run(qa.agent_name(fake.api, "q", ME)) is None
    fake.fail = ConnectionClosed("gone")
    assert asyncio.run(qa.agent_name(fake.api, "q", ME)) is None
