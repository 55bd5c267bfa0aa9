"""Load one flow file with everything the drawings and numbers need: the validated flow, its
source (for line numbers), and the subflow modules it calls with their sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from flowc.analysis.graph import build_graph
from flowc.diagnostics import Diagnostic, FlowcError
from flowc.lint.config import LintConfig
from flowc.model.flow import Flow
from flowc.pipeline import Checked, check_file, load_source
from flowc.source.document import SourceDoc


class FlowLoadError(Exception):
    """The file does not load or validate; `diagnostics` say why."""

    def __init__(self, file: str, diagnostics: list[Diagnostic], checked: Checked) -> None:
        self.file = file
        self.diagnostics = diagnostics
        self.checked = checked
        super().__init__(f"{file} does not validate")


@dataclass
class LoadedFlow:
    checked: Checked
    flow: Flow
    doc: SourceDoc
    modules: dict[str, Flow | None] = field(default_factory=dict)
    module_docs: dict[str, SourceDoc] = field(default_factory=dict)

    def graph(self, with_modules: bool = True) -> nx.MultiDiGraph:
        if not with_modules:
            return build_graph(self.flow, self.doc)
        return build_graph(self.flow, self.doc, self.modules, self.module_docs)


def load_flow(path: Path, config: LintConfig | None = None) -> LoadedFlow:
    """Check a flow file; raise FlowLoadError when it has no valid flow."""
    checked = check_file(path, config)
    if checked.flow is None or checked.doc is None:
        raise FlowLoadError(checked.file, checked.diagnostics, checked)
    docs: dict[str, SourceDoc] = {}
    for ref, mod in checked.modules.items():
        target = path.parent / ref
        if mod is not None and target.is_file():
            try:
                docs[ref] = load_source(target)
            except (FlowcError, OSError):
                pass
    return LoadedFlow(checked, checked.flow, checked.doc, dict(checked.modules), docs)
