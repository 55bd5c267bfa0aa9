"""Parsing expressions: lark LALR(1) grammar (`grammar.lark`) straight to the AST.

The tree is built during parsing (an inline transformer), so there is no intermediate parse
tree and no recursion however long the input. `parse_expr` is cached: the same text is parsed
once and the same (immutable) AST object is returned afterwards.

Lark errors become `ExprError`s with offsets and friendly messages: "unclosed string",
"unbalanced parenthesis", "expected an operand after `==`", and hints for common mistakes
(`=` for `==`, `&&`/`||` for `and`/`or`, `!` for `not`, chained comparisons, a missing
`else`). The mistake tokens are lexed in every parser state (lark's `always_accept`) so the
error points at them precisely; lark's `match_examples` classifies errors that depend on the
parser state.

String literals use `"` or `'`; escapes are `\\n \\t \\r \\0 \\\\ \\" \\' \\xHH \\uHHHH`. Any
other backslash is kept as written, so regular expressions read naturally: `"^\\+86\\d+"`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from importlib import resources
from typing import Any, cast

import lark
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.grammar import Rule
from lark.lark import PostLex
from lark.lexer import TerminalDef

from flowc.lang.expr.ast import (
    KEYWORDS,
    MAX_DEPTH,
    BinOp,
    BoolLit,
    Call,
    Expr,
    FloatLit,
    IfElse,
    IntLit,
    ListLit,
    Name,
    NullLit,
    StrLit,
    Unary,
    depth,
)
from flowc.lang.expr.errors import ExprError

__all__ = ["MAX_DEPTH", "MAX_NUMBER_DIGITS", "parse_expr", "unescape_string"]

MAX_NUMBER_DIGITS = 100

_MISTAKE_TERMINALS = ("BAD_EQ", "BAD_AND", "BAD_OR", "BANG")

_MISTAKE_HINTS: dict[str, tuple[str, str]] = {
    "BAD_EQ": ("`=` is not an operator here", "use `==` to compare"),
    "BAD_AND": ("`{tok}` is not an operator", "use `and`"),
    "BAD_OR": ("`{tok}` is not an operator", "use `or`"),
    "BANG": ("`!` is not an operator", "use `not` (or `!=` to compare)"),
}

_OPERAND_START = frozenset(
    {"NAME", "INT", "FLOAT", "STRING", "TRUE", "FALSE", "NULL", "LPAR", "LSQB"}
)
_COMPARE_TERMINALS = frozenset(
    {"EQ", "NE", "LT", "LE", "GT", "GE", "IN", "NOT", "MATCHES", "STARTSWITH", "ENDSWITH"}
)

# Parser-state-dependent mistakes, classified with lark's `match_examples`. Each label also
# names the token types it applies to: the same state can fail on unrelated tokens.
_EXAMPLES: dict[str, list[str]] = {
    "chained": [
        "a == b == c",
        "a < 1 < c",
        "a < 'x' < c",
        "a < 1.5 < c",
        "a < (b) < c",
        "a < f() < c",
        "a < [b] < c",
        "a < true < c",
        "a < null < c",
        "a in b in c",
    ],
    "missing_else": ["a if b", "a if 1", "a if 'x'", "a if (b)", "a if f()", "a if true"],
}
_EXAMPLE_TOKENS: dict[str, frozenset[str] | None] = {
    "chained": _COMPARE_TERMINALS,
    "missing_else": frozenset({"$END", "RPAR", "RSQB", "COMMA"}),
}
_EXAMPLE_MESSAGES: dict[str, tuple[str, str]] = {
    "chained": (
        "comparisons cannot be chained",
        "combine them with `and`, e.g. `a < b and b < c`",
    ),
    "missing_else": (
        "conditional expression without `else`",
        "write `x if condition else y`",
    ),
}


class _LexMistakes(PostLex):
    """Makes the contextual lexer recognise the mistake tokens in every state."""

    always_accept = _MISTAKE_TERMINALS

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return stream


_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def _unescape_one(m: re.Match[str]) -> str:
    body = m.group(1)
    if len(body) > 1:  # \xHH or \uHHHH
        return chr(int(body[1:], 16))
    simple = _SIMPLE_ESCAPES.get(body)
    return simple if simple is not None else m.group(0)


def unescape_string(literal: str) -> str:
    """The value of a quoted string literal (quotes included in `literal`)."""
    body = literal[1:-1]
    return _ESCAPE_RE.sub(_unescape_one, body) if "\\" in body else body


def _span(item: Any) -> tuple[int, int]:
    if isinstance(item, Token):
        start = item.start_pos or 0
        return start, item.end_pos if item.end_pos is not None else start + len(item)
    return item.start, item.end


class _Builder(Transformer[Token, Expr]):
    """Builds AST nodes on each LALR reduction (every terminal is kept, for the spans)."""

    def str_lit(self, c: list[Token]) -> Expr:
        s, e = _span(c[0])
        return StrLit(unescape_string(str(c[0])), start=s, end=e)

    def int_lit(self, c: list[Token]) -> Expr:
        s, e = _span(c[0])
        if len(c[0]) > MAX_NUMBER_DIGITS:
            raise ExprError("number is too long", s, e)
        return IntLit(int(c[0]), start=s, end=e)

    def float_lit(self, c: list[Token]) -> Expr:
        s, e = _span(c[0])
        value = float(c[0])
        if len(c[0]) > MAX_NUMBER_DIGITS or value == float("inf"):
            raise ExprError("number is out of range", s, e)
        return FloatLit(value, start=s, end=e)

    def true_lit(self, c: list[Token]) -> Expr:
        s, e = _span(c[0])
        return BoolLit(True, start=s, end=e)

    def false_lit(self, c: list[Token]) -> Expr:
        s, e = _span(c[0])
        return BoolLit(False, start=s, end=e)

    def null_lit(self, c: list[Token]) -> Expr:
        s, e = _span(c[0])
        return NullLit(start=s, end=e)

    def name_ref(self, c: list[Token]) -> Expr:
        s, e = _span(c[0])
        return Name(str(c[0]), start=s, end=e)

    def arguments(self, c: list[Any]) -> list[Expr]:
        return [x for x in c if not isinstance(x, Token)]

    def call(self, c: list[Any]) -> Expr:
        func: Token = c[0]
        s, _ = _span(func)
        _, e = _span(c[-1])
        if "." in func:
            raise ExprError(
                f"`{func}` is not a function",
                s,
                s + len(func),
                "only built-in functions can be called; there are no methods",
            )
        args = tuple(c[2]) if len(c) == 4 else ()
        return Call(str(func), args, start=s, end=e)

    def list_lit(self, c: list[Any]) -> Expr:
        s, _ = _span(c[0])
        _, e = _span(c[-1])
        items = tuple(c[1]) if len(c) == 3 else ()
        return ListLit(items, start=s, end=e)

    def paren(self, c: list[Any]) -> Expr:
        s, _ = _span(c[0])
        _, e = _span(c[2])
        inner: Expr = c[1]
        return replace(inner, start=s, end=e)

    def unop(self, c: list[Any]) -> Expr:
        op: Token = c[0]
        s, _ = _span(op)
        _, e = _span(c[1])
        return Unary("not" if op.type == "NOT" else "-", c[1], start=s, end=e)

    def binop(self, c: list[Any]) -> Expr:
        left, op, right = c
        return BinOp(str(op), left, right, start=left.start, end=right.end)  # type: ignore[arg-type]

    def compare(self, c: list[Any]) -> Expr:
        left, right = c[0], c[-1]
        op = " ".join(str(t) for t in c[1:-1])  # "not in" arrives as two tokens
        return BinOp(op, left, right, start=left.start, end=right.end)  # type: ignore[arg-type]

    def ifelse(self, c: list[Any]) -> Expr:
        then, _, cond, _, orelse = c
        return IfElse(then, cond, orelse, start=then.start, end=orelse.end)


def grammar_text() -> str:
    return resources.files("flowc.lang.expr").joinpath("grammar.lark").read_text("utf-8")


def grammar_digest(grammar: str) -> str:
    return hashlib.sha256(grammar.encode("utf-8")).hexdigest()


def tables_current(digest: str, lark_version: str, grammar: str) -> bool:
    """Whether tables stored with this digest and lark version fit `grammar` and this lark."""
    return digest == grammar_digest(grammar) and lark_version == lark.__version__


_GRAMMAR_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "maybe_placeholders": False,
}


def analyse_grammar(grammar: str) -> tuple[dict[str, Any], dict[int, Any]]:
    """The LALR(1) tables and terminals of `grammar`, serialised as plain data: what
    `parser_tables.py` holds (written by `scripts/gen_expr_tables.py`)."""
    # The post-lexer keeps the mistake terminals that no rule uses; it is passed again on load.
    parser = Lark(grammar, **_GRAMMAR_OPTIONS, postlex=_LexMistakes())
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k != "postlex"}
    return data, memo


def _make_parser() -> Lark:
    """The parser, from the stored tables when they were made from this grammar.

    Analysing the grammar takes longer than the whole check of a small flow; loading the
    stored tables takes about a tenth of that. Tables made from another grammar or by another
    lark version are ignored."""
    from flowc.lang.expr import parser_tables

    grammar = grammar_text()
    hooks: dict[str, Any] = {"transformer": _Builder(), "postlex": _LexMistakes()}
    if tables_current(parser_tables.GRAMMAR_SHA256, parser_tables.LARK_VERSION, grammar):
        # lark's own loader for stored tables (its standalone parsers use it too)
        load: Any = Lark._load_from_dict
        loaded: Lark = load(parser_tables.DATA, parser_tables.MEMO, **hooks)
        return loaded
    return Lark(grammar, **_GRAMMAR_OPTIONS, **hooks)


_LARK = _make_parser()


@functools.lru_cache(maxsize=4096)
def parse_expr(text: str) -> Expr:
    """Parse one expression. Raises `ExprError` (only) with offsets into `text`.

    Cached: equal texts give the very same immutable AST object.
    """
    if not text.strip():
        return _raise(ExprError("empty expression", 0, len(text), "write an expression"))
    try:
        expr = cast(Expr, _LARK.parse(text))
    except ExprError:
        raise
    except UnexpectedInput as exc:
        raise _friendly(text, exc) from None
    if depth(expr) > MAX_DEPTH:
        raise ExprError(
            f"expression is nested too deeply (more than {MAX_DEPTH} levels)",
            0,
            len(text),
            "split it into several steps",
        )
    return expr


def _raise(err: ExprError) -> Expr:
    raise err


# ---------------------------------------------------------------- friendly errors


def _scan_brackets(text: str, limit: int) -> tuple[list[tuple[str, int]], tuple[str, int] | None]:
    """Brackets in text[:limit], outside strings: (still open, first unmatched closer)."""
    stack: list[tuple[str, int]] = []
    i = 0
    while i < limit:
        ch = text[i]
        if ch in "\"'":
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if ch in "([":
            stack.append((ch, i))
        elif ch in ")]":
            want = "(" if ch == ")" else "["
            if not stack or stack[-1][0] != want:
                return stack, (ch, i)
            stack.pop()
        i += 1
    return stack, None


_PREV_OP_RE = re.compile(
    r"(not\s+in|==|!=|<=|>=|[-+*/%<>(\[,]|\b(?:and|or|not|in|matches|startswith|endswith|if|else))$"
)


def _previous_operator(text: str, pos: int) -> str | None:
    m = _PREV_OP_RE.search(text[:pos].rstrip())
    if m is None:
        return None
    return re.sub(r"\s+", " ", m.group(1))


def _friendly(text: str, exc: UnexpectedInput) -> ExprError:
    if isinstance(exc, UnexpectedCharacters):
        return _bad_character(text, exc.pos_in_stream or 0)
    if isinstance(exc, UnexpectedToken):
        return _bad_token(text, exc)
    if isinstance(exc, UnexpectedEOF):  # not raised by LALR, kept for safety
        return ExprError("unexpected end of expression", len(text), len(text))
    pos = exc.pos_in_stream or 0
    return ExprError("invalid expression", pos, pos + 1)


def _bad_character(text: str, pos: int) -> ExprError:
    ch = text[pos] if pos < len(text) else ""
    if ch in "\"'":
        return ExprError(
            "unclosed string", pos, len(text), f"close the string with a matching {ch}"
        )
    if ch == "_":
        return ExprError(
            "names cannot start with `_`", pos, pos + 1, "names start with a letter: `tier`"
        )
    if ch == ".":
        return ExprError(
            "unexpected `.`",
            pos,
            pos + 1,
            "there are no methods or attributes; only namespaces such as `caller.number`"
            " have members",
        )
    if ch in "{}":
        return ExprError(f"unexpected `{ch}`", pos, pos + 1, "braces are only used in templates")
    shown = ch if ch.isprintable() else repr(ch)
    return ExprError(f"unexpected character `{shown}`", pos, pos + 1)


def _bad_token(text: str, exc: UnexpectedToken) -> ExprError:
    tok = exc.token
    at_end = tok.type == "$END"
    pos = len(text) if at_end else (tok.start_pos or 0)
    end = len(text) if at_end else pos + len(tok)
    expected: set[str] = set(exc.expected or ()) - set(_MISTAKE_TERMINALS)

    mistake = _MISTAKE_HINTS.get(tok.type)
    if mistake is not None:
        message, hint = mistake
        return ExprError(message.format(tok=tok), pos, end, hint)

    # Brackets: a closer without opener, a mismatch, or an opener never closed.
    open_stack, stray = _scan_brackets(text, len(text) if at_end else end)
    if stray is not None and stray[1] <= pos:
        ch, at = stray
        want = "(" if ch == ")" else "["
        return ExprError(f"unbalanced parenthesis: `{ch}` has no matching `{want}`", at, at + 1)
    if at_end and open_stack and expected & {"RPAR", "RSQB"}:
        ch, at = open_stack[-1]
        close = ")" if ch == "(" else "]"
        return ExprError(
            f"unbalanced parenthesis: `{ch}` is never closed", at, at + 1, f"add `{close}`"
        )

    label = exc.match_examples(_LARK.parse, _EXAMPLES, use_accepts=True)
    if label is not None:
        allowed = _EXAMPLE_TOKENS[label]
        if allowed is None or tok.type in allowed:
            message, hint = _EXAMPLE_MESSAGES[label]
            return ExprError(message, pos, end, hint)

    if expected == {"IN"}:
        return ExprError("expected `in` after `not`", pos, end, "write `a not in b`, or `not a`")

    prev = _previous_operator(text, pos)
    wants_operand = bool(expected & _OPERAND_START) and "PLUS" not in expected
    if wants_operand:
        if at_end:
            if prev is None:
                return ExprError("incomplete expression", pos, end)
            return ExprError(f"expected an operand after `{prev}`", pos, end)
        if prev is None:
            return ExprError(f"an expression cannot start with `{tok}`", pos, end)
        return ExprError(f"expected an operand after `{prev}`, found `{tok}`", pos, end)

    if tok.type in _OPERAND_START or tok.type == "NOT":
        if open_stack and open_stack[-1][0] == "[":
            return ExprError("missing `,` between list items", pos, end, "separate items with `,`")
        if open_stack and _is_call_paren(text, open_stack[-1][1]):
            return ExprError(
                "missing `,` between arguments", pos, end, "separate arguments with `,`"
            )
        hint = "use `==` to compare" if str(tok) == "is" else "add an operator such as `and`"
        return ExprError(f"expected an operator before `{tok}`", pos, end, hint)

    if at_end:
        return ExprError("unexpected end of expression", pos, end)
    return ExprError(f"unexpected `{tok}`", pos, end)


def _is_call_paren(text: str, paren_pos: int) -> bool:
    m = re.search(r"(?<![A-Za-z0-9_.])([A-Za-z][A-Za-z0-9_]*)\s*$", text[:paren_pos])
    return m is not None and m.group(1) not in KEYWORDS
