"""Property tests: printing then parsing gives the data back; no input makes the parser crash."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.diagnostics import FlowcError
from flowc.source.dsl import parser as dsl_parser
from flowc.source.dsl.parser import parse_dsl_text
from flowc.source.dsl.printer import KEYWORDS, to_dsl
from flowc.source.emit_yaml import to_yaml
from tests.dsl.dsl_samples import RICH

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------------ strategies

ident = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
name = st.one_of(ident, st.sampled_from(sorted(KEYWORDS)))  # keywords are valid names too
any_key = st.one_of(name, st.text(min_size=1, max_size=8))
text = st.text(max_size=20)
locale = st.from_regex(r"[a-z]{2,3}(-[A-Z]{2}|-[0-9]{3})?", fullmatch=True)
duration = st.one_of(
    st.from_regex(r"[1-9][0-9]{0,3}(ms|s|m|h)", fullmatch=True),
    st.integers(0, 10_000),
    st.sampled_from(["5 s", "soon"]),
)
dtmf = st.from_regex(r"[0-9*#]{1,3}", fullmatch=True)
scalar = st.one_of(
    text,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
value = st.one_of(scalar, st.lists(scalar, max_size=3))
condition = st.from_regex(
    r"""[a-z][a-z0-9_.]{0,8}( (==|!=|>=|<|matches) """
    r"""([0-9]{1,3}|'[a-z >#-]{0,5}'|"[a-z >#-]{0,5}"))?""",
    fullmatch=True,
)


def with_barge(part: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        part, part.flatmap(lambda p: st.booleans().map(lambda b: {**p, "barge_in": b}))
    )


prompt_part = st.one_of(
    text,
    with_barge(st.builds(lambda t: {"tts": t}, text)),
    with_barge(st.builds(lambda t: {"audio": t}, text)),
    with_barge(
        st.builds(
            lambda k, t: {"say": {k: t}},
            st.sampled_from(["number", "money", "digits", "date", "time", "ordinal"]),
            text,
        )
    ),
    with_barge(st.builds(lambda n: {"prompt": n}, any_key)),
)
prompt = st.recursive(
    prompt_part,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        with_barge(st.dictionaries(locale, inner, min_size=1, max_size=3)),
    ),
    max_leaves=6,
)


def optional(
    required: dict[str, Any], **opt: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(required, optional=opt)


common: dict[str, st.SearchStrategy[Any]] = {
    "description": text,
    "tags": st.lists(any_key, min_size=1, max_size=3),
}
target = any_key
assignments = st.dictionaries(ident, value, min_size=1, max_size=3)

menu = optional(
    {
        "menu": optional(
            {},
            prompt=prompt,
            options=st.dictionaries(dtmf, target, min_size=1, max_size=3),
            speech=st.dictionaries(text, target, min_size=1, max_size=2),
            timeout=duration,
            inter_digit_timeout=duration,
            retries=value,
            no_input=prompt,
            no_match=prompt,
            on_fail=target,
            repeat_key=dtmf,
            agent_key=st.booleans(),
        )
    },
    **common,
)
collect = optional(
    {
        "collect": optional(
            {},
            into=ident,
            prompt=prompt,
            min=st.integers(0, 20),
            max=st.integers(0, 20),
            terminator=dtmf,
            pattern=text,
            timeout=duration,
            inter_digit_timeout=duration,
            retries=st.integers(0, 9),
            no_input=prompt,
            no_match=prompt,
            confirm=prompt,
            sensitive=st.booleans(),
            speech=st.booleans(),
            on_fail=target,
        )
    },
    next=target,
    **common,
)
switch = optional(
    {
        "switch": st.lists(st.fixed_dictionaries({"if": condition, "goto": target}), max_size=3),
        "default": target,
    },
    **common,
)
hours = optional(
    {"hours": st.one_of(any_key, st.none())},
    open=target,
    closed=target,
    holiday=target,
    emergency=target,
    **common,
)
fetch = optional(
    {"fetch": any_key},
    params=assignments,
    set=assignments,
    next=target,
    on_error=target,
    on_timeout=target,
    **common,
)
set_node = optional({"set": st.dictionaries(ident, value, max_size=3)}, next=target, **common)
play = optional({"play": st.one_of(prompt, st.none())}, next=target, **common)
queue = optional(
    {"queue": any_key},
    priority=value,
    announce=st.one_of(st.sampled_from(["none", "position", "wait_time", "both"]), text),
    announce_every=duration,
    max_wait=duration,
    exit_key=dtmf,
    on_timeout=target,
    on_no_agent=target,
    on_exit=target,
    after=target,
    **common,
)
transfer = optional(
    {
        "transfer": st.one_of(
            any_key, st.from_regex(r"\+[0-9]{6,12}", fullmatch=True), st.integers(0, 99999)
        )
    },
    mode=st.sampled_from(["blind", "warm"]),
    prompt=prompt,
    on_fail=target,
    **common,
)
voicemail = optional(
    {"voicemail": any_key}, prompt=prompt, max_length=duration, next=target, **common
)
record = optional(
    {"record": any_key},
    prompt=prompt,
    max_length=duration,
    beep=st.booleans(),
    next=target,
    **common,
)
callback = optional(
    {"callback": optional({}, number=text, prompt=prompt, confirm=prompt)}, next=target, **common
)
survey = optional(
    {
        "survey": st.lists(
            optional(
                {"id": any_key, "ask": prompt},
                scale=st.sampled_from(["1-5", "0-10", "yes_no"]),
                retries=st.integers(1, 5),
            ),
            max_size=3,
        )
    },
    thanks=prompt,
    next=target,
    **common,
)
subflow = optional(
    {"subflow": text}, next=target, set=assignments, **{"with": assignments}, **common
)
return_node = optional({"return": st.dictionaries(ident, value, max_size=3)}, **common)
hangup = optional(
    {"hangup": st.one_of(st.none(), st.just("NORMAL_CLEARING"), any_key)}, prompt=prompt, **common
)
goto = optional({"goto": target}, **common)

node = st.one_of(
    menu, collect, switch, hours, fetch, set_node, play, queue, transfer, voicemail, record,
    callback, survey, subflow, return_node, hangup, goto,
)  # fmt: skip

hours_value = st.one_of(
    st.from_regex(r"[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]", fullmatch=True),
    st.just("closed"),
    st.lists(st.sampled_from(["08:00-12:00", "13:00-17:00"]), min_size=2, max_size=2),
    text,
)
schedule = optional(
    {},
    timezone=st.sampled_from(
        ["Asia/Shanghai", "UTC", "Etc/GMT+8", "America/Argentina/Buenos_Aires"]
    ),
    weekly=st.dictionaries(
        st.one_of(st.sampled_from(["mon-fri", "sat,sun", "daily", "weekdays"]), text),
        hours_value,
        min_size=1,
        max_size=3,
    ),
    holidays=optional(
        {},
        calendar=st.sampled_from(["CN", "US", "GB"]),
        subdiv=st.sampled_from(["BJ", "CA"]),
        closed=st.lists(
            st.from_regex(
                r"20[0-9]{2}-[01][0-9]-[0-3][0-9](\.\.20[0-9]{2}-[01][0-9]-[0-3][0-9])?",
                fullmatch=True,
            ),
            max_size=3,
        ),
        yearly=st.lists(st.from_regex(r"[01][0-9]-[0-3][0-9]", fullmatch=True), max_size=2),
    ),
    special=st.dictionaries(
        st.from_regex(r"20[0-9]{2}-[01][0-9]-[0-3][0-9]", fullmatch=True),
        hours_value,
        min_size=1,
        max_size=2,
    ),
    emergency=ident,
)
service = optional(
    {},
    url=text,
    method=st.sampled_from(["GET", "POST", "put"]),
    headers=st.dictionaries(
        st.one_of(st.sampled_from(["Authorization", "X-Trace"]), text), text, min_size=1, max_size=2
    ),
    body=assignments,
    timeout=duration,
    retries=st.integers(0, 5),
)
variable = st.one_of(
    st.sampled_from(["string", "int", "float", "bool", "any"]),
    optional(
        {},
        type=st.sampled_from(["string", "int"]),
        default=value,
        sensitive=st.booleans(),
        description=text,
    ),
)
flow = optional(
    {"flow": ident, "nodes": st.dictionaries(any_key, node, min_size=1, max_size=4)},
    flowc=st.just(1),
    description=text,
    entry=ident,
    locale=locale,
    locales=st.lists(locale, max_size=3),
    agent_key=st.fixed_dictionaries({"key": dtmf, "goto": target}),
    params=st.dictionaries(ident, st.sampled_from(["string", "int"]), min_size=1, max_size=2),
    returns=st.dictionaries(ident, st.sampled_from(["bool"]), min_size=1, max_size=2),
    variables=st.dictionaries(ident, variable, min_size=1, max_size=3),
    prompts=st.dictionaries(any_key, prompt, min_size=1, max_size=3),
    schedules=st.dictionaries(any_key, schedule, min_size=1, max_size=2),
    services=st.dictionaries(any_key, service, min_size=1, max_size=2),
    queues=st.dictionaries(
        any_key,
        st.dictionaries(any_key, st.one_of(text, ident), max_size=2),
        min_size=1,
        max_size=2,
    ),
    numbers=st.dictionaries(any_key, st.one_of(text, st.integers(0, 9999)), min_size=1, max_size=2),
    mailboxes=st.dictionaries(
        any_key, st.dictionaries(ident, text, max_size=1), min_size=1, max_size=2
    ),
)

json_like = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)

# ------------------------------------------------------------------------------- properties


@SETTINGS
@given(flow)
def test_random_flows_round_trip_through_the_dsl(data: dict[str, Any]) -> None:
    text_ = to_dsl(data)
    assert parse_dsl_text(text_, "gen.flow").data == data, text_


@SETTINGS
@given(flow)
def test_random_flows_round_trip_through_yaml(data: dict[str, Any]) -> None:
    assert yaml.safe_load(to_yaml(data)) == data


@SETTINGS
@given(st.dictionaries(text, json_like, max_size=4), st.dictionaries(text, json_like, max_size=3))
def test_arbitrary_data_round_trips(header: dict[str, Any], nodes: dict[str, Any]) -> None:
    data = {**header, "nodes": nodes}
    assert parse_dsl_text(to_dsl(data), "gen.flow").data == data
    assert yaml.safe_load(to_yaml(data)) == data


ALPHABET = st.one_of(
    st.sampled_from([*"\"'()[]{}:#\n\t ->=+,*\\", "->", "=>", "  ", "\n  ", "menu", "on", "say"]),
    st.characters(codec="utf-8"),
)
VALID = to_dsl(RICH)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    s = VALID
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(s)))
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        size = draw(st.integers(1, 6))
        piece = draw(ALPHABET)
        if op == "delete":
            s = s[:pos] + s[pos + size :]
        elif op == "insert":
            s = s[:pos] + piece + s[pos:]
        else:
            s = s[:pos] + piece + s[pos + size :]
    return s


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_parse_or_fail_cleanly(text_: str) -> None:
    try:
        doc = parse_dsl_text(text_, "mut.flow")
    except FlowcError as exc:
        assert exc.diagnostics and all(d.code.startswith("FL0") for d in exc.diagnostics)
        return
    # whatever the fast path accepts, lark's own parser accepts and builds the same way
    try:
        dsl_parser.USE_FAST_PATH = False
        slow = parse_dsl_text(text_, "mut.flow")
    finally:
        dsl_parser.USE_FAST_PATH = True
    assert (doc.data, doc.spans, doc.key_spans) == (slow.data, slow.spans, slow.key_spans)


@pytest.mark.parametrize(
    "junk", ["\x00", "\r", "\x0c", "\u2028", "\ufeff", '"\\', "{" * 50, "]" * 5]
)
def test_junk_characters(junk: str) -> None:
    for pos in (0, len(VALID) // 3, len(VALID) - 1):
        try:
            parse_dsl_text(VALID[:pos] + junk + VALID[pos:], "junk.flow")
        except FlowcError:
            pass


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_quoted_text_reads_back(s: str) -> None:
    from flowc.source.dsl.values import quote, unquote

    assert unquote(quote(s)) == s
    assert parse_dsl_text(f"description {quote(s)}\n", "q.flow").data == {"description": s}
