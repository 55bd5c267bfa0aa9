"""Plain-text templates skip parsing (most prompts): the shortcut must give what parsing
and checking them gives."""

from __future__ import annotations

import pytest

from flowc.lang.expr import Type, TypeEnv
from flowc.lang.template import check_template, parse_template
from flowc.lint.sites import ExprSite, _analyse

ENV = TypeEnv.standard({}, schedules=None, result=False)


@pytest.mark.parametrize(
    "text", ["", "Hello", "Press 1 for billing.", "再见", "tab\there", "  spaced  ", "50% off!"]
)
@pytest.mark.parametrize("usage", ["template", "url"])
def test_plain_text_matches_a_full_parse(text: str, usage: str) -> None:
    tpl = parse_template(text)
    type_, issues = check_template(tpl, ENV)
    full = (None, type_, issues, [], tpl.is_single_hole, tpl.is_literal, [], [])
    site = ExprSite(("prompts", "x"), text, usage, None, "prompt")
    assert _analyse(site, ENV) == full
    assert full[1] == Type.STRING


@pytest.mark.parametrize("text", ["{x}", "a {{ b", "c }} d", "${CRM_URL}/x", "{y} and {z}"])
def test_template_syntax_is_still_parsed(text: str) -> None:
    site = ExprSite(("prompts", "x"), text, "template", None, "prompt")
    error, _, _, holes, _, literal, _, _ = _analyse(site, ENV)
    tpl = parse_template(text)
    assert error is None
    assert literal == tpl.is_literal
    assert [h for _, h in holes] == [h.expr for h in tpl.holes]
