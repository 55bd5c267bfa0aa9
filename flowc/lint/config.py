"""Lint configuration: rule selection and budgets, from `[tool.flowc]` in pyproject.toml.

```toml
[tool.flowc]
select = ["ALL"]            # or codes / prefixes: ["FL2", "FL301"]
ignore = ["FL305"]
max_menu_depth = 3          # call-centre practice: callers lose their way past 3 levels
max_menu_options = 5        # ... and cannot hold more than about 5 choices in mind
sounds = ["sounds"]         # folders searched for audio files, relative to the flow file
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowc.diagnostics import Severity


@dataclass
class LintConfig:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    max_menu_depth: int = 3
    max_menu_options: int = 5
    max_seconds_to_agent: int = 60
    sounds: list[str] = field(default_factory=lambda: ["sounds", "."])
    source: str | None = None

    def enabled(self, code: str) -> bool:
        def hit(patterns: list[str]) -> bool:
            return any(p == "ALL" or code.startswith(p) for p in patterns)

        return hit(self.select) and not hit(self.ignore)


class ConfigError(Exception):
    pass


def _from_table(table: dict[str, Any], source: str) -> LintConfig:
    cfg = LintConfig(source=source)
    known = {
        "select",
        "ignore",
        "severity",
        "max_menu_depth",
        "max_menu_options",
        "max_seconds_to_agent",
        "sounds",
    }
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{source}: unknown [tool.flowc] setting `{key}`")
        if key == "severity":
            try:
                cfg.severity = {c: Severity[str(s).upper()] for c, s in value.items()}
            except KeyError as exc:
                raise ConfigError(f"{source}: unknown severity {exc}") from None
        elif key in ("select", "ignore", "sounds"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{source}: `{key}` must be a list of strings")
            setattr(cfg, key, value)
        else:
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{source}: `{key}` must be a positive integer")
            setattr(cfg, key, value)
    return cfg


def load_config(start: Path | None = None) -> LintConfig:
    """The [tool.flowc] table of the nearest pyproject.toml at or above `start`."""
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{candidate}: {exc}") from None
            table = data.get("tool", {}).get("flowc")
            if table is not None:
                return _from_table(table, str(candidate))
    return LintConfig()
