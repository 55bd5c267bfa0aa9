"""Structured logs: JSON lines with ts, level, event; secrets never written."""

from __future__ import annotations

import io
import json
import logging

from flowc.interpreter import commands as cmd
from runtime.logs import get_logger, redact, setup_logging


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
