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
* the logger is the standard `logging` one (name `flowc.runtime`), so a host application can
  route it; `setup_logging()` installs the JSON formatter on stderr for `flowc serve`.

Per-command logs are at DEBUG level: a busy runtime at INFO writes one line per call start,
end, reload and error, not one per prompt.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final, TextIO

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


class JsonFormatter(logging.Formatter):
    """`logging.LogRecord` -> one JSON line; extra fields come from `record.fields`."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line: dict[str, Any] = {
            "ts": ts.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", None) or record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(redact(fields))
        elif record.args and getattr(record, "event", None) is None:
            pass  # a plain logging call: the message is already formatted into `event`
        for key, value in record.__dict__.items():  # `extra=` from foreign callers
            if key not in _RESERVED and key not in ("event", "fields") and key not in line:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str, separators=(",", ":"))


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
