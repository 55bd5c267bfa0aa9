"""Every lint rule against its fixtures: `fixtures/<CODE>/pass.yaml` and `fail.yaml` (and the
text form, `pass.flow` and `fail.flow`, where a rule has them: every adaptive-menu rule does).

A fail fixture starts with comment lines declaring exactly what the rule must report there,
one line per diagnostic of that code (line:col of its span)::

    # expect: FL201 12:17
    # expect: FL201 20:9

The test compares the set of (code, line, col) of that code with the declaration; the pass
fixture must produce no diagnostic of the code. Other codes are ignored, so a fixture only
has to be realistic, not perfect.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowc.diagnostics import Diagnostic
from flowc.lint.config import LintConfig
from flowc.lint.registry import RULES, Rule
from flowc.pipeline import check_file

FIXTURES = Path(__file__).parent / "fixtures"
_EXPECT = re.compile(r"#\s*expect:\s*(FL\d{3})\s+(\d+):(\d+)\s*$")
_CODE_DIR = re.compile(r"FL\d{3}")

Expected = set[tuple[str, int, int]]


def fixture_codes() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and _CODE_DIR.fullmatch(p.name))


def lint_fixture(path: Path) -> list[Diagnostic]:
    """Load, validate and lint one fixture file: the one place fixtures are loaded.

    Fails the test when the fixture does not even get to the lint stage (a schema error),
    since then no rule ran and a pass fixture would pass for the wrong reason.
    """
    checked = check_file(path, LintConfig())
    assert checked.flow is not None, "fixture does not load/validate: " + "; ".join(
        f"{d.code} {d.span.line}:{d.span.col} {d.message}" for d in checked.diagnostics
    )
    return checked.diagnostics


def expectations(path: Path) -> Expected:
    """The `# expect: CODE line:col` lines at the top of a fail fixture."""
    out: Expected = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        m = _EXPECT.match(line)
        if m:
            out.add((m.group(1), int(m.group(2)), int(m.group(3))))
    return out


def _found(diags: list[Diagnostic], code: str) -> Expected:
    return {(d.code, d.span.line, d.span.col) for d in diags if d.code == code}


def _show(diags: list[Diagnostic], code: str) -> str:
    return "\n".join(
        f"  {d.code} {d.span.line}:{d.span.col} {d.message}" for d in diags if d.code == code
    )


@pytest.mark.parametrize("code", fixture_codes())
def test_fail_fixture(code: str) -> None:
    path = FIXTURES / code / "fail.yaml"
    expected = expectations(path)
    assert expected, f"{path} declares no `# expect:` lines"
    assert {c for c, _, _ in expected} == {code}, f"{path} may only expect {code}"
    diags = lint_fixture(path)
    assert _found(diags, code) == expected, "got:\n" + _show(diags, code)


@pytest.mark.parametrize("code", fixture_codes())
def test_pass_fixture(code: str) -> None:
    diags = lint_fixture(FIXTURES / code / "pass.yaml")
    assert not _found(diags, code), "unexpected:\n" + _show(diags, code)


def flow_fixture_codes() -> list[str]:
    return [c for c in fixture_codes() if (FIXTURES / c / "fail.flow").is_file()]


@pytest.mark.parametrize("code", flow_fixture_codes())
def test_fail_fixture_in_the_text_form(code: str) -> None:
    path = FIXTURES / code / "fail.flow"
    expected = expectations(path)
    assert expected, f"{path} declares no `# expect:` lines"
    assert {c for c, _, _ in expected} == {code}, f"{path} may only expect {code}"
    diags = lint_fixture(path)
    assert _found(diags, code) == expected, "got:\n" + _show(diags, code)


@pytest.mark.parametrize("code", flow_fixture_codes())
def test_pass_fixture_in_the_text_form(code: str) -> None:
    diags = lint_fixture(FIXTURES / code / "pass.flow")
    assert not _found(diags, code), "unexpected:\n" + _show(diags, code)


@pytest.mark.parametrize("code", ["FL208", "FL308", "FL309", "FL310", "FL311"])
def test_adaptive_menu_rules_have_fixtures_in_both_forms(code: str) -> None:
    for name in ("pass.yaml", "fail.yaml", "pass.flow", "fail.flow"):
        assert (FIXTURES / code / name).is_file(), f"missing fixture {code}/{name}"


@pytest.mark.parametrize("code", [rule.code for rule in RULES])
def test_rule_has_fixtures(code: str) -> None:
    for name in ("pass.yaml", "fail.yaml"):
        assert (FIXTURES / code / name).is_file(), f"missing fixture {code}/{name}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_docstring(rule: Rule) -> None:
    first = rule.doc.splitlines()[0] if rule.doc else ""
    assert first.startswith(f"{rule.code} {rule.name}: "), first
    for section in ("Why:", "Example", "Fix:"):
        assert section in rule.doc, f"{rule.code}: no `{section}` section in the docstring"


def test_codes_unique_and_ordered() -> None:
    codes = [rule.code for rule in RULES]
    assert codes == sorted(set(codes))


ON_AGENT_KEY = """\
flow: on_agent_key
agent_key: {key: "0", goto: agent}
queues: {general: {}}
nodes:
  main:
    menu:
      prompt: "Welcome."
      options:
        1: {goto: info, say: "Opening hours, press {key}."}
        0: {goto: news, say: "News, press {key}."}
      on_fail: agent
  info: {hangup: null}
  news: {hangup: null}
  agent: {queue: general}
"""


def test_fl301_says_the_agent_key_wins_in_an_adaptive_menu(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(ON_AGENT_KEY)
    (d,) = [d for d in lint_fixture(path) if d.code == "FL301"]
    assert (d.span.line, d.span.col) == (10, 9)
    assert d.message == (
        "key 0 is the agent key (to `agent`), which wins in this adaptive menu: the option"
        " to `news` is never offered"
    )
    assert d.hint is not None and "renumber: true" in d.hint
    # With `renumber` the written keys only name options: the option gets a free key.
    path.write_text(
        ON_AGENT_KEY.replace(
            "      on_fail: agent\n", "      on_fail: agent\n      renumber: true\n", 1
        )
    )
    assert not [d for d in lint_fixture(path) if d.code == "FL301"]


def test_a_module_s_failed_inputs_make_the_escalate_target_reachable() -> None:
    """The main flow has no menu or collect of its own, only a module that asks for a PIN:
    its failures spend the call's budget, so the `escalate` target is no dead node."""
    diags = lint_fixture(FIXTURES / "FL208" / "pass.yaml")
    assert not [d for d in diags if d.code == "FL202"], _show(diags, "FL202")
