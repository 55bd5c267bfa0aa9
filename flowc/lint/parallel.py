"""Lint rules of one big flow in two processes: the call-graph rules in a forked child, the
rest here, the child's diagnostics sent back through a pipe.

Why: the rules are independent once the flow is validated, and for flows of thousands of nodes
they are most of `flowc check`'s time; the call-graph rules (references, reachability, loops,
menu depth, routes to a person) share the edge tables, the other rules the parsed
expression sites, so each process builds only its own half (`python bench/big_flows.py`
prints the figures with one process and with two).

A fork shares the validated flow without copying or pickling it. The child writes its
diagnostics per rule and leaves with `os._exit` (no cleanup of the parent's state, no flush
of its buffers). Whatever goes wrong on the child's side (it cannot be forked, it dies, its
answer does not arrive whole) costs only time: the parent then runs those rules itself, so
the diagnostics are always those of a single process, in rule order.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from flowc.diagnostics import Diagnostic

R = TypeVar("R")

# Below this many nodes a fork costs more than it saves.
MIN_NODES = 2000


def can_fork() -> bool:
    """Fork is safe here: a POSIX system other than macOS (whose system libraries refuse
    to run in a forked child)."""
    return hasattr(os, "fork") and sys.platform != "darwin"


def run_split(
    rules: Sequence[R],
    forked: Callable[[R], bool],
    run: Callable[[R], list[Diagnostic]],
) -> list[Diagnostic]:
    """`run` every rule, those `forked` picks in a child process; diagnostics in rule order."""
    theirs = [r for r in rules if forked(r)]
    child = _in_child(theirs, run) if theirs else None
    try:
        mine = {i: run(rule) for i, rule in enumerate(rules) if not forked(rule)}
    except BaseException:
        if child is not None:
            child.stop()
        raise
    answer = child.result() if child is not None else {}
    out: list[Diagnostic] = []
    j = 0
    for i, rule in enumerate(rules):
        if i in mine:
            out.extend(mine[i])
        else:
            found = answer.get(j)
            out.extend(found if found is not None else run(rule))
            j += 1
    return out


class _Child:
    """A forked child running some rules; `result()` waits for its answer (rule index ->
    diagnostics), empty when it did not arrive whole."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self._result: dict[int, list[Diagnostic]] | None = None

    def result(self) -> dict[int, list[Diagnostic]]:
        if self._result is None:
            self._result = self._collect()
        return self._result

    def stop(self) -> None:
        """End the child at once and reap it (the parent is leaving with an exception)."""
        try:
            os.close(self.fd)
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass

    def _collect(self) -> dict[int, list[Diagnostic]]:
        chunks: list[bytes] = []
        try:
            with os.fdopen(self.fd, "rb") as pipe:
                while chunk := pipe.read(1 << 20):
                    chunks.append(chunk)
        except OSError:
            chunks = []
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return {}
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return {}
        try:
            answer = pickle.loads(b"".join(chunks))
        except Exception:  # a truncated or garbled answer: the parent runs the rules
            return {}
        return answer if isinstance(answer, dict) else {}


def _in_child(rules: Sequence[R], run: Callable[[R], list[Diagnostic]]) -> _Child | None:
    """Fork a child that runs `rules` and pickles their diagnostics into a pipe."""
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read_fd)
            answer = {i: run(rule) for i, rule in enumerate(rules)}
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
            code = 0
        except BaseException:  # the parent runs these rules itself
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return _Child(pid, read_fd)
