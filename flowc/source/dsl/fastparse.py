"""A lean driver for the lark-generated LALR parser: same grammar, tables and lexers, less overhead.

lark's generic `parse` stacks a lexer generator, the indentation post-lexer generator, the LALR
loop and a tree-builder wrapper around every callback. For large flows that is several times
slower than the YAML loader, so the successful path runs this loop instead: it uses lark's parse
table and lark's per-state contextual lexers (their terminals, in their order, with their
keyword handling, so it accepts exactly the same language), does the indentation bookkeeping of
`FlowIndenter` inline, and calls the `Builder` callbacks directly.

Any lexing or parsing problem raises `Fallback`; the caller then re-parses with lark's own
`parse`, which raises the precise `UnexpectedInput` the error messages are built from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lark import Lark
from lark.parsers.lalr_analysis import Shift

from flowc.source.document import comment_text
from flowc.source.dsl.transform import Builder
from flowc.source.dsl.values import Tok


class Fallback(Exception):
    """The fast path met something it does not handle: let lark parse (and report) it."""


class Splice(list[Any]):
    """The children of an inlined rule (`_rule`, EBNF helpers), spliced into the parent."""

    __slots__ = ()


PASS, SPLICE, CALL = 0, 1, 2
# Rules whose callback returns its only child unchanged.
PASS_THROUGH = frozenset({"name"})
OPEN = frozenset({"LPAR", "LSQB", "LBRACE"})
CLOSE = frozenset({"RPAR", "RSQB", "RBRACE"})
CONTINUE_AFTER = frozenset({"PLUS", "COMMA"})
# What may not follow a keyword: more of a word (`flowx`), but `else->x` is fine.
WORD_CHAR = re.compile(r"\w|-(?!>)")

# (regex, keyword maps by terminal type) for one lexer state
_LexState = tuple[re.Pattern[str], dict[str, dict[str, str]]]
_Rule = tuple[int, int, str, bool, Callable[[Builder, list[Any]], Any] | None]


def keyword_types(lark: Lark) -> frozenset[str]:
    """Terminals that are keywords (`menu`, `barge-in` ...): they must be whole words."""
    return frozenset(
        t.name
        for t in lark.terminals
        if t.pattern.type == "str" and re.fullmatch(r"[A-Za-z_][\w\-]*", t.pattern.value)
    )


class FastParser:
    """Built once per grammar; `parse` takes the builder of each parse."""

    def __init__(self, lark: Lark) -> None:
        frontend: Any = lark.parser
        table = frontend.parser.parser.parse_table
        contextual = frontend.lexer.lexer
        self.keywords = keyword_types(lark)
        self.start_state: int = table.start_states["start"]
        self.end_state: int = table.end_states["start"]
        rules: list[Any] = []
        index: dict[Any, int] = {}
        actions: dict[int, dict[str, int]] = {}
        for state, acts in table.states.items():
            row: dict[str, int] = {}
            for sym, (act, arg) in acts.items():
                if act is Shift:
                    row[sym] = arg
                else:
                    ix = index.get(arg)
                    if ix is None:
                        ix = index[arg] = len(rules)
                        rules.append(arg)
                    row[sym] = -1 - ix
            actions[state] = row
        self.actions = actions
        inline_names = {r.origin.name for r in rules if r.origin.name.startswith("_")}
        # (mode, size, origin, children may hold splices?, callback); mode PASS keeps the single
        # child as it is (inlined one-child rules and `name`), SPLICE inlines, CALL calls back.
        self.rules: list[_Rule] = []
        for r in rules:
            name = r.origin.name
            size = len(r.expansion)
            inline = name.startswith("_")
            has_inline = any(not s.is_term and s.name in inline_names for s in r.expansion)
            if (inline or name in PASS_THROUGH) and size == 1:
                mode = PASS
            elif inline:
                mode = SPLICE
            else:
                mode = CALL
            fn = getattr(Builder, name) if mode == CALL else None  # called with the builder
            self.rules.append((mode, size, name, has_inline, fn))
        shared: dict[int, _LexState] = {}
        self.lexers: dict[int, _LexState] = {}
        for state, basic in contextual.lexers.items():
            got = shared.get(id(basic))
            if got is None:
                scanner = basic.scanner
                keywords = {
                    ttype: {t.pattern.value: t.name for t in cb.scanner.terminals}
                    for ttype, cb in basic.callback.items()
                }
                # lark's alternation for this state, in lark's order, with the ignored
                # whitespace folded in as a prefix (one match per token instead of two)
                if not basic.ignore_types <= {"WS"}:  # pragma: no cover - grammar invariant
                    raise ValueError(f"unexpected ignored terminals {basic.ignore_types}")
                # and keywords made whole-word (`flowx` is not `flow` + `x`)
                alts = "|".join(
                    f"(?P<{t.name}>{t.pattern.to_regexp()}"
                    + (r"(?!\w|-(?!>)))" if t.name in self.keywords else ")")
                    for t in scanner.terminals
                    if t.name not in basic.ignore_types
                )
                got = shared[id(basic)] = (re.compile(f"[ \\t\\f]*(?:{alts})"), keywords)
            self.lexers[state] = got

    def parse(self, text: str, comments: list[tuple[int, str, bool]], builder: Builder) -> Any:
        """Parse `text` (which ends with a newline) with `builder`'s callbacks; fills `comments`.
        Raises `Fallback`."""
        actions = self.actions
        rules = self.rules
        lexers = self.lexers
        stack = [self.start_state]
        values: list[Any] = []

        def feed(ttype: str, tok: Any) -> None:
            while True:
                a = actions[stack[-1]].get(ttype)
                if a is None:
                    raise Fallback
                if a >= 0:
                    stack.append(a)
                    values.append(tok)
                    return
                mode, size, origin, has_inline, fn = rules[-1 - a]
                if mode == PASS:
                    stack[-1] = actions[stack[-2]][origin]
                    continue
                if size:
                    args = values[-size:]
                    del values[-size:]
                    del stack[-size:]
                else:
                    args = []
                if mode == SPLICE:
                    val = _flat(args)
                else:
                    val = fn(builder, _flat(args) if has_inline else args)  # type: ignore[misc]
                stack.append(actions[stack[-1]][origin])
                values.append(val)

        pos = 0
        n = len(text)
        line = 1
        line_start = 0
        levels = [0]
        opened = 0
        last = ""
        while pos < n:
            rx, keywords = lexers[stack[-1]]
            m = rx.match(text, pos)
            if m is None:
                if text[pos:].strip(" \t\f"):
                    raise Fallback
                break  # only spaces left
            ttype: str = m.lastgroup  # type: ignore[assignment]
            value = m.group(ttype)
            pos = m.start(ttype)
            end = m.end()
            kw = keywords.get(ttype)
            if kw is not None:
                ttype = kw.get(value, ttype)
            col = pos - line_start + 1
            if ttype == "_NL":
                if "#" in value:
                    collect_comments(value, line, comments)
                cut = value.rfind("\n")
                tok = Tok("_NL", value, line, col, line, col + 1)
                line += value.count("\n")
                line_start = pos + cut + 1
                pos = end
                if opened or last in CONTINUE_AFTER:
                    continue
                feed("_NL", tok)
                last = "_NL"
                indent = value[cut + 1 :]
                width = len(indent)
                if "\t" in indent:
                    raise Fallback
                if width > levels[-1]:
                    levels.append(width)
                    feed("_INDENT", Tok("_INDENT", indent, line, 1, line, width + 1))
                elif width < levels[-1]:
                    while width < levels[-1]:
                        levels.pop()
                        feed("_DEDENT", Tok("_DEDENT", indent, line, width + 1, line, width + 1))
                    if width != levels[-1]:
                        raise Fallback
                continue
            if last == "" and col != 1:
                raise Fallback
            if ttype in OPEN:
                opened += 1
            elif ttype in CLOSE and opened:
                opened -= 1
            last = ttype
            tok = Tok(ttype, value, line, col, line, col + end - pos)
            pos = end
            # feed(ttype, tok), inlined: this is the hot path
            while True:
                a = actions[stack[-1]].get(ttype)
                if a is None:
                    raise Fallback
                if a >= 0:
                    stack.append(a)
                    values.append(tok)
                    break
                mode, size, origin, has_inline, fn = rules[-1 - a]
                if mode == PASS:
                    stack[-1] = actions[stack[-2]][origin]
                    continue
                if size:
                    args = values[-size:]
                    del values[-size:]
                    del stack[-size:]
                else:
                    args = []
                if mode == SPLICE:
                    val = _flat(args)
                else:
                    val = fn(builder, _flat(args) if has_inline else args)  # type: ignore[misc]
                stack.append(actions[stack[-1]][origin])
                values.append(val)
        while len(levels) > 1:
            levels.pop()
            feed("_DEDENT", Tok("_DEDENT", "", line, 1, line, 1))
        while stack[-1] != self.end_state:
            a = actions[stack[-1]].get("$END")
            if a is None or a >= 0:
                raise Fallback
            mode, size, origin, has_inline, fn = rules[-1 - a]
            if mode == PASS:
                stack[-1] = actions[stack[-2]][origin]
                continue
            args = values[-size:] if size else []
            if size:
                del values[-size:]
                del stack[-size:]
            if mode == SPLICE:
                val = _flat(args)
            else:
                val = fn(builder, _flat(args) if has_inline else args)  # type: ignore[misc]
            stack.append(actions[stack[-1]][origin])
            values.append(val)
        return values[-1]


def _flat(args: list[Any]) -> Splice:
    if args and type(args[0]) is Splice:
        out: Splice = args[0]
        rest = args[1:]
    else:
        out = Splice()
        rest = args
    for x in rest:
        if type(x) is Splice:
            out.extend(x)
        else:
            out.append(x)
    return out


def collect_comments(value: str, line: int, out: list[tuple[int, str, bool]]) -> None:
    """Comments inside one `_NL` token: (line, text, trailing?) with the text stripped."""
    for i, seg in enumerate(value.split("\n")):
        seg = seg.strip()
        if seg.startswith("#"):
            out.append((line + i, comment_text(seg), i == 0))
