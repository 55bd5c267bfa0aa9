"""Grammar callbacks: called for every reduction while parsing (no parse tree is built).

Each header statement returns a list of root entries `(path, key span, V)`; each node clause
returns a `Clause`; each node kind collects its clauses and the `node` callback assembles them
into the node mapping, putting every field where the YAML form has it (inside the kind's mapping
for menu, collect and callback, at node level otherwise).

The callbacks receive lark `Token`s (lark's own parser, used to report errors) or `Tok`s (the
fast driver); both have `type`, `value`, `line`, `column`, `end_line` and `end_column`.
Callbacks never raise: problems (duplicates, `barge-in` on a list ...) are recorded in `errors`
and reported after the parse, so lark's error matching can re-parse examples safely.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token, Transformer

from flowc.codes import code
from flowc.source.dsl.values import LIST, MAP, SCALAR, SpanT, Tok, V, extend, join, unquote

FL002 = code("FL002")
FL010 = code("FL010")

TOKENS = (Token, Tok)
# (path, key span, value) relative to the document root.
Entry = tuple[tuple[str, ...], SpanT, V]
# A node clause: (field, sub-key or None, key span, value, op) with op "set" or "append".
Clause = tuple[str, str | None, SpanT, V, str]
# A node kind: (kind, kind keyword token, head value or assignments, clauses).
KindHead = tuple[str, Any, Any, list[Clause]]

_LAYOUT = frozenset({"_NL", "_INDENT", "_DEDENT"})
_TRUE = frozenset({"on", "yes", "true"})
BODY_KINDS = frozenset({"menu", "collect", "callback"})
NODE_LEVEL = frozenset({"next", "description", "tags"})
COLLECTION_NOUNS = {
    "nodes": "node",
    "prompts": "prompt",
    "schedules": "schedule",
    "services": "service",
    "queues": "queue",
    "numbers": "number",
    "mailboxes": "mailbox",
    "variables": "variable",
    "params": "param",
    "returns": "return value",
}


class Problem:
    """A semantic problem found while building: turned into a diagnostic after the parse."""

    __slots__ = ("code", "hint", "message", "related", "span")

    def __init__(
        self,
        code: str,
        message: str,
        span: SpanT,
        hint: str | None = None,
        related: tuple[tuple[str, SpanT], ...] = (),
    ) -> None:
        self.code = code
        self.message = message
        self.span = span
        self.hint = hint
        self.related = related


def duplicate(key: str, span: SpanT, first: SpanT, where: str) -> Problem:
    at = f"line {first[1]}" if first[0] == span[0] else f"{first[0]}:{first[1]}"
    return Problem(
        FL002,
        f"`{key}` is given twice in {where}",
        span,
        f"remove one of them; the first is on {at}",
        (("first given here", first),),
    )


def _toks(children: list[Any]) -> list[Any]:
    return [c for c in children if not (isinstance(c, TOKENS) and c.type in _LAYOUT)]


def _is_tok(x: Any) -> bool:
    return isinstance(x, TOKENS)


def key_text(tok: Any) -> str:
    """A name or a quoted name, as text."""
    value: str = tok.value
    return unquote(value) if tok.type == "STRING" else value


class Builder(Transformer[Token, Any]):
    """The callbacks, one builder per parse: spans name `file`; `errors` collects the problems
    found while building."""

    def __init__(self, file: str = "<text>") -> None:
        super().__init__(visit_tokens=False)
        self.file = file
        self.errors: list[Problem] = []

    # ------------------------------------------------------------------------------ helpers

    def sp(self, tok: Any) -> SpanT:
        return (self.file, tok.line, tok.column, tok.end_line, tok.end_column)

    def scalar(self, tok: Any) -> V:
        """A token as a value, converted by its terminal type."""
        t = tok.type
        text: str = tok.value
        val: Any
        if t == "STRING":
            val = unquote(text)
        elif t == "INT" or t == "FLOAT":
            try:
                val = int(text) if t == "INT" else float(text)
            except ValueError:  # over Python's 4,300-digit limit for decimal ints
                self.errors.append(
                    Problem(
                        FL010,
                        f"this number is too long ({len(text):,} digits)",
                        self.sp(tok),
                        "numbers in a flow are counts, priorities or durations; write long digit"
                        ' strings in quotes: "123..."',
                    )
                )
                val = text
        elif t == "TRUE":
            val = True
        elif t == "FALSE":
            val = False
        elif t == "NULL":
            val = None
        else:
            val = text
        return V(SCALAR, val, (self.file, tok.line, tok.column, tok.end_line, tok.end_column))

    def word(self, tok: Any) -> V:
        """A name (possibly a keyword used as a name) as a string value."""
        return V(SCALAR, tok.value, (self.file, tok.line, tok.column, tok.end_line, tok.end_column))

    def target(self, tok: Any) -> tuple[SpanT, V]:
        """A `-> node` token: (span of the arrow, the node name)."""
        text: str = tok.value
        rest = text[2:].lstrip(" \t")
        col = tok.column + len(text) - len(rest)
        line = tok.line
        name = unquote(rest) if rest.startswith('"') else rest
        return (
            (self.file, line, tok.column, line, tok.column + 2),
            V(SCALAR, name, (self.file, line, col, line, tok.end_column)),
        )

    def span_from(self, first: Any, last: Any) -> SpanT:
        start = self.sp(first)
        if isinstance(last, TOKENS):
            return join(start, self.sp(last))
        if isinstance(last, V):
            return join(start, last.span)
        return start

    def put(self, target: V, key: str, kspan: SpanT, value: V, where: str) -> None:
        """Add `key` to mapping `target`, reporting a duplicate instead of overwriting."""
        table = target.val
        if key in table:
            self.errors.append(duplicate(key, kspan, table[key][0], where))
            return
        table[key] = (kspan, value)
        extend(target, value.span)

    def sub_map(self, target: V, key: str, kspan: SpanT) -> V:
        """The mapping under `key` in `target`, created (spanning from `kspan`) when absent."""
        got = target.val.get(key)
        if got is not None and got[1].kind == MAP:
            return got[1]  # type: ignore[no-any-return]
        new = V(MAP, {}, kspan, True)
        if got is None:
            target.val[key] = (kspan, new)
        else:  # `field x = 1` then `x` used as a mapping: report, keep building elsewhere
            self.errors.append(duplicate(key, kspan, got[0], "this mapping"))
        return new

    def sub_list(self, target: V, key: str, kspan: SpanT) -> V:
        got = target.val.get(key)
        if got is not None and got[1].kind == LIST:
            return got[1]  # type: ignore[no-any-return]
        new = V(LIST, [], kspan, True)
        if got is None:
            target.val[key] = (kspan, new)
        else:
            self.errors.append(duplicate(key, kspan, got[0], "this mapping"))
        return new

    def start(self, c: list[Any]) -> list[Any]:
        return [x for x in c if not isinstance(x, TOKENS)]

    # -------------------------------------------------------------------------- small values

    def name(self, c: list[Any]) -> Any:
        return c[0]

    def arg(self, c: list[Any]) -> V:
        return self.scalar(c[0])

    xfer_target = arg
    tvalue = arg
    dur = arg

    def dtmf(self, c: list[Any]) -> V:
        tok = c[0]
        return V(SCALAR, key_text(tok), self.sp(tok))

    def onoff(self, c: list[Any]) -> V:
        tok = c[0]
        return V(SCALAR, tok.value in _TRUE, self.sp(tok))

    def value(self, c: list[Any]) -> V:
        if len(c) == 1:
            return self.scalar(c[0])
        items = [x for x in c if isinstance(x, V)]
        return V(LIST, items, join(self.sp(c[0]), self.sp(c[-1])))

    def json(self, c: list[Any]) -> V:
        if len(c) == 1:
            return self.scalar(c[0])
        span = join(self.sp(c[0]), self.sp(c[-1]))
        if c[0].type == "LSQB":
            return V(LIST, [x for x in c if isinstance(x, V)], span)
        out = V(MAP, {}, span)
        for pair in c:
            if isinstance(pair, tuple):
                key_tok, val = pair
                self.put(out, key_text(key_tok), self.sp(key_tok), val, "this mapping")
        out.span = span
        return out

    def jpair(self, c: list[Any]) -> tuple[Any, V]:
        return (c[0], c[2])

    def assign(self, c: list[Any]) -> tuple[Any, V]:
        return (c[0], c[2])

    # ------------------------------------------------------------------------------ prompts

    def p_text(self, c: list[Any]) -> V:
        return self.scalar(c[0])

    def _part(self, key: str, kw: Any, inner: V) -> V:
        return V(MAP, {key: (self.sp(kw), inner)}, join(self.sp(kw), inner.span))

    def p_tts(self, c: list[Any]) -> V:
        return self._part("tts", c[0], self.scalar(c[1]))

    def p_audio(self, c: list[Any]) -> V:
        return self._part("audio", c[0], self.scalar(c[1]))

    def p_ref(self, c: list[Any]) -> V:
        return self._part("prompt", c[0], V(SCALAR, key_text(c[1]), self.sp(c[1])))

    def p_say(self, c: list[Any]) -> V:
        kw = c[0]
        say = self._part(kw.value, kw, self.scalar(c[1]))
        return V(MAP, {"say": (self.sp(kw), say)}, say.span)

    def p_group(self, c: list[Any]) -> V:
        return c[1]  # type: ignore[no-any-return]

    def p_list(self, c: list[Any]) -> V:
        return V(LIST, [x for x in c if isinstance(x, V)], join(self.sp(c[0]), self.sp(c[-1])))

    def pseq(self, c: list[Any]) -> V:
        if len(c) == 1:
            return c[0]  # type: ignore[no-any-return]
        parts = [x for x in c if isinstance(x, V)]
        return V(LIST, parts, join(parts[0].span, parts[-1].span))

    def lentry(self, c: list[Any]) -> tuple[Any, V]:
        return (c[0], c[1])

    def lmap(self, c: list[tuple[Any, V]]) -> V:
        out = V(MAP, {}, self.sp(c[0][0]))
        for tag, val in c:
            self.put(out, tag.value, self.sp(tag), val, "this prompt")
        return out

    def barge(self, c: list[Any]) -> tuple[SpanT, V]:
        return (self.sp(c[0]), c[1])

    def prompt_expr(self, c: list[Any]) -> V:
        body: V = c[0]
        if len(c) == 1:
            return body
        kspan, flag = c[1]
        return self.with_barge(body, kspan, flag)

    def with_barge(self, body: V, kspan: SpanT, flag: V) -> V:
        if body.kind == SCALAR and isinstance(body.val, str):
            # `"text" barge-in off` is the tts form: {tts: "text", barge_in: false}
            body = V(MAP, {"tts": (body.span, body)}, body.span)
        elif body.kind != MAP:
            self.errors.append(
                Problem(
                    FL010,
                    "`barge-in` applies to one prompt, not to a list of parts",
                    kspan,
                    'put it after one part, in parentheses: `(audio "a.wav" barge-in off)`,'
                    " or make the prompt a locale map",
                )
            )
            return body
        self.put(body, "barge_in", kspan, flag, "this prompt")
        return body

    def pline(self, c: list[Any]) -> Any:
        c = _toks(c)
        if len(c) == 1:  # a `barge-in` line: (span, flag)
            return c[0]
        return (c[0], c[1])

    def pblock(self, lines: list[Any]) -> V:
        """A block of `locale prompt` lines and `barge-in` lines: a locale map."""
        first = lines[0]
        out = V(MAP, {}, self.sp(first[0]) if _is_tok(first[0]) else first[0])
        barge: tuple[SpanT, V] | None = None
        for line in lines:
            if _is_tok(line[0]):
                tag, val = line
                self.put(out, tag.value, self.sp(tag), val, "this prompt")
            else:
                barge = line
        if barge is not None:
            self.put(out, "barge_in", barge[0], barge[1], "this prompt")
        return out

    def prompt_value(self, c: list[Any], start: int) -> V:
        """The prompt after the keyword(s) before index `start`: inline or a block of lines."""
        rest = c[start:]
        for x in rest:
            if isinstance(x, V):
                return x
        return self.pblock([x for x in rest if not isinstance(x, TOKENS)])

    # ------------------------------------------------------------------------------ header

    def _one(self, key: str, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        val = c[1]
        v = val if isinstance(val, V) else self.scalar(val)
        return [((key,), self.sp(c[0]), v)]

    def include_stmt(self, c: list[Any]) -> tuple[str, str, SpanT]:
        tok = c[1]
        return ("include", unquote(tok.value), join(self.sp(c[0]), self.sp(tok)))

    def flowc_stmt(self, c: list[Any]) -> list[Entry]:
        return self._one("flowc", c)

    def flow_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        kspan = self.sp(c[0])
        out: list[Entry] = [(("flow",), kspan, self.scalar(c[1]))]
        if len(c) > 2:
            out.append((("description",), kspan, self.scalar(c[2])))
        return out

    def description_stmt(self, c: list[Any]) -> list[Entry]:
        return self._one("description", c)

    def entry_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        return [(("entry",), self.sp(c[0]), self.word(c[1]))]

    def locale_stmt(self, c: list[Any]) -> list[Entry]:
        return self._one("locale", c)

    def locales_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        kspan = self.sp(c[0])
        items = [self.scalar(t) for t in c[1:] if t.type != "COMMA"]
        span = join(items[0].span, items[-1].span) if items else kspan
        return [(("locales",), kspan, V(LIST, items, span))]

    def agent_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        kspan = join(self.sp(c[0]), self.sp(c[1]))
        key: V = c[2]
        arrow, goto = self.target(c[3])
        val = V(MAP, {"key": (kspan, key), "goto": (arrow, goto)}, join(key.span, goto.span))
        return [(("agent_key",), kspan, val)]

    def escalate_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        kspan = self.sp(c[0])
        count = self.scalar(c[2])
        arrow, goto = self.target(c[4])
        val = V(
            MAP,
            {"after_failures": (self.sp(c[1]), count), "goto": (arrow, goto)},
            join(count.span, goto.span),
        )
        return [(("escalate",), kspan, val)]

    def param_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        return [(("params", c[1].value), self.sp(c[1]), self.word(c[3]))]

    def returns_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        return [(("returns", c[1].value), self.sp(c[1]), self.word(c[3]))]

    def var_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        name_tok = c[1]
        typ: V | None = None
        default: tuple[SpanT, V] | None = None
        sensitive: tuple[SpanT, V] | None = None
        lines: list[Any] = []
        i = 2
        while i < len(c):
            x = c[i]
            kind = x.type if _is_tok(x) else ""
            if kind == "COLON":
                typ = self.word(c[i + 1])
                i += 2
            elif kind == "EQUAL":
                default = (self.sp(x), c[i + 1])
                i += 2
            elif kind == "SENSITIVE":
                if i + 1 < len(c) and isinstance(c[i + 1], V):
                    sensitive = (self.sp(x), c[i + 1])
                    i += 2
                else:
                    sensitive = (self.sp(x), V(SCALAR, True, self.sp(x)))
                    i += 1
            else:
                lines.append(x)
                i += 1
        path = ("variables", name_tok.value)
        if typ is not None and default is None and sensitive is None and not lines:
            return [(path, self.sp(name_tok), typ)]
        spec = V(MAP, {}, self.sp(c[0]))
        where = f"variable `{name_tok.value}`"
        if typ is not None:
            self.put(spec, "type", typ.span, typ, where)
        if default is not None:
            self.put(spec, "default", default[0], default[1], where)
        if sensitive is not None:
            self.put(spec, "sensitive", sensitive[0], sensitive[1], where)
        for entries in lines:
            for epath, kspan, v in entries:
                self.put(spec, epath[0], kspan, v, where)
        return [(path, self.sp(name_tok), spec)]

    def var_type(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        return [(("type",), self.sp(c[0]), self.word(c[1]))]

    def var_default(self, c: list[Any]) -> list[Entry]:
        return self._one("default", c)

    def var_sensitive(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        v = c[1] if len(c) > 1 else V(SCALAR, True, self.sp(c[0]))
        return [(("sensitive",), self.sp(c[0]), v)]

    def var_description(self, c: list[Any]) -> list[Entry]:
        return self._one("description", c)

    def prompt_stmt(self, c: list[Any]) -> list[Entry]:
        name_tok = c[1]
        val = self.prompt_value(c, 2)
        return [(("prompts", key_text(name_tok)), self.sp(name_tok), val)]

    def field_c(self, c: list[Any]) -> Clause:
        key_tok = c[1]
        return (key_text(key_tok), None, join(self.sp(c[0]), self.sp(key_tok)), c[3], "field")

    def field_line(self, c: list[Any]) -> list[Entry]:
        key, _, kspan, v, _ = c[0]
        return [((key,), kspan, v)]

    # ---------------------------------------------------------------------------- schedules

    def schedule_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        name_tok = c[1]
        where = f"schedule `{key_text(name_tok)}`"
        sched = V(MAP, {}, self.sp(c[0]))
        rest = c[2:]
        if rest and _is_tok(rest[0]):
            tz = self.scalar(rest[0])
            self.put(sched, "timezone", tz.span, tz, where)
            rest = rest[1:]
        for line in rest:
            for item in line:
                path, kspan, v = item[0], item[1], item[2]
                op = item[3] if len(item) > 3 else "set"
                target = sched
                for key in path[:-1]:
                    target = self.sub_map(target, key, kspan)
                    extend(target, v.span)
                if op == "extend":
                    lst = self.sub_list(target, path[-1], kspan)
                    lst.val.extend(v.val)
                    extend(lst, v.span)
                elif op == "ensure":
                    self.sub_map(target, path[-1], kspan)
                else:
                    self.put(target, path[-1], kspan, v, where)
                extend(sched, v.span)
        return [(("schedules", key_text(name_tok)), self.sp(name_tok), sched)]

    def hours_val(self, c: list[Any]) -> V:
        items = [self.scalar(t) for t in c if t.type != "COMMA"]
        if len(items) == 1:
            return items[0]
        return V(LIST, items, join(items[0].span, items[-1].span))

    def sched_days(self, c: list[Any]) -> list[tuple[Any, ...]]:
        c = _toks(c)
        return [(("weekly", key_text(c[0])), self.sp(c[0]), c[1], "set")]

    def sched_tz(self, c: list[Any]) -> list[tuple[Any, ...]]:
        c = _toks(c)
        return [(("timezone",), self.sp(c[0]), self.scalar(c[1]), "set")]

    def sched_holidays(self, c: list[Any]) -> list[tuple[Any, ...]]:
        c = _toks(c)
        kspan = self.sp(c[0])
        out: list[tuple[Any, ...]] = [(("holidays",), kspan, V(MAP, {}, kspan), "ensure")]
        i = 1
        while i < len(c):
            if c[i].type == "SUBDIV":
                out.append((("holidays", "subdiv"), self.sp(c[i]), self.scalar(c[i + 1]), "set"))
                i += 2
            else:
                out.append((("holidays", "calendar"), kspan, self.scalar(c[i]), "set"))
                i += 1
        return out

    def _dates(self, key: str, c: list[Any]) -> list[tuple[Any, ...]]:
        c = _toks(c)
        kspan = self.sp(c[0])
        items = [self.scalar(t) for t in c[1:] if t.type != "COMMA"]
        span = join(items[0].span, items[-1].span) if items else kspan
        return [(("holidays", key), kspan, V(LIST, items, span), "extend")]

    def sched_closed(self, c: list[Any]) -> list[tuple[Any, ...]]:
        return self._dates("closed", c)

    def sched_yearly(self, c: list[Any]) -> list[tuple[Any, ...]]:
        return self._dates("yearly", c)

    def sched_special(self, c: list[Any]) -> list[tuple[Any, ...]]:
        c = _toks(c)
        return [(("special", key_text(c[1])), self.sp(c[1]), c[2], "set")]

    def sched_emergency(self, c: list[Any]) -> list[tuple[Any, ...]]:
        c = _toks(c)
        return [(("emergency",), self.sp(c[0]), self.word(c[1]), "set")]

    # ----------------------------------------------------------------------------- services

    def service_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        name_tok = c[1]
        where = f"service `{key_text(name_tok)}`"
        svc = V(MAP, {}, self.sp(c[0]))
        i = 2
        while i < len(c):
            x = c[i]
            kind = x.type if _is_tok(x) else ""
            if kind == "HTTP_METHOD":
                self.put(svc, "method", self.sp(x), self.scalar(x), where)
                i += 1
            elif kind == "STRING":
                self.put(svc, "url", self.sp(x), self.scalar(x), where)
                i += 1
            elif kind == "TIMEOUT":
                self.put(svc, "timeout", self.sp(x), c[i + 1], where)
                i += 2
            else:
                for path, kspan, v in x:
                    target = svc
                    if len(path) == 2:
                        target = self.sub_map(svc, path[0], kspan)
                        extend(target, v.span)
                    self.put(target, path[-1], kspan, v, where)
                    extend(svc, v.span)
                i += 1
        return [(("services", key_text(name_tok)), self.sp(name_tok), svc)]

    def svc_method(self, c: list[Any]) -> list[Entry]:
        return self._one("method", c)

    def svc_url(self, c: list[Any]) -> list[Entry]:
        return self._one("url", c)

    def svc_timeout(self, c: list[Any]) -> list[Entry]:
        return self._one("timeout", c)

    def svc_retries(self, c: list[Any]) -> list[Entry]:
        return self._one("retries", c)

    def svc_header(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        return [(("headers", key_text(c[1])), self.sp(c[1]), c[2])]

    def svc_body(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        return [(("body", c[1].value), self.sp(c[1]), c[3])]

    # ------------------------------------------------------------------ queues, mailboxes ...

    def attr(self, c: list[Any]) -> tuple[Any, V]:
        val = c[1]
        if isinstance(val, V):
            return (c[0], val)
        return (c[0], self.word(val) if val.type == "WORD" else self.scalar(val))

    def _attrs(self, collection: str, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        name_tok = c[1]
        name = key_text(name_tok)
        where = f"{COLLECTION_NOUNS[collection]} `{name}`"
        spec = V(MAP, {}, self.sp(name_tok))
        for key_tok, val in c[2:]:
            self.put(spec, key_text(key_tok), self.sp(key_tok), val, where)
        return [((collection, name), self.sp(name_tok), spec)]

    def queue_stmt(self, c: list[Any]) -> list[Entry]:
        return self._attrs("queues", c)

    def mailbox_stmt(self, c: list[Any]) -> list[Entry]:
        return self._attrs("mailboxes", c)

    def number_stmt(self, c: list[Any]) -> list[Entry]:
        c = _toks(c)
        return [(("numbers", key_text(c[1])), self.sp(c[1]), self.scalar(c[2]))]

    # -------------------------------------------------------------------------------- nodes

    def node(self, c: list[Any]) -> list[Entry]:
        head = c[0]  # NODE_DEF: `name:` or `"name" :`
        text: str = head.value.rstrip(": \t")
        name = unquote(text) if text.startswith('"') else text
        nspan = (self.file, head.line, head.column, head.line, head.column + len(text))
        body = c[1]
        if isinstance(body, V):  # raw node: `name: {"goto": "x"}`
            return [(("nodes", name), nspan, body)]
        kind, kind_tok, args, clauses = body
        return [(("nodes", name), nspan, self.assemble(name, nspan, kind, kind_tok, args, clauses))]

    def assemble(
        self, name: str, nspan: SpanT, kind: str, kind_tok: Any, head: Any, clauses: list[Clause]
    ) -> V:
        where = f"node `{name}`"
        kspan = self.sp(kind_tok)
        node = V(MAP, {}, nspan)
        inner = node
        if kind in BODY_KINDS:
            inner = V(MAP, {}, kspan)
            self.put(node, kind, kspan, inner, where)
            if head is not None:
                self.put(inner, "into" if kind == "collect" else "number", head.span, head, where)
        elif kind == "switch" or kind == "survey":
            self.put(node, kind, kspan, V(LIST, [], kspan), where)
        elif kind == "set" or kind == "return":
            assigns = V(MAP, {}, kspan)
            self.put(node, kind, kspan, assigns, where)
            for tok, val in head:
                self.put(assigns, tok.value, self.sp(tok), val, where)
                extend(node, val.span)
        else:
            if kind == "play" and head is None:
                # `say` gives a play node's prompt when it is not on the node's first line
                for i, clause in enumerate(clauses):
                    if clause[0] == "prompt":
                        head = clause[3]
                        clauses = clauses[:i] + clauses[i + 1 :]
                        break
            self.put(node, kind, kspan, head if head is not None else V(SCALAR, None, kspan), where)
        for field, sub, cspan, val, op in clauses:
            # `field` entries of menu, collect and callback go inside the kind's mapping
            target = node if (inner is node or (field in NODE_LEVEL and op != "field")) else inner
            if op == "option":
                self._option(self.sub_map(target, field, cspan), str(sub), cspan, val, where)
            elif op == "append":
                lst = self.sub_list(target, field, cspan)
                lst.val.append(val)
                extend(lst, val.span)
            elif sub is None:
                self.put(target, field, cspan, val, where)
            else:
                self.put(self.sub_map(target, field, cspan), sub, cspan, val, where)
            extend(target, val.span)
            extend(node, val.span)
        return node

    def _option(self, options: V, key: str, kspan: SpanT, val: V, where: str) -> None:
        """An `option` block: a second one on the same key makes the key a list of
        alternatives (as `2: [{...}, {...}]` in YAML)."""
        got = options.val.get(key)
        if got is None or got[1].kind == SCALAR:
            self.put(options, key, kspan, val, where)
            return
        first_span, first = got
        if first.kind == MAP:
            first = V(LIST, [first], first.span, True)
            options.val[key] = (first_span, first)
        first.val.append(val)
        extend(first, val.span)
        extend(options, val.span)

    def _kind_head(self, kind: str, c: list[Any]) -> KindHead:
        head: Any = None
        clauses: list[Clause] = []
        assigns: list[tuple[Any, V]] = []
        for x in c[1:]:
            if isinstance(x, tuple):
                if _is_tok(x[0]):
                    assigns.append(x)
                else:
                    clauses.append(x)
            elif isinstance(x, V):
                head = x
            elif x.type == "STRING":  # subflow path
                head = self.scalar(x)
        if kind == "set" or kind == "return":
            head = assigns
        return (kind, c[0], head, clauses)

    def menu_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("menu", c)

    def collect_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("collect", c)

    def switch_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("switch", c)

    def hours_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("hours", c)

    def fetch_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("fetch", c)

    def set_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("set", c)

    def play_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("play", c)

    def queue_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("queue", c)

    def transfer_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("transfer", c)

    def voicemail_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("voicemail", c)

    def record_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("record", c)

    def callback_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("callback", c)

    def survey_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("survey", c)

    def subflow_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("subflow", c)

    def return_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("return", c)

    def hangup_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("hangup", c)

    def goto_k(self, c: list[Any]) -> KindHead:
        return self._kind_head("goto", c)

    # ------------------------------------------------------------------------------ clauses

    def _kv(self, field: str, c: list[Any], nkw: int = 1) -> Clause:
        """`keyword(s) value`: the value is the last child."""
        val = c[-1]
        v = val if isinstance(val, V) else self.scalar(val)
        return (field, None, self.span_from(c[0], c[nkw - 1]), v, "set")

    def _goto(self, field: str, c: list[Any]) -> Clause:
        """`keyword(s) -> node`."""
        arrow, name = self.target(c[-1])
        kspan = arrow if len(c) == 1 else join(self.sp(c[0]), arrow)
        return (field, None, kspan, name, "set")

    def _prompt(self, field: str, c: list[Any], nkw: int = 1) -> Clause:
        val = self.prompt_value(c, nkw)
        return (field, None, self.span_from(c[0], c[nkw - 1]), val, "set")

    def say_c(self, c: list[Any]) -> Clause:
        return self._prompt("prompt", c)

    say_b = say_c

    def noinput_c(self, c: list[Any]) -> Clause:
        return self._prompt("no_input", c, 2)

    noinput_b = noinput_c

    def nomatch_c(self, c: list[Any]) -> Clause:
        return self._prompt("no_match", c, 2)

    nomatch_b = nomatch_c

    def confirm_c(self, c: list[Any]) -> Clause:
        return self._prompt("confirm", c)

    confirm_b = confirm_c

    def thanks_c(self, c: list[Any]) -> Clause:
        return self._prompt("thanks", c)

    thanks_b = thanks_c

    def option_c(self, c: list[Any]) -> Clause:
        key_tok = c[0]
        return ("options", key_text(key_tok), self.sp(key_tok), self.target(c[1])[1], "set")

    def option_b(self, c: list[Any]) -> Clause:
        c = _toks(c)
        kw, key = c[0], c[1]
        arrow, goto = self.target(c[2])
        kspan = self.sp(kw)
        opt = V(MAP, {"goto": (arrow, goto)}, join(kspan, goto.span))
        for field, _sub, cspan, val, _op in c[3:]:
            name = "say" if field == "prompt" else field
            self.put(opt, name, cspan, val, f"option {key.val}")
            extend(opt, val.span)
        return ("options", key.val, key.span, opt, "option")

    def when_c(self, c: list[Any]) -> Clause:
        return self._kv("when", c)

    def rank_c(self, c: list[Any]) -> Clause:
        return self._kv("rank", c)

    def speech_c(self, c: list[Any]) -> Clause:
        word = c[1]
        return ("speech", unquote(word.value), self.sp(word), self.target(c[2])[1], "set")

    def _assign(self, field: str, c: list[Any]) -> Clause:
        name_tok = c[1]
        return (field, name_tok.value, self.sp(name_tok), c[3], "set")

    def param_c(self, c: list[Any]) -> Clause:
        return self._assign("params", c)

    def set_c(self, c: list[Any]) -> Clause:
        return self._assign("set", c)

    def with_c(self, c: list[Any]) -> Clause:
        return self._assign("with", c)

    def return_c(self, c: list[Any]) -> Clause:
        return self._assign("return", c)

    def into_c(self, c: list[Any]) -> Clause:
        return ("into", None, self.sp(c[0]), self.word(c[1]), "set")

    def if_c(self, c: list[Any]) -> Clause:
        kw, expr, tgt = c
        text = expr.value.rstrip()
        espan = (self.file, expr.line, expr.column, expr.line, expr.column + len(text))
        arrow, goto = self.target(tgt)
        rule = V(
            MAP,
            {"if": (self.sp(kw), V(SCALAR, text, espan)), "goto": (arrow, goto)},
            join(self.sp(kw), goto.span),
        )
        return ("switch", None, self.sp(kw), rule, "append")

    def ask_c(self, c: list[Any]) -> Clause:
        kw, id_tok = c[0], c[1]
        kspan = self.sp(kw)
        fields: dict[str, tuple[SpanT, V]] = {}
        idv = V(SCALAR, key_text(id_tok), self.sp(id_tok))
        i = 2
        prompt_start = 2
        while i < len(c):
            x = c[i]
            kind = x.type if _is_tok(x) else ""
            if kind in ("SCALE_RANGE", "YES_NO"):
                fields["scale"] = (self.sp(x), self.scalar(x))
                prompt_start = i + 1
            elif kind == "RETRIES":
                fields["retries"] = (self.sp(x), c[i + 1])
                prompt_start = i + 2
                i += 1
            i += 1
        ask = self.prompt_value(c, prompt_start)
        q = V(MAP, {"id": (self.sp(id_tok), idv), "ask": (kspan, ask), **fields}, kspan)
        extend(q, ask.span)
        return ("survey", None, kspan, q, "append")

    ask_b = ask_c

    def tags_c(self, c: list[Any]) -> Clause:
        items = [self.scalar(t) for t in c[1:] if t.type != "COMMA"]
        return (
            "tags",
            None,
            self.sp(c[0]),
            V(LIST, items, join(items[0].span, items[-1].span)),
            "set",
        )

    def sensitive_c(self, c: list[Any]) -> Clause:
        return self._kv("sensitive", c)

    def speechflag_c(self, c: list[Any]) -> Clause:
        return self._kv("speech", c)


def _simple(field: str, nkw: int = 1) -> Callable[[Builder, list[Any]], Clause]:
    def cb(self: Builder, c: list[Any]) -> Clause:
        return self._kv(field, c, nkw)

    cb.__name__ = field
    return cb


def _goto(field: str) -> Callable[[Builder, list[Any]], Clause]:
    def cb(self: Builder, c: list[Any]) -> Clause:
        return self._goto(field, c)

    cb.__name__ = field
    return cb


for _rule, _field, _n in (
    ("timeout_c", "timeout", 1),
    ("idt_c", "inter_digit_timeout", 3),
    ("retries_c", "retries", 1),
    ("repeat_c", "repeat_key", 2),
    ("agentkey_c", "agent_key", 2),
    ("renumber_c", "renumber", 1),
    ("first_c", "first", 1),
    ("min_c", "min", 1),
    ("max_c", "max", 1),
    ("terminator_c", "terminator", 1),
    ("pattern_c", "pattern", 1),
    ("priority_c", "priority", 1),
    ("announce_c", "announce", 1),
    ("every_c", "announce_every", 2),
    ("maxwait_c", "max_wait", 2),
    ("exitkey_c", "exit_key", 2),
    ("mode_c", "mode", 1),
    ("maxlength_c", "max_length", 2),
    ("beep_c", "beep", 1),
    ("number_c", "number", 1),
    ("description_c", "description", 1),
):
    setattr(Builder, _rule, _simple(_field, _n))

for _rule, _field in (
    ("next_c", "next"),
    ("onfail_c", "on_fail"),
    ("onnoinput_c", "on_no_input"),
    ("else_c", "default"),
    ("open_c", "open"),
    ("closed_c", "closed"),
    ("holiday_c", "holiday"),
    ("emergency_c", "emergency"),
    ("onerror_c", "on_error"),
    ("ontimeout_c", "on_timeout"),
    ("onnoagent_c", "on_no_agent"),
    ("onexit_c", "on_exit"),
    ("after_c", "after"),
):
    setattr(Builder, _rule, _goto(_field))
