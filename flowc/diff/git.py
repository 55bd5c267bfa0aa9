"""Old versions of files from git (`git show REV:path`), run as a subprocess."""

from __future__ import annotations

import subprocess
from pathlib import Path

FLOW_SUFFIXES = (".yaml", ".yml", ".flow")


class GitError(Exception):
    """git is missing, the folder is not in a repository, or the revision does not exist."""


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None


def _folder(path: Path) -> Path:
    folder = path if path.is_dir() else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder.resolve()


def check_rev(rev: str, cwd: Path) -> None:
    """Raise GitError unless `cwd` is inside a git repository where `rev` names a commit."""
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise GitError(f"{cwd} is not inside a git repository (`--rev` compares with git history)")
    ok = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd)
    if ok.returncode != 0:
        raise GitError(f"`{rev}` is not a commit, branch or tag in this repository")


def show(rev: str, path: Path) -> bytes | None:
    """The file's content at `rev`, or None when it did not exist then."""
    folder = _folder(path)
    check_rev(rev, folder)
    rel = path.resolve().relative_to(folder) if path.resolve() != folder else Path(".")
    res = _git(["show", f"{rev}:./{rel.as_posix()}"], folder)
    if res.returncode != 0:
        err = res.stderr.decode("utf-8", "replace")
        if "does not exist" in err or "exists on disk, but not in" in err:
            return None
        raise GitError(err.strip() or f"git show {rev}:{path} failed")
    return res.stdout


def changed_flow_files(rev: str, cwd: Path | None = None) -> list[Path]:
    """Flow files under `cwd` that differ from `rev` (changed, added, deleted, untracked)."""
    here = (cwd or Path.cwd()).resolve()
    check_rev(rev, here)
    names: list[str] = []
    for args in (
        ["diff", "--name-only", "--relative", rev, "--"],
        ["ls-files", "--others", "--exclude-standard"],
    ):
        res = _git(args, here)
        if res.returncode != 0:
            raise GitError(res.stderr.decode("utf-8", "replace").strip())
        names += res.stdout.decode("utf-8", "replace").splitlines()
    out = [
        Path(n)
        for n in dict.fromkeys(names)
        if n.endswith(FLOW_SUFFIXES) and not n.endswith((".test.yaml", ".test.yml"))
    ]
    return sorted(out)
