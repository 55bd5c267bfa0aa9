"""Offline simulation of calls: the interpreter driven by a scripted (or typing) caller.

    from flowc.simulate import compile_file, simulate
    from flowc.flowtest import Scenario, parse_input

    flow = compile_file(Path("examples/telecom_care.yaml"))
    result = simulate(flow, Scenario(at=datetime(2026, 10, 9, 10, 0),
                                     inputs=[parse_input("press 1")]))
    result.transcript, result.path, result.outcome, result.survey

The simulator has no call-flow semantics of its own: it feeds events to
`flowc.interpreter.Call` and plays the switch and the caller (see `engine`'s docstring).
"""

from flowc.simulate.edges import Edge, EdgeKey, EdgeTracker, FlowEdges, flow_edges
from flowc.simulate.engine import (
    ICONS,
    Ask,
    InputSource,
    ScriptedInputs,
    SimResult,
    Simulator,
    TranscriptLine,
    call_timezone,
    simulate,
    start_time,
)
from flowc.simulate.load import CompiledFlow, FlowLoadError, compile_file, compile_text

__all__ = [
    "ICONS",
    "Ask",
    "CompiledFlow",
    "Edge",
    "EdgeKey",
    "EdgeTracker",
    "FlowEdges",
    "FlowLoadError",
    "InputSource",
    "ScriptedInputs",
    "SimResult",
    "Simulator",
    "TranscriptLine",
    "call_timezone",
    "compile_file",
    "compile_text",
    "flow_edges",
    "simulate",
    "start_time",
]
