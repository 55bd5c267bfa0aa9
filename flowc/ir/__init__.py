"""The typed IR: what the compiler produces and the interpreter, simulator, backends and
runtime read. Frozen classes, one per node kind (`flowc.ir.nodes`), a flow and a bundle
(`flowc.ir.flow`); their JSON form is `bundle.json`, byte for byte (`flowc.ir.codec`)."""

from flowc.ir.codec import IRError
from flowc.ir.flow import IR_VERSION, AgentKey, BundleIR, FlowIR, Mailbox, Queue, Service, Variable
from flowc.ir.nodes import NODE_CLASSES, Node
from flowc.ir.prompts import Prompt, PromptPart

__all__ = [
    "IR_VERSION",
    "NODE_CLASSES",
    "AgentKey",
    "BundleIR",
    "FlowIR",
    "IRError",
    "Mailbox",
    "Node",
    "Prompt",
    "PromptPart",
    "Queue",
    "Service",
    "Variable",
]
