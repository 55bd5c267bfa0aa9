"""FL2xx, FL3xx, FL5xx: the lint rules, run on a flow whose shape is valid.

Each rule's what/why/example/fix is the docstring of its module under `flowc/lint/rules/`,
whose first paragraph is `CODE name: summary` (a test holds the two to the same words).
Only these codes can be selected, ignored or given another severity in `[tool.flowc]`.
"""

from __future__ import annotations

from flowc.codes.entry import Entry
from flowc.diagnostics import Severity

E = Severity.ERROR
W = Severity.WARNING


def _rule(code: str, name: str, severity: Severity, summary: str) -> Entry:
    return Entry(code, name, severity, summary, rule=True)


ENTRIES: tuple[Entry, ...] = (
    _rule("FL201", "dangling-reference", E, "A continuation names a node that does not exist."),
    _rule("FL202", "unreachable-node", W, "No path from the entry node leads to this node."),
    _rule(
        "FL203",
        "dead-end",
        E,
        "From a node the call can never end, or a node that needs a way on has none.",
    ),
    _rule(
        "FL204", "busy-loop", E, "A loop in the flow has nothing in it that waits for the caller."
    ),
    _rule(
        "FL205",
        "unknown-definition",
        E,
        "A node names a schedule, service, queue, mailbox, number or prompt that the header "
        "does not define.",
    ),
    _rule("FL206", "subflow-mismatch", E, "A subflow call does not fit the module it calls."),
    _rule("FL207", "subflow-cycle", E, "Subflow modules that call each other in a circle."),
    _rule(
        "FL208",
        "escalate-in-module",
        E,
        "A subflow module sets `escalate`, which only the main flow can.",
    ),
    _rule(
        "FL221",
        "time-to-agent",
        W,
        "Callers may hear more prompts than the budget before reaching a person.",
    ),
    _rule("FL222", "no-path-to-agent", W, "No path from the entry ever reaches a person."),
    _rule(
        "FL301",
        "menu-key-conflict",
        E,
        "One key (or one spoken word) has two meanings in a menu or collect.",
    ),
    _rule("FL302", "menu-without-agent", W, "A menu offers the caller no way to ask for a person."),
    _rule("FL303", "menu-too-deep", W, "Menus are nested deeper than callers can follow."),
    _rule("FL304", "menu-too-wide", W, "A menu offers more options than callers can keep in mind."),
    _rule(
        "FL305",
        "missing-retry-handling",
        W,
        "A menu or collect does not say what happens when the caller is silent, presses a "
        "wrong key, or fails every retry.",
    ),
    _rule(
        "FL306",
        "missing-locale",
        W,
        "A prompt does not cover exactly the locales the flow declares.",
    ),
    _rule(
        "FL307", "missing-audio", E, "An `{audio: path}` prompt names a file that does not exist."
    ),
    _rule(
        "FL308",
        "option-condition-constant",
        W,
        "A menu option's `when` is always true or never true.",
    ),
    _rule(
        "FL309",
        "option-key-clash",
        E,
        "Two options on one key can be offered to the same caller.",
    ),
    _rule(
        "FL310",
        "menu-may-be-empty",
        W,
        "Every option of a menu has a `when`, and all may be false at once.",
    ),
    _rule(
        "FL311",
        "person-only-when",
        W,
        "A menu offers a way to a person only under a condition.",
    ),
    _rule(
        "FL501",
        "unknown-variable",
        E,
        "An expression reads a name that is not defined, or a `set` assigns a variable that is "
        "not declared.",
    ),
    _rule(
        "FL502",
        "expression-type-error",
        E,
        "An expression or template mixes types that cannot work.",
    ),
    _rule("FL503", "expression-syntax", E, "An expression or template does not parse."),
    _rule(
        "FL504",
        "sensitive-leak",
        E,
        "A sensitive value (a PIN, a card number) is read where it leaks.",
    ),
    _rule(
        "FL505",
        "unused-definition",
        W,
        "A variable, prompt, schedule, service, queue, number or mailbox is defined in the "
        "header and never used.",
    ),
    _rule(
        "FL506",
        "regex-not-supported",
        E,
        "A pattern the linear-time regex engine (RE2) cannot run.",
    ),
    _rule(
        "FL507",
        "unbounded-growth",
        W,
        "A loop that makes a variable longer (or larger) on every turn.",
    ),
)
