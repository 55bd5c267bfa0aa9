"""Structured logs: JSON lines with ts, level, event; secrets never written."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from fakeswitch import FakeCall, Script
from serverkit import MockHTTP, compile_bundle, running
from test_calls import go

from flowc.interpreter import commands as cmd
from runtime.logs import get_logger, mask_url, redact, scrub_command, setup_logging


def test_json_lines_and_redaction() -> None:
    out = io.StringIO()
    handler = setup_logging("debug", out)
    try:
        log = get_logger()
        log.info("call_started", call_id="c1", flow="bank", node="start", did="95888")
        log.debug(
            "command",
            call_id="c1",
            command=cmd.SetVariable("pin", "4321", True).to_json(),
            pin="4321",
            crm_token="s3cret",
        )
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("call_failed", call_id="c1")
        logging.getLogger("runtime.esl.aio").warning("plain %s message", "stdlib")
    finally:
        logging.getLogger("flowc.runtime").removeHandler(handler)
        logging.getLogger("runtime").removeHandler(handler)
    text = out.getvalue()
    assert "4321" not in text and "s3cret" not in text
    lines = [json.loads(x) for x in text.splitlines()]
    assert [x["event"] for x in lines] == [
        "call_started",
        "command",
        "call_failed",
        "plain stdlib message",
    ]
    first = lines[0]
    assert first["level"] == "info" and first["ts"].endswith("Z")
    assert (first["call_id"], first["flow"], first["node"]) == ("c1", "bank", "start")
    assert lines[1]["command"]["value"] == "****" and lines[1]["pin"] == "****"
    assert "ValueError: boom" in lines[2]["error"]


def test_redact_keeps_ordinary_fields() -> None:
    assert redact({"flow": "bank", "card_no": "6222", "detail": None}) == {
        "flow": "bank",
        "card_no": "****",
        "detail": None,
    }


# ---- what callers enter never reaches the logs, even at debug ---------------------------------

ACCOUNT = "918273"  # what the caller enters: not marked sensitive, still never logged

_FLOW = """\
flowc: 1
flow: acct
entry: ask
locale: en-US
locales: [en-US]
variables:
  account: {type: string}
  balance: {type: string, default: "0"}
services:
  crm: {url: "${CRM_URL}/balance?account={account}&src=ivr", timeout: 1s}
nodes:
  ask:
    collect:
      {into: account, prompt: "Enter your account number.", min: 6, max: 6, on_fail: bye}
    next: lookup
  lookup:
    fetch: crm
    set: {balance: "{result.balance}"}
    next: tell
    on_error: bye
    on_timeout: bye
  tell: {play: ["Account", {say: {digits: "{account}"}}, "has {balance} left."], next: bye}
  bye: {hangup: NORMAL_CLEARING, prompt: "Goodbye."}
"""

_BINDINGS = """\
environment: test
runtime: ["127.0.0.1:8084"]
flows:
  acct: {dids: ["8002"]}
"""


def test_collected_digits_and_lookup_queries_are_not_logged_at_debug(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "bindings").mkdir(parents=True)
    (src / "acct.yaml").write_text(_FLOW, encoding="utf-8")
    (src / "bindings" / "test.yaml").write_text(_BINDINGS, encoding="utf-8")
    build = compile_bundle(tmp_path / "build", src)
    out = io.StringIO()
    handler = setup_logging("debug", out)
    try:

        async def scenario() -> None:
            async with MockHTTP({"/crm/": (200, {"balance": "4455"}, 0.0)}) as http:
                env = {"CRM_URL": http.url + "/crm"}
                async with running(build, tmp_path, lookup_env=env) as rt:
                    script = Script(inputs=[f"press {ACCOUNT}"])
                    call = FakeCall("127.0.0.1", rt.port, dest="8002", script=script)
                    record = await call.run(10)
                    assert record.hangup_cause == "NORMAL_CLEARING"
                    # the call really used the digits: in the query, and read back
                    assert http.requests == [f"/crm/balance?account={ACCOUNT}&src=ivr"]
                    assert any(ACCOUNT in arg for _, arg in record.apps)

        go(scenario())
    finally:
        logging.getLogger("flowc.runtime").removeHandler(handler)
        logging.getLogger("runtime").removeHandler(handler)
    text = out.getvalue()
    lines = [json.loads(x) for x in text.splitlines()]
    commands = [x["command"]["type"] for x in lines if x["event"] == "command"]
    assert "collect" in commands and "fetch" in commands  # debug logging was on
    assert ACCOUNT not in text
    assert "4455" not in text  # the look-up's answer, spoken back
    assert "account=" not in text and "src=ivr" not in text
    (fetch,) = [x["command"] for x in lines if x.get("command", {}).get("type") == "fetch"]
    assert fetch["url"].endswith("/balance?****")


def test_scrub_command_masks_entered_values() -> None:
    play = cmd.Play(
        (cmd.PlayItem("tts", "You entered 1234."), cmd.PlayItem("say", "1234", "digits"))
    ).to_json()
    assert scrub_command(play)["items"] == [
        {"tts": "You entered ****."},
        {"say": "digits", "value": "****"},
    ]
    booked = cmd.CallbackBooked("cb", "13800000000", datetime(2026, 1, 5, 9, tzinfo=UTC), None)
    assert scrub_command(booked.to_json())["data"] == {
        "node": "cb",
        "number": "****",
        "requested_at": "2026-01-05T09:00:00+00:00",
        "confirmed": None,
    }
    assert mask_url("http://h:80/acct/123/x?a=1") == "http://h:80/acct/****/x?****"
    assert scrub_command({"not": "a command"}) == {"not": "a command"}


def test_a_log_line_with_a_huge_integer_is_still_written() -> None:
    out = io.StringIO()
    handler = setup_logging("debug", out)
    try:
        get_logger().info("odd", value=10**5000)
    finally:
        logging.getLogger("flowc.runtime").removeHandler(handler)
        logging.getLogger("runtime").removeHandler(handler)
    line = json.loads(out.getvalue())
    assert line["event"] == "odd" and line["value"] == "<int: about 5001 digits>"


def test_urls_in_messages_and_fields_are_masked() -> None:
    out = io.StringIO()
    handler = setup_logging("info", out)
    try:
        get_logger().info(
            "lookup_failed", detail="HTTP 500 from GET http://127.0.0.1:9/acct/918273?***"
        )
        logging.getLogger("runtime.lookup.client").warning(
            "lookup %s: %s", "shop.crm", "cannot send GET https://crm/x/918273/y?id=918273"
        )
    finally:
        logging.getLogger("flowc.runtime").removeHandler(handler)
        logging.getLogger("runtime").removeHandler(handler)
    text = out.getvalue()
    assert ACCOUNT not in text
    first, second = (json.loads(x) for x in text.splitlines())
    assert first["detail"] == "HTTP 500 from GET http://127.0.0.1:9/acct/****?****"
    assert second["event"] == "lookup shop.crm: cannot send GET https://crm/x/****/y?****"
