"""What a lint rule sees: the validated flow, its source, its graph and the configuration.

Rules report through `LintContext.diag`, naming a *path* into the source document; the path
is turned into file:line:col here, so a rule never deals with positions and fires at the
same place in YAML and DSL sources.

The context is assembled from parts by job: `SourcePositions` (positions.py: paths to spans
and diagnostics), `FlowTopology` (topology.py: the call graph's shape) and `FlowSites`
(sites.py: definitions, expressions, templates and prompts, checked once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowc.lint.config import LintConfig
from flowc.lint.sites import ExprSite, FlowSites, NameUse, SiteCheck, Usage, node_field
from flowc.lint.topology import FlowTopology, strongly_connected
from flowc.model.flow import Flow
from flowc.source.document import SourceDoc

__all__ = [
    "ExprSite",
    "LintContext",
    "NameUse",
    "SiteCheck",
    "Usage",
    "node_field",
    "strongly_connected",
]


@dataclass
class LintContext(FlowTopology, FlowSites):
    flow: Flow
    doc: SourceDoc
    config: LintConfig = field(default_factory=LintConfig)
    # Subflow modules loaded by the caller, by the path written in the flow.
    modules: dict[str, Flow | None] = field(default_factory=dict)
    # What is wrong with those paths (outside the project, a cycle): `pipeline.ModuleIssue`s.
    module_issues: dict[str, Any] = field(default_factory=dict)
