"""The journal's local spool: where records go when the database cannot take them.

A spool is one append-only file of JSON lines, one record a line, each batch appended with one
``write`` and made durable with ``fsync`` before the records count as saved. It is used while
the database is unreachable or full, and at shutdown when the database is gone; the journal
writes it back to the database when the database is back, or at the next start, and then
deletes it. Writing back is idempotent (every insert is ``ON CONFLICT DO NOTHING`` on the
record's key, see `schema`), so a spool written back twice, or a record both committed and
spooled (a COMMIT whose acknowledgement was lost), leaves one row.

The file is bounded (`max_bytes`): a batch that would pass the bound is refused whole, and the
journal counts those records as unsaved. A line cut short by a crash mid-write is skipped when
the spool is read (counted in `Spool.bad`).

All methods block on the file system: call them from a worker thread.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from .records import ITEM_TYPES, Item
from .safe import json_safe

__all__ = ["DEFAULT_MAX_BYTES", "Spool", "decode", "encode"]

DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024  # read back whole at the next start: keep it modest
_TYPES: Final = {t.__name__: t for t in ITEM_TYPES}
_TIME_FIELDS: Final = frozenset({"started_at", "at", "ended_at"})


def encode(item: Item) -> bytes:
    """One record as one JSON line (datetimes as ISO 8601; values made JSON-safe)."""
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        fields[f.name] = value.isoformat() if isinstance(value, datetime) else json_safe(value)
    line = json.dumps({"type": type(item).__name__, "fields": fields}, ensure_ascii=False)
    return line.encode("utf-8") + b"\n"


def decode(line: bytes) -> Item:
    """The record of one line; ValueError/TypeError/KeyError when it is not one."""
    data = json.loads(line)
    cls = _TYPES[data["type"]]
    fields = dict(data["fields"])
    for name in _TIME_FIELDS.intersection(fields):
        fields[name] = datetime.fromisoformat(fields[name])
    item: Item = cls(**fields)
    return item


class Spool:
    """The spool file at `path`, at most `max_bytes` long; see the module docstring."""

    def __init__(self, path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.bad = 0  # lines skipped by the last `load()`

    def __repr__(self) -> str:
        return f"Spool({str(self.path)!r})"

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def append(self, items: list[Item]) -> bool:
        """Append `items` and fsync; False (nothing appended) when the bound would be passed
        or the file system refuses (disk full, read-only, no folder)."""
        data = b"".join(encode(item) for item in items)
        before = self.size()
        if before + len(data) > self.max_bytes:
            return False
        new = before == 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(self.path, flags, 0o600)
        except OSError:
            return False
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError:
            # Leave no partial batch behind (best effort: a line cut short is skipped anyway).
            try:
                os.ftruncate(fd, before)
            except OSError:
                pass
            return False
        finally:
            os.close(fd)
        if new:
            self._sync_folder()
        return True

    def load(self) -> list[Item]:
        """Every record in the spool, in order; unreadable lines skipped (counted in `bad`)."""
        self.bad = 0
        if not self.path.is_file():  # missing, or something that is not our file
            return []
        try:
            with self.path.open("rb") as f:
                raw = f.read()  # whole: `clear()` follows, nothing may be left unread
        except FileNotFoundError:
            return []
        items: list[Item] = []
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                items.append(decode(line))
            except (ValueError, TypeError, KeyError):
                self.bad += 1
        return items

    def clear(self) -> None:
        """Delete the spool (its records are in the database)."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        self._sync_folder()

    def _sync_folder(self) -> None:
        try:
            fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
