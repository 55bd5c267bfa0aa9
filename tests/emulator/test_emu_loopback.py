"""mod_loopback as T11 shows it (``channel/loopback.py``): ``bridge loopback/<ext>/default``
with ``BridgeOutcome("loopback")`` is a second call on the same switch, a channel of its own
that hunts ``<ext>``; the caller's hang-up ends both.  What T11 does not show is refused."""

from __future__ import annotations

import pytest

from runtime.emulator import (
    BridgeOutcome,
    CallerScript,
    CallSpec,
    Channel,
    Dialplan,
    Switch,
    Unrecorded,
)

A_UUID = "c45e2787-facf-4dbc-8fc3-54f04346e133"


def plan(b_actions: str, dial: str = "loopback/8001/default") -> Dialplan:
    return Dialplan.parse(
        f"""<include><context name="public">
        <extension name="caller"><condition field="destination_number" expression="^8000$">
          <action application="answer"/>
          <action application="set" data="hangup_after_bridge=true"/>
          <action application="bridge" data="{dial}"/>
        </condition></extension>
        <extension name="care"><condition field="destination_number" expression="^8001$">
          {b_actions}
        </condition></extension>
        </context></include>"""
    )


def call(dialplan: Dialplan) -> tuple[Channel, Switch]:
    script = CallerScript(dialplan=dialplan, default_bridge=BridgeOutcome("loopback"))
    switch = Switch()
    spec = CallSpec(caller="+8613500000000", did="8000", uuid=A_UUID, script=script)
    return Channel(spec, now=0.0, switch=switch), switch


def run(switch: Switch, a: Channel, until: float) -> None:
    """Every channel on one virtual clock, up to ``until``."""
    for _ in range(10_000):
        legs = [a, *switch.spawned]
        due = [d for d in (leg.next_deadline() for leg in legs) if d is not None]
        if not due or min(due) > until:
            break
        for leg in legs:
            leg.advance(min(due))
    for leg in [a, *switch.spawned]:
        leg.advance(until)


WAITS = '<action application="answer"/><action application="playback" data="silence_stream://0"/>'


def test_the_b_leg_is_a_call_of_its_own_and_the_callers_hang_up_ends_both() -> None:
    a, switch = call(plan(WAITS))
    run(switch, a, 1.0)
    (b,) = switch.spawned
    assert b.channel_name == "loopback/8001-b"
    assert b.profile.destination_number == "8001"
    assert b.profile.caller_id_number == "+8613500000000"
    assert b.vars.get("other_loopback_from_uuid") == A_UUID  # mod_loopback.c:356
    assert b.answered and not b.hung_up
    assert a.vars.get("originate_disposition") == "SUCCESS"
    assert a.vars.get("DIALSTATUS") == "SUCCESS"
    assert a.other is not None and a.other.channel_name == "loopback/8001-a"
    assert not a.hung_up  # bridged until the caller leaves
    a.caller_hangup_at(12.0)
    run(switch, a, 20.0)
    assert a.hangup_cause == "NORMAL_CLEARING"
    assert b.hangup_cause == "NORMAL_CLEARING"  # mod_loopback.c:585, the same instant
    assert a.vars.get("bridge_channel") == "loopback/8001-a"
    assert a.vars.get("last_sent_callee_id_number") == "default"


def test_the_b_leg_ending_first_is_not_recorded() -> None:
    a, switch = call(plan('<action application="answer"/><action application="hangup"/>'))
    with pytest.raises(Unrecorded, match="b-leg ending first"):
        run(switch, a, 5.0)


def test_a_b_leg_that_never_answers_is_not_recorded() -> None:
    a, switch = call(plan('<action application="hangup"/>'))
    with pytest.raises(Unrecorded, match="b-leg ending first"):
        run(switch, a, 5.0)


@pytest.mark.parametrize(
    ("dial", "message"),
    [
        ("loopback/8001/public", "only the default context is recorded"),
        ("loopback/8001", "only loopback/<ext>/default is recorded"),
        ("sofia/internal/care@example.invalid", "not a loopback dial string"),
        ("{origination_caller_id_number=1}loopback/8001/default", "variables on a loopback"),
    ],
)
def test_what_t11_does_not_show_is_refused(dial: str, message: str) -> None:
    with pytest.raises(Unrecorded, match=message):
        a, switch = call(plan(WAITS, dial))
        run(switch, a, 5.0)


def test_a_key_during_the_loopback_bridge_is_not_recorded() -> None:
    a, switch = call(plan(WAITS))
    run(switch, a, 1.0)
    a.caller_key_at(2.0, "5")
    with pytest.raises(Unrecorded, match="key during a loopback bridge"):
        run(switch, a, 3.0)
