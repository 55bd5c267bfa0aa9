"""FL307 missing-audio: an `{audio: path}` prompt names a file that does not exist.

Why: the media server plays nothing (or logs an error and moves on): the caller hears
silence where a greeting or an instruction should be.

Paths are looked up relative to the flow file's folder and to each folder of `sounds` in
`[tool.flowc]` (relative to the flow file; default `sounds` and `.`). Not checked: URLs
(`http:`, `https:`, any `scheme://`), FreeSWITCH streams and built-ins (`tone_stream://`,
`silence_stream://`, `say:`, `ivr/...` and the other stock sound folders), paths with
channel variables (`$${sounds_dir}/...`) or `{...}` holes, and absolute paths (they name
files on the media server).

Example::

    welcome: {play: {audio: sounds/welcom.wav}, next: main_menu}   # sounds/welcome.wav

Fix: correct the path, or add the recording to the sounds folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path as FsPath
from pathlib import PurePosixPath, PureWindowsPath

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext

CODE = "FL307"
NAME = "missing-audio"
SEVERITY = Severity.ERROR

_SKIP_PREFIXES = ("http:", "https:", "say:", "tone_stream:", "silence_stream:", "shout:")
# FreeSWITCH stock sound folders, resolved by the media server against its sound prefix.
_STOCK_FOLDERS = frozenset(
    {
        "ivr",
        "voicemail",
        "digits",
        "misc",
        "conference",
        "currency",
        "time",
        "directory",
        "ascii",
        "phonetic-ascii",
        "users",
        "zrtp",
    }
)


def skipped(path: str) -> bool:
    """Whether an audio path is left to the media server (not a file of the project)."""
    p = path.strip()
    return (
        not p
        or "://" in p
        or p.startswith(_SKIP_PREFIXES)
        or "${" in p
        or "{" in p
        or PurePosixPath(p).is_absolute()
        or PureWindowsPath(p).is_absolute()
    )


def _exists(name: str, folders: list[FsPath]) -> bool:
    try:
        return any((folder / name).is_file() for folder in folders)
    except (OSError, ValueError):  # a name the file system cannot even look up
        return False


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    base = ctx.base_dir
    folders = [base, *(base / s for s in ctx.config.sounds)]
    found: dict[str, bool] = {}
    for path, loc, i, part in ctx.prompt_parts("audio"):
        if skipped(part.text):
            continue
        name = part.text.strip()
        if name not in found:
            found[name] = _exists(name, folders)
        if found[name] or name.replace("\\", "/").split("/")[0] in _STOCK_FOLDERS:
            continue
        looked = ", ".join(str(f) for f in dict.fromkeys(folders))
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"audio file `{name}` not found",
            ctx.part_path(path, loc, i, part),
            hint=f"looked in {looked}",
        )
