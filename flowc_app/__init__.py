"""The `flowc` command: the toolchain's commands (flowc.cli) plus the runtime's (`serve`,
`emulate`, `report`, `deploy`, from runtime/). It sits above both, so that `flowc` itself never
imports `runtime` (an import-linter contract in pyproject.toml holds that).

The runtime's commands are registered only when they are asked for (or for help), so
`flowc check` and `flowc --version` do not load the runtime, its HTTP client, database drivers
and metrics.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from flowc.cli.main import app
from flowc_app.gctune import tune as tune_collector
from flowc_app.heat import install as install_heat

__all__ = ["RUNTIME_COMMANDS", "app", "full_app", "main", "register_runtime"]

RUNTIME_COMMANDS = frozenset({"serve", "emulate", "report", "replay", "deploy"})
_registered = False


def register_runtime() -> None:
    """Add `serve`, `report`, `emulate` and `deploy` to the command line (once)."""
    global _registered
    if _registered:
        return
    from flowc_app import replay_cmd as _replay_cmd  # noqa: F401  (registers replay)
    from runtime import cli as _serve_cli  # noqa: F401  (registers serve and report)
    from runtime.emulator import cli as _emulate_cli  # noqa: F401
    from runtime.rollout import cli as _deploy_cli  # noqa: F401

    install_heat()
    _registered = True


def full_app() -> typer.Typer:
    """The whole command line, the runtime's commands included (tests, embedding)."""
    register_runtime()
    return app


def _words(argv: Sequence[str]) -> list[str]:
    """The arguments that are not options: the command first."""
    return [a for a in argv if not a.startswith("-")]


def _wants_runtime(argv: Sequence[str]) -> bool:
    words = _words(argv)
    if not words:
        return any(a in ("--help", "-h") for a in argv) or not argv
    return words[0] in RUNTIME_COMMANDS


def _wants_from_journal(argv: Sequence[str]) -> bool:
    words = _words(argv)
    return (
        bool(words)
        and words[0] == "test"
        and any(a == "--from-journal" or a.startswith("--from-journal=") for a in argv)
    )


def _wants_journal(argv: Sequence[str]) -> bool:
    """`flowc graph --journal` / `flowc diff --journal`: traffic read from a journal."""
    words = _words(argv)
    return (
        bool(words)
        and words[0] in ("graph", "diff")
        and any(a == "--journal" or a.startswith("--journal=") for a in argv)
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    tune_collector(next(iter(_words(args)), None))
    if _wants_journal(args):  # the heat map: the runtime reads the journal
        from flowc_app.heat import install

        install()
    if _wants_from_journal(args):  # `flowc test --from-journal`: reads a journal (runtime)
        from flowc_app.from_journal import app as from_journal_app

        rest = list(args)
        rest.remove("test")
        from_journal_app(args=rest, prog_name="flowc test")
        return
    if _wants_runtime(args):
        register_runtime()
    app(args=args, prog_name="flowc")
