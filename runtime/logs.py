"""Structured logs: one JSON object per line (ts, level, event, call_id, flow, node, ...).

    from runtime.logs import get_logger
    log = get_logger()
    log.info("call_started", call_id=uuid, flow="bank", caller=masked)

Rules the runtime follows:

* every record has `ts` (UTC, ISO 8601 with milliseconds), `level`, `event` (a stable
  snake_case name: what happened), and whatever fields describe it; the call's `call_id`,
  `flow` and `node` when there is a call;
* sensitive values are never logged: interpreter commands are logged through their
  `to_json()` only (which masks them), and `redact()` drops fields whose names say they hold
  secrets (tokens, PINs, card numbers) before they reach the line;
* what callers enter is never logged either, sensitive or not (the README's promise):
  a `command` field (a command's `to_json()`, at DEBUG) goes through `scrub_command`, which
  masks collected values wherever they can travel: variable values, look-up URLs (query
  string and path segments with digits), headers and bodies, `say` values, digits in spoken
  text and transfer targets, journal data other than its structural fields, a call end's
  variables; and any URL in a message or a text field is shown without its query string
  and path segments holding digits (`mask_urls`);
* the logger is the standard `logging` one (name `flowc.runtime`), so a host application can
  route it; `setup_logging()` installs the JSON formatter on stderr for `flowc serve`.

Per-command logs are at DEBUG level: a busy runtime at INFO writes one line per call start,
end, reload and error, not one per prompt.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Final, TextIO
from urllib.parse import urlsplit

from runtime.journal.safe import json_safe

LOGGER_NAME: Final = "flowc.runtime"
MASK: Final = "****"
_SECRET_WORDS: Final = ("token", "secret", "password", "pin", "card", "authorization", "cvv")
_RESERVED: Final = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
}


def redact(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with the values of secret-looking keys replaced by the mask."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        low = key.lower()
        if value is not None and any(word in low for word in _SECRET_WORDS):
            out[key] = MASK
        else:
            out[key] = value
    return out


_DIGITS: Final = re.compile(r"[0-9]")
# Journal data fields that describe the flow, not what the caller entered.
_STRUCTURAL: Final = frozenset(
    {
        "flow",
        "node",
        "kind",
        "via",
        "target",
        "failures",
        "no_input",
        "no_match",
        "queue",
        "priority",
        "outcome",
        "agent",
        "scale",
        "question",
        "mailbox",
        "confirmed",
        "duration_ms",
        "requested_at",
        "reason",
        "service",
        "status",
    }
)


def _no_digits(value: Any) -> Any:
    return _DIGITS.sub("*", value) if isinstance(value, str) else value


def mask_url(url: Any) -> Any:
    """A URL with its query string masked and every path segment holding a digit masked
    (look-up URLs are built from what callers entered: ``/accounts/{account}?pin=...``)."""
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    path = "/".join(MASK if _DIGITS.search(seg) else seg for seg in parts.path.split("/"))
    head = f"{parts.scheme}://{parts.netloc}" if parts.scheme or parts.netloc else ""
    return head + path + (f"?{MASK}" if parts.query else "") + ("#" if parts.fragment else "")


_URL: Final = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>)]+")


def mask_urls(text: str) -> str:
    """`text` with every URL in it masked by `mask_url` (look-up failures name the URL)."""
    if "://" not in text:
        return text
    return _URL.sub(lambda m: str(mask_url(m.group())), text)


def _scrub_item(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    out = dict(item)
    if "say" in out and "value" in out:
        out["value"] = MASK
    for kind in ("tts", "text"):
        if kind in out:
            out[kind] = _no_digits(out[kind])
    return out


def _scrub_items(items: Any) -> Any:
    return [_scrub_item(i) for i in items] if isinstance(items, list) else items


def scrub_command(command: Any) -> Any:
    """A command's `to_json()` with what the caller entered masked (see the module docstring);
    anything that is not a command dict is returned as is."""
    if not isinstance(command, dict) or not isinstance(command.get("type"), str):
        return command
    out = dict(command)
    kind = out["type"]
    if kind == "fetch":
        out["url"] = mask_url(out.get("url"))
        headers = out.get("headers")
        if isinstance(headers, list):
            out["headers"] = [[h[0], MASK] if isinstance(h, list) and h else MASK for h in headers]
        if out.get("body") is not None:
            out["body"] = MASK
    elif kind == "set_variable":
        if out.get("value") is not None:
            out["value"] = MASK
    elif kind in ("play", "collect"):
        for key in ("items", "prompt", "invalid_prompt"):
            if key in out:
                out[key] = _scrub_items(out[key])
    elif kind == "transfer":
        out["target"] = _no_digits(out.get("target"))
    elif kind == "journal":
        data = out.get("data")
        if isinstance(data, dict):
            out["data"] = {
                k: (v if k in _STRUCTURAL or v is None else MASK) for k, v in data.items()
            }
    elif kind == "end":
        outcome = out.get("outcome")
        if isinstance(outcome, dict):
            out["outcome"] = {k: (v if k in ("kind", "node") else MASK) for k, v in outcome.items()}
    return out


class JsonFormatter(logging.Formatter):
    """`logging.LogRecord` -> one JSON line; extra fields come from `record.fields`."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line: dict[str, Any] = {
            "ts": ts.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "event": mask_urls(getattr(record, "event", None) or record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            fields = {k: mask_urls(v) if isinstance(v, str) else v for k, v in fields.items()}
            if "command" in fields:
                fields["command"] = scrub_command(fields["command"])
            line.update(redact(fields))
        elif record.args and getattr(record, "event", None) is None:
            pass  # a plain logging call: the message is already formatted into `event`
        for key, value in record.__dict__.items():  # `extra=` from foreign callers
            if key not in _RESERVED and key not in ("event", "fields") and key not in line:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = self.formatException(record.exc_info)
        try:
            return json.dumps(line, ensure_ascii=False, default=str, separators=(",", ":"))
        except ValueError:  # an integer too long to print, a cycle: never lose the line
            return json.dumps(json_safe(line), ensure_ascii=False, separators=(",", ":"))


class EventLogger:
    """A thin wrapper: `log.info("event_name", key=value, ...)` -> one JSON line."""

    __slots__ = ("_log",)

    def __init__(self, logger: logging.Logger) -> None:
        self._log = logger

    def enabled(self, level: int) -> bool:
        return self._log.isEnabledFor(level)

    def _emit(self, level: int, event: str, fields: dict[str, Any], exc: bool = False) -> None:
        if self._log.isEnabledFor(level):
            self._log.log(
                level, event, extra={"event": event, "fields": fields}, exc_info=exc or None
            )

    def debug(self, event: str, **fields: Any) -> None:
        self._emit(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit(logging.ERROR, event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        self._emit(logging.ERROR, event, fields, exc=True)


def get_logger(name: str = LOGGER_NAME) -> EventLogger:
    return EventLogger(logging.getLogger(name))


def setup_logging(level: str | int = "info", stream: TextIO | None = None) -> logging.Handler:
    """JSON lines on `stream` (stderr) for the runtime's logger and the ESL layer's."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    lvl = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    for name in (LOGGER_NAME, "runtime"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(lvl)
        logger.propagate = False
    return handler
