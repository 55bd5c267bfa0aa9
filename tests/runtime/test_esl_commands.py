"""Command builders and play_and_get_digits argument quoting."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.esl import commands as cmd
from tests.runtime.esl_support import (
    FIXTURES,
    fs_separate_blank,
    is_execute,
    parse_command,
    to_switch,
)


def test_simple_commands_bytes() -> None:
    assert cmd.connect() == b"connect\n\n"
    assert cmd.myevents() == b"myevents\n\n"
    assert cmd.myevents("json") == b"myevents json\n\n"
    assert cmd.myevents("plain", uuid="abc") == b"myevents abc plain\n\n"
    assert cmd.linger() == b"linger\n\n"
    assert cmd.linger(30) == b"linger 30\n\n"
    assert cmd.nolinger() == b"nolinger\n\n"
    assert cmd.event("plain", "DTMF") == b"event plain DTMF\n\n"
    assert (
        cmd.event("json", "CUSTOM", "callcenter::info") == b"event json CUSTOM callcenter::info\n\n"
    )
    assert cmd.nixevent("DTMF") == b"nixevent DTMF\n\n"
    assert cmd.noevents() == b"noevents\n\n"
    assert cmd.filter("Unique-ID", "abc") == b"filter Unique-ID abc\n\n"
    assert cmd.filter_delete() == b"filter delete all\n\n"
    assert cmd.filter_delete("Unique-ID", "abc") == b"filter delete Unique-ID abc\n\n"
    assert cmd.exit() == b"exit\n\n"
    assert cmd.auth("ClueCon") == b"auth ClueCon\n\n"
    assert cmd.userauth("u@d", "pw") == b"userauth u@d:pw\n\n"
    assert cmd.api("status") == b"api status\n\n"
    assert cmd.bgapi("version") == b"bgapi version\n\n"
    assert cmd.bgapi("status", "j-1") == b"bgapi status\nJob-UUID: j-1\n\n"
    assert cmd.getvar("ivr_digits") == b"getvar ivr_digits\n\n"
    assert cmd.resume() == b"resume\n\n"
    assert cmd.divert_events() == b"divert_events on\n\n"
    assert cmd.divert_events(False) == b"divert_events off\n\n"
    assert cmd.sendmsg_hangup() == (
        b"sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"
    )
    assert cmd.sendmsg_hangup("USER_BUSY", uuid="u1").startswith(b"sendmsg u1\n")


@pytest.mark.parametrize("name", FIXTURES)
def test_recorded_commands_rebuilt(name: str) -> None:
    """Every command the recorder sent can be produced by a builder (same line and headers)."""
    for line in to_switch(name):
        first, headers, body = parse_command(line.raw)
        if is_execute(line.raw):
            built = cmd.sendmsg_execute(
                headers["execute-app-name"],
                headers.get("execute-app-arg", ""),
                headers["event-uuid"],
            )
        elif first == "connect":
            built = cmd.connect()
        elif first.startswith("myevents"):
            built = cmd.myevents("json" if first.endswith("json") else None)
        elif first == "linger":
            built = cmd.linger()
        elif first.startswith("event "):
            _, fmt, *names = first.split(" ")
            assert fmt in ("plain", "json")
            built = cmd.event(fmt, *names)  # type: ignore[arg-type]
        elif first.startswith("auth "):
            built = cmd.auth(first[5:])
        elif first.startswith("api "):
            built = cmd.api(first[4:])
        elif first.startswith("bgapi "):
            built = cmd.bgapi(first[6:])
        else:
            assert first == "exit"
            built = cmd.exit()
        assert parse_command(built) == (first, headers, body)


def test_sendmsg_execute_headers() -> None:
    data = cmd.sendmsg_execute(
        "playback", "tone_stream://%(500,0,440)", "e-1", event_lock=True, loops=2
    )
    first, headers, body = parse_command(data)
    assert first == "sendmsg"
    assert headers == {
        "call-command": "execute",
        "execute-app-name": "playback",
        "execute-app-arg": "tone_stream://%(500,0,440)",
        "event-uuid": "e-1",
        "event-lock": "true",
        "loops": "2",
    }
    assert body == b""
    no_arg = cmd.sendmsg_execute("answer", "", "e-2", uuid="chan")
    assert (
        no_arg
        == b"sendmsg chan\ncall-command: execute\nexecute-app-name: answer\nEvent-UUID: e-2\n\n"
    )


def test_sendmsg_execute_multiline_uses_body() -> None:
    arg = "line one\nline two é"
    data = cmd.sendmsg_execute("set", arg, "e-3")
    _, headers, body = parse_command(data)
    assert "execute-app-arg" not in headers
    assert headers["content-type"] == "text/plain"
    assert int(headers["content-length"]) == len(arg.encode()) == len(body)
    assert body.decode() == arg


@pytest.mark.parametrize(
    "call",
    [
        lambda: cmd.api("status\n\nexit"),
        lambda: cmd.api(""),
        lambda: cmd.bgapi("status", "a b"),
        lambda: cmd.auth("pass word"),
        lambda: cmd.event("plain"),
        lambda: cmd.event("xml", "ALL"),  # type: ignore[arg-type]
        lambda: cmd.sendmsg_execute("play back", "x", "e"),
        lambda: cmd.sendmsg_execute("playback", "x", "e\nf"),
        lambda: cmd.sendmsg_execute("playback", "x", "e", loops=0),
        lambda: cmd.sendmsg_hangup("NORMAL CLEARING"),
        lambda: cmd.filter("Unique-ID", "a\nb"),
        lambda: cmd.filter_delete(None, "x"),
        lambda: cmd.linger(0),
        lambda: cmd.getvar(""),
    ],
)
def test_builders_reject_framing_breakers(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


# -- play_and_get_digits ---------------------------------------------------------------------------


def test_tokenizer_port_reproduces_unquoted_prompt_failure() -> None:
    """The recorded unquoted say: prompt: var name 'your', the tail became the fail extension."""
    [line] = [
        x
        for x in to_switch("outbound_pagd_unquoted_prompt_json.jsonl")
        if b"play_and_get_digits" in x.raw
    ]
    arg = parse_command(line.raw)[1]["execute-app-arg"]
    argv = fs_separate_blank(arg, 11)
    assert argv[5] == "say:Please"
    assert argv[7] == "your"  # variable_your_invalid=123 in the completion
    assert argv[10] == "code \\d+ 3000"  # transferred to code/3000/\d+ (ext/context/dialplan)
    assert fs_separate_blank(argv[10], 4) == ["code", "\\d+", "3000"]


def test_tokenizer_port_quoted_prompt_from_recording() -> None:
    [line] = [
        x for x in to_switch("outbound_speak_flite_json.jsonl") if b"play_and_get_digits" in x.raw
    ]
    arg = parse_command(line.raw)[1]["execute-app-arg"]
    argv = fs_separate_blank(arg, 11)
    assert argv[5] == "say:Please enter your account number, then press pound."
    assert argv[7] == "ivr_digits"
    assert argv[8] == "\\d+"
    assert len(argv) == 10


def test_pagd_args_fills_and_quotes() -> None:
    arg = cmd.pagd_args(1, 4, 2, 5000, "#", "say:Please enter your code", "", "code", "\\d+", 3000)
    assert arg == "1 4 2 5000 # 'say:Please enter your code' silence_stream://250 code \\d+ 3000"
    assert fs_separate_blank(arg, 11) == [
        "1", "4", "2", "5000", "#", "say:Please enter your code", "silence_stream://250",
        "code", "\\d+", "3000",
    ]  # fmt: skip


def test_pagd_args_empty_positions() -> None:
    arg = cmd.pagd_args(0, 1, 1, 3000, "", "", "", "choice", "", 0)
    assert fs_separate_blank(arg, 11) == [
        "0", "1", "1", "3000", "none", "silence", "silence_stream://250", "choice", ".*", "0",
    ]  # fmt: skip


def test_pagd_args_fail_ext_and_apostrophe() -> None:
    arg = cmd.pagd_args(
        4, 4, 3, 4000, "=#", "say:Don't wait", "say:That's wrong, try again",
        "pin", "^[0-9]{4}$", 2000, fail_ext="9999  XML default",
    )  # fmt: skip
    argv = fs_separate_blank(arg, 11)
    assert argv == [
        "4", "4", "3", "4000", "=#", "say:Don't wait", "say:That's wrong, try again",
        "pin", "^[0-9]{4}$", "2000", "9999 XML default",
    ]  # fmt: skip
    assert fs_separate_blank(argv[10], 4) == ["9999", "XML", "default"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_digits": 5, "max_digits": 4},
        {"max_digits": 129},
        {"max_digits": 0, "min_digits": 0},
        {"tries": 0},
        {"var_name": "my var"},
        {"var_name": ""},
        {"var_name": "it's"},
        {"prompt": "say:a\nb"},
        {"regex": "^\\s*$"},  # \s would reach FreeSWITCH as a space
        {"prompt": "ends with backslash\\"},
        {"fail_ext": "  "},
        {"timeout_ms": -1},
    ],
)
def test_pagd_args_rejects(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {
        "min_digits": 1, "max_digits": 4, "tries": 2, "timeout_ms": 4000, "terminators": "#",
        "prompt": "p.wav", "invalid_prompt": "", "var_name": "v", "regex": "\\d+",
        "digit_timeout_ms": 3000,
    }  # fmt: skip
    base.update(kwargs)
    with pytest.raises(ValueError):
        cmd.pagd_args(**base)  # type: ignore[arg-type]


_SAFE_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\n\r\\\x00"),
    max_size=40,
)


@given(
    prompt=_SAFE_TEXT,
    invalid=_SAFE_TEXT,
    regex=_SAFE_TEXT,
    terms=st.sampled_from(["", "#", "=#", "*#", "x#"]),
)
def test_pagd_args_round_trip(prompt: str, invalid: str, regex: str, terms: str) -> None:
    """Whatever the text, FreeSWITCH's tokenizer gives back exactly the ten positions."""
    arg = cmd.pagd_args(1, 4, 2, 4000, terms, prompt, invalid, "v", regex, 3000)
    argv = fs_separate_blank(arg, 11)

    def expect(value: str, filler: str) -> str:
        # Leading/trailing spaces of an unquoted word are trimmed; quoted ones are kept.
        return value if value else filler

    assert argv == [
        "1", "4", "2", "4000", terms or "none", expect(prompt, "silence"),
        expect(invalid, "silence_stream://250"), "v", expect(regex, ".*"), "3000",
    ]  # fmt: skip


def test_new_event_uuid_is_a_fresh_uuid_each_time() -> None:
    import uuid

    ids = [cmd.new_event_uuid() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for value in ids[:3] + ids[-3:]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4
