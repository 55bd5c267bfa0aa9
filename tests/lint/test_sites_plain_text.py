"""Plain-text templates skip parsing (most prompts): the shortcut must give what parsing
and checking them gives. Plain-text prompt parts are left out of the checked sites, and a
prompt part's site finds its source path when asked."""

from __future__ import annotations

import pytest

from flowc.lang.expr import Type, TypeEnv
from flowc.lang.template import check_template, parse_template
from flowc.lint.config import LintConfig
from flowc.lint.context import LintContext
from flowc.lint.sites import ExprSite, Usage, _analyse
from flowc.model.build import build_flow
from flowc.pipeline import load_text
from flowc.source.document import Path

ENV = TypeEnv.standard({}, schedules=None, result=False)


@pytest.mark.parametrize(
    "text", ["", "Hello", "Press 1 for billing.", "再见", "tab\there", "  spaced  ", "50% off!"]
)
@pytest.mark.parametrize("usage", ["template", "url"])
def test_plain_text_matches_a_full_parse(text: str, usage: Usage) -> None:
    tpl = parse_template(text)
    type_, issues = check_template(tpl, ENV)
    full: tuple[object, ...] = (None, type_, issues, [], tpl.is_single_hole, tpl.is_literal, [], [])
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


_FLOW = """\
flow: sites
locales: [en-US]
variables: {n: int, who: string}
queues: {care: {skill: care}}
prompts:
  hello: {en-US: ["Hello {who}", {say: {number: "{n}"}}, "plain"]}
nodes:
  start: {play: "Welcome.", next: count}
  count: {set: {n: "2", who: "{who}"}, next: ask}
  ask:
    menu:
      prompt: ["Menu", {prompt: hello}]
      options: {1: agent}
      no_input: "Sorry {who}?"
      no_match: Nope.
  agent: {queue: care, priority: "5"}
"""


def _context() -> LintContext:
    doc = load_text(_FLOW, "sites.yaml")
    flow, diags = build_flow(doc)
    assert flow is not None, diags
    return LintContext(flow, doc, LintConfig())


def _shown(site: ExprSite) -> tuple[Path, str, str]:
    return site.path, site.text, site.role


def test_checked_sites_leave_out_plain_text_prompt_parts_only() -> None:
    ctx = _context()
    every = [_shown(s) for s in ctx.sites()]
    checked = [_shown(c.site) for c in ctx.checked_sites]
    # the same sites in the same order, less the prompt parts without template syntax
    assert checked == [
        s
        for s in every
        if not (
            s[2] in ("prompt", "option_prompt") and s[1] in ("Welcome.", "plain", "Menu", "Nope.")
        )
    ]
    assert ("Welcome.", "prompt") in [(s[1], s[2]) for s in every]
    # plain text that is a value keeps its check: `set` and priorities have types
    assert (("nodes", "count", "set", "n"), "2", "set") in checked
    assert (("nodes", "agent", "priority"), "5", "priority") in checked
    assert {use.name for use in ctx.name_uses} == {"who", "n"}


def test_prompt_part_sites_find_their_source_paths() -> None:
    ctx = _context()
    paths = {s.text: s.path for s in ctx.sites() if s.role == "prompt"}
    assert paths["Hello {who}"] == ("prompts", "hello", "en-US", 0)
    assert paths["{n}"] == ("prompts", "hello", "en-US", 1, "say", "number")
    assert paths["plain"] == ("prompts", "hello", "en-US", 2)
    assert paths["Menu"] == ("nodes", "ask", "menu", "prompt", 0)
    assert paths["Sorry {who}?"] == ("nodes", "ask", "menu", "no_input")
    assert paths["Welcome."] == ("nodes", "start", "play")
    # a site reads as the record it replaces
    site = ExprSite(("prompts", "x"), "Hi", "template", None, "prompt")
    assert site == ExprSite(("prompts", "x"), "Hi", "template", None, "prompt")
    assert hash(site) == hash(ExprSite(("prompts", "x"), "Hi", "template", None, "prompt"))
    assert site.path == ("prompts", "x")
    assert repr(site).startswith("ExprSite(path=('prompts', 'x'), text='Hi'")


def test_prompt_parts_by_kind_in_written_order() -> None:
    ctx = _context()
    refs = [(path, loc, i, part.text) for path, loc, i, part in ctx.prompt_parts("ref")]
    assert refs == [(("nodes", "ask", "menu", "prompt"), "", 1, "hello")]
    assert ctx.prompt_parts("audio") == ()
