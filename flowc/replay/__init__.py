"""Replay recorded calls through a (new) compiled flow, offline, and say where they diverge.

    rec = RecordedCall.from_log(call_id, log)        # or from_steps(...) for old journal rows
    result = replay_call(program, rec)               # the same sans-IO interpreter, no I/O
    report = build_report([(rec, result), ...])      # counts, top divergent paths, nodes

Pure: plain records in, plain results out. Reading a journal is the runtime's business
(`runtime.journal.replay_read`); `flowc_app` joins both in `flowc replay`. `log` is the layout
`runtime.replay_log` writes (`format.py` names its keys).
"""

from flowc.replay.engine import Replayed, replay_call
from flowc.replay.fields import read_paths, sensitive_paths
from flowc.replay.format import LOG_VERSION, RecordedCall, input_to_event, prompt_hash
from flowc.replay.report import Report, build_report, render

__all__ = [
    "LOG_VERSION",
    "RecordedCall",
    "Replayed",
    "Report",
    "build_report",
    "input_to_event",
    "prompt_hash",
    "read_paths",
    "render",
    "replay_call",
    "sensitive_paths",
]
