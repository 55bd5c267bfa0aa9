"""Reading the files a flow names: regular files only, bounded, confined to the project.

Flows, includes, subflow modules, scenario files and mocks are read from paths written in
files that may come from anyone (a pull request, a shared folder). So every read here:

- opens without blocking and refuses anything but a regular file (a FIFO or `/dev/stdin`
  would hang the reader, `/dev/zero` would fill memory);
- reads at most `max_bytes` (one byte more tells "too large" from "exactly the limit");
- reports a symlink loop as such (Python 3.11 raises `RuntimeError` from `resolve()`);
- for paths written *inside* a file (`include`, `subflow`, a mock, a scenario's `flow:`),
  refuses a target outside the project, before opening it, and without showing any of it.

The project is the nearest folder above the referring file that holds `pyproject.toml` or
`.git`; without one, the referring file's own folder (and the folders below it).
`FLOWC_ALLOW_PATHS` (folders separated by `os.pathsep`) allows more folders explicitly.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "ALLOW_ENV",
    "MAX_FLOW_BYTES",
    "MAX_MOCK_BYTES",
    "MAX_SCENARIO_BYTES",
    "FileRefused",
    "check_inside_project",
    "is_symlink_loop",
    "project_root",
    "read_bounded",
    "resolve_safely",
    "walk_files",
]

MAX_FLOW_BYTES = 10 * 1024 * 1024  # the YAML loader's limit; `.flow` files and includes too
MAX_SCENARIO_BYTES = 10 * 1024 * 1024
MAX_MOCK_BYTES = 5 * 1024 * 1024
ALLOW_ENV = "FLOWC_ALLOW_PATHS"
_MARKERS = ("pyproject.toml", ".git")
_CHUNK = 1 << 16


class FileRefused(OSError):
    """A file that is not read: `kind` is "loop", "not_regular", "too_large" or "outside".

    An `OSError` (with `strerror` set), so code that reports unreadable files reports these
    too; `hint` says what to do and `size` is set for "too_large".
    """

    def __init__(self, kind: str, message: str, hint: str, size: int = 0) -> None:
        super().__init__(errno.EPERM, message)
        self.message = message
        self.kind = kind
        self.hint = hint
        self.size = size


def _loop(path: Path | str) -> FileRefused:
    return FileRefused(
        "loop",
        "symlink loop: the link never reaches a file",
        "fix or remove the symbolic link",
    )


def resolve_safely(path: Path) -> Path:
    """`path.resolve()`, with a symlink loop as `FileRefused` rather than `RuntimeError`."""
    try:
        return path.resolve()
    except RuntimeError:  # Python 3.11: "Symlink loop from ..."
        raise _loop(path) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _loop(path) from None
        raise


def is_symlink_loop(path: Path) -> bool:
    """Whether `path` is a symlink that never reaches a file (a loop, or into a parent)."""
    if not path.is_symlink():
        return False
    try:
        target = resolve_safely(path)
    except FileRefused:
        return True
    except OSError:
        return False
    # a folder link to one of its own parents: walking it would never end
    return target.is_dir() and (target == path.parent.resolve() or target in path.parents)


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bounded(path: Path | str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`. Raises `FileRefused` (or another
    `OSError` when the file cannot be opened); never blocks on a FIFO or a device."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _loop(path) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(
                "not_regular",
                f"not a regular file: `{path}` is {_kind_of(st.st_mode)}",
                "flowc reads regular files only",
            )
        if st.st_size > max_bytes:
            raise _too_large(st.st_size, max_bytes)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:  # the file grew while being read
            raise _too_large(size, max_bytes)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_large(size: int, max_bytes: int) -> FileRefused:
    return FileRefused(
        "too_large",
        f"the file is too large ({size:,} bytes; the limit is {max_bytes:,})",
        "split it into smaller files",
        size,
    )


def project_root(referrer: Path) -> Path:
    """The project of a file: the nearest folder above it with pyproject.toml or .git,
    else the file's own folder."""
    folder = resolve_safely(referrer).parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in _MARKERS):
            return candidate
    return folder


def _allowed_roots() -> list[Path]:
    raw = os.environ.get(ALLOW_ENV, "")
    out: list[Path] = []
    for part in raw.split(os.pathsep):
        if part.strip():
            try:
                out.append(resolve_safely(Path(part.strip())))
            except OSError:
                continue
    return out


def check_inside_project(target: Path, referrer: Path, written: str) -> Path:
    """`target` resolved, when it lies inside the project of `referrer` (or an allowed
    folder); else `FileRefused` ("outside") naming only what the author `written`."""
    resolved = resolve_safely(target)
    roots = [project_root(referrer), *_allowed_roots()]
    if any(resolved == root or root in resolved.parents for root in roots):
        return resolved
    raise FileRefused(
        "outside",
        f"`{written}` is outside the project ({roots[0]}): not read",
        "keep flows, includes, modules and mocks inside the project folder, or allow the"
        f" folder explicitly with {ALLOW_ENV}",
    )


def walk_files(folder: Path) -> Iterator[tuple[Path, bool]]:
    """Every file below `folder` (sorted, symlinked folders not followed), as
    `(path, looping)`: `looping` marks a symlink that loops or points to a parent folder,
    which callers report instead of skipping without a word."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                if is_symlink_loop(path):
                    yield path, True
                elif path.is_file():
                    yield path, False
                continue
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(path)
            elif entry.is_file(follow_symlinks=False):
                yield path, False
        stack.extend(reversed(subdirs))
