"""Lint configuration: rule selection and budgets, from `[tool.flowc]` in pyproject.toml.

```toml
[tool.flowc]
select = ["ALL"]            # or codes / prefixes: ["FL2", "FL301"]
ignore = ["FL305"]
max_menu_depth = 3          # call-centre practice: callers lose their way past 3 levels
max_menu_options = 5        # ... and cannot hold more than about 5 choices in mind
sounds = ["sounds"]         # folders searched for audio files, relative to the flow file
```

Patterns are checked against the catalogue (`flowc.codes`): an unknown code or prefix, or one
that names only codes outside the lint rules (which are always checked), is a `ConfigError`
naming the known families, and so is a `severity` key that is not one rule's code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowc import codes
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


def patterns(text: str) -> list[str]:
    """`FL2, fl301` -> `["FL2", "FL301"]`: the items of a comma-separated --select/--ignore."""
    return [p.strip().upper() for p in text.split(",") if p.strip()]


def check_pattern(pattern: str, where: str) -> None:
    """Refuse a select/ignore pattern that names no lint rule, saying what it is instead.

    A pattern is `ALL`, a code or a code prefix. Codes outside the lint rules (loading, shape,
    schedules, bindings, scenario files) are always checked, so naming them selects nothing.
    """
    if pattern == "ALL":
        return
    hits = codes.matching(pattern)
    if not hits:
        close = codes.closest(pattern)
        raise ConfigError(
            f"{where}: unknown code or prefix `{pattern}`"
            + (f"; did you mean `{close}`?" if close else "")
            + f"\nknown families: {codes.families_text()} (`flowc rules` lists every code)"
        )
    if not any(e.rule for e in hits):
        named = codes.families_text(
            f for f in codes.FAMILIES if any(codes.family_of(e) is f for e in hits)
        )
        lint = codes.families_text(f for f in codes.FAMILIES if f.key in _LINT_FAMILIES)
        raise ConfigError(
            f"{where}: `{pattern}` matches only codes that are always checked ({named}); "
            f"only lint rules can be selected or ignored: {lint}"
        )


_LINT_FAMILIES = frozenset(codes.family_of(e).key for e in codes.CATALOGUE if e.rule)
_RULE_CODES = tuple(e.code for e in codes.CATALOGUE if e.rule)


def check_codes(cfg: LintConfig, where: str) -> None:
    """Every pattern of `select`/`ignore` and every `severity` key names lint rules."""
    for key, items in (("select", cfg.select), ("ignore", cfg.ignore)):
        for item in items:
            check_pattern(item, f"{where}`{key}`")
    for item in cfg.severity:
        if item in _RULE_CODES:
            continue
        check_pattern(item, f"{where}`severity`")
        example = next((c for c in _RULE_CODES if c.startswith(item)), _RULE_CODES[0])
        raise ConfigError(
            f"{where}`severity`: `{item}` is not the code of one rule; "
            f"name each rule, e.g. `{example}`"
        )


def apply_options(cfg: LintConfig, select: str | None, ignore: str | None) -> None:
    """--select replaces the configured selection, --ignore adds to it; both are checked."""
    if select:
        chosen = patterns(select)
        for item in chosen:
            check_pattern(item, "--select")
        cfg.select = chosen
    if ignore:
        skipped = patterns(ignore)
        for item in skipped:
            check_pattern(item, "--ignore")
        cfg.ignore += skipped


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
                cfg.severity = {
                    str(c).strip().upper(): Severity[str(s).upper()] for c, s in value.items()
                }
            except KeyError as exc:
                raise ConfigError(f"{source}: unknown severity {exc}") from None
        elif key in ("select", "ignore", "sounds"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{source}: `{key}` must be a list of strings")
            setattr(cfg, key, value if key == "sounds" else [v.strip().upper() for v in value])
        else:
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{source}: `{key}` must be a positive integer")
            setattr(cfg, key, value)
    check_codes(cfg, f"{source}: [tool.flowc] ")
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
