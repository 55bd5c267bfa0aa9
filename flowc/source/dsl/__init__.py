"""The text form of flows (`.flow` files): a compact DSL that loads to the same data as YAML.

    parse_dsl_text(text, file) -> SourceDoc      parse_dsl_file(path, display_name) -> SourceDoc
    to_dsl(data, comments) -> str                (flowc.source.emit_yaml.to_yaml for YAML)

See docs/dsl.md for the language.
"""

from __future__ import annotations

from flowc.source.dsl.parser import list_includes, parse_dsl_file, parse_dsl_text
from flowc.source.dsl.printer import to_dsl

__all__ = ["list_includes", "parse_dsl_file", "parse_dsl_text", "to_dsl"]
