"""The typed IR: what the compiler produces and the interpreter, simulator, backends and
runtime read. Frozen classes, one per node kind (`flowc.ir.nodes`), a flow and a bundle
(`flowc.ir.flow`); their JSON form is `bundle.json`, byte for byte (`flowc.ir.codec`).

The names below load their module on first use: `flowc check` needs only `flowc.ir.edges`
and does not pay for building the IR classes."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowc.ir.codec import IRError as IRError
    from flowc.ir.flow import IR_VERSION as IR_VERSION
    from flowc.ir.flow import AgentKey as AgentKey
    from flowc.ir.flow import BundleIR as BundleIR
    from flowc.ir.flow import Escalate as Escalate
    from flowc.ir.flow import FlowIR as FlowIR
    from flowc.ir.flow import Mailbox as Mailbox
    from flowc.ir.flow import Queue as Queue
    from flowc.ir.flow import Service as Service
    from flowc.ir.flow import Variable as Variable
    from flowc.ir.nodes import NODE_CLASSES as NODE_CLASSES
    from flowc.ir.nodes import Node as Node
    from flowc.ir.prompts import Prompt as Prompt
    from flowc.ir.prompts import PromptPart as PromptPart

_HOME = {
    "IRError": "flowc.ir.codec",
    "IR_VERSION": "flowc.ir.flow",
    "AgentKey": "flowc.ir.flow",
    "BundleIR": "flowc.ir.flow",
    "Escalate": "flowc.ir.flow",
    "FlowIR": "flowc.ir.flow",
    "Mailbox": "flowc.ir.flow",
    "Queue": "flowc.ir.flow",
    "Service": "flowc.ir.flow",
    "Variable": "flowc.ir.flow",
    "NODE_CLASSES": "flowc.ir.nodes",
    "Node": "flowc.ir.nodes",
    "Prompt": "flowc.ir.prompts",
    "PromptPart": "flowc.ir.prompts",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'flowc.ir' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
