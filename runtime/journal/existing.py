"""Reading a journal that must already exist (`flowc replay`, `flowc test --from-journal`,
`flowc graph --journal`): opening a SQLite URL creates the file, so a missing one is refused
before anything is opened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from .base import Journal

T = TypeVar("T")

__all__ = ["read_existing"]


async def read_existing(url: str, read: Callable[[Journal], Awaitable[T]]) -> T:
    """`read(journal)` on the journal at `url`, opened for it and closed after. ValueError
    when `url` is not a journal URL or names a SQLite file that does not exist."""
    from . import open_journal
    from .sqlite import SQLiteJournal

    journal = open_journal(url)
    if isinstance(journal, SQLiteJournal) and not Path(journal.path).is_file():
        raise ValueError(f"no journal at {journal.path}")
    await journal.open()
    try:
        return await read(journal)
    finally:
        await journal.close()
