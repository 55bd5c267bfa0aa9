"""Parse `.flow` text into a `SourceDoc` holding exactly the data the YAML form loads to.

    parse_dsl_text(text, file) -> SourceDoc
    parse_dsl_file(path, display_name=None) -> SourceDoc

Syntax errors raise `FlowcError` with one FL010 diagnostic (file:line:col, a message for call-flow
authors and a hint); duplicate node names and keys raise FL002; problems with `include` raise
FL011. No other exception escapes for bad input (an unreadable top-level file raises `OSError`,
as the YAML loader does, and the pipeline reports it).
"""

from __future__ import annotations

import bisect
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

from lark import Lark, Token
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedInput,
)
from lark.lark import PostLex
from lark.lexer import LexerThread
from lark.parser_frontends import PostLexConnector
from lark.parsers.lalr_parser import _Parser as LalrDriver

from flowc.codes import code
from flowc.diagnostics import Diagnostic, FlowcError, Severity, did_you_mean
from flowc.source.document import Path, SourceDoc, Span
from flowc.source.dsl.fastparse import WORD_CHAR, Fallback, FastParser, collect_comments
from flowc.source.dsl.fastparse import keyword_types as _keyword_types
from flowc.source.dsl.printer import NODE_KINDS
from flowc.source.dsl.transform import COLLECTION_NOUNS, Builder, Problem, duplicate
from flowc.source.dsl.values import MAP, SpanT, V, extend, materialize
from flowc.source.files import (
    MAX_FLOW_BYTES,
    FileRefused,
    check_inside_project,
    read_bounded,
)

SYNTAX = code("FL010")
DUPLICATE = code("FL002")
INCLUDE = code("FL011")

GRAMMAR_FILE = FsPath(__file__).with_name("grammar.lark")
HEADER_WORDS = (
    "include",
    "flowc",
    "flow",
    "description",
    "entry",
    "locale",
    "locales",
    "agent",
    "param",
    "returns",
    "var",
    "prompt",
    "schedule",
    "service",
    "queue",
    "number",
    "mailbox",
    "field",
)
# What an included file may define.
INCLUDABLE = ("variables", "prompts", "schedules", "services", "queues", "numbers", "mailboxes")

_OPEN = {"LPAR": ")", "LSQB": "]", "LBRACE": "}"}
_CLOSE = frozenset({"RPAR", "RSQB", "RBRACE"})
_CONTINUE_AFTER = frozenset({"PLUS", "COMMA"})


class IndentProblem(LarkError):
    """Raised by the post-lexer for what the grammar cannot see (tabs, odd dedents, `flowx`)."""

    def __init__(self, line: int, col: int, message: str, hint: str, width: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
        self.message = message
        self.hint = hint
        self.width = width


class FlowIndenter(PostLex):
    """Python-style INDENT/DEDENT from the `_NL` tokens; collects comments on the way.

    `_NL` absorbs the trailing comment of a line and any blank or comment-only lines after it,
    so the indentation that counts is that of the last line in the token. One per parse of
    `text` (it keeps the comments and the brackets still open).
    """

    always_accept = ("_NL",)

    def __init__(
        self,
        text: str = "",
        keywords: frozenset[str] = frozenset(),
        all_words: tuple[str, ...] = (),
    ) -> None:
        self.comments: list[tuple[int, str, bool]] = []
        self.open: list[Token] = []
        self.text = text
        self.keywords = keywords
        self.all_words = all_words

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        levels = [0]
        opened = self.open
        last = ""
        tok: Token | None = None
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                self._comments(tok)
                if opened or last in _CONTINUE_AFTER:
                    continue  # a line break inside brackets or after `+`/`,` continues the line
                yield tok
                last = "_NL"
                text = str(tok)
                cut = text.rfind("\n")
                indent = text[cut + 1 :]
                line = tok.line + text.count("\n")  # type: ignore[operator]
                if "\t" in indent:
                    raise IndentProblem(
                        line,
                        indent.index("\t") + 1,
                        "this line is indented with a tab",
                        "indent with spaces only; tabs look different in every editor",
                    )
                width = len(indent)
                if width > levels[-1]:
                    levels.append(width)
                    yield Token("_INDENT", indent, 0, line, 1, line, width + 1, 0)
                else:
                    inner = levels[-1]
                    while width < levels[-1]:
                        levels.pop()
                        yield Token("_DEDENT", indent, 0, line, width + 1, line, width + 1, 0)
                    if width != levels[-1]:
                        raise IndentProblem(
                            line,
                            width + 1,
                            f"this line is indented by {width} spaces, which lines up with no"
                            " line above",
                            f"indent it by {inner} spaces (like the lines above it) or by"
                            f" {levels[-1]} (like the line it belongs to)",
                        )
                continue
            if kind in self.keywords:
                end = tok.end_pos or 0
                if WORD_CHAR.match(self.text, end):
                    word = _word_at(self.text, tok.start_pos or 0)
                    parts = word.split("_")
                    if len(parts) > 1 and all(p in self.all_words for p in parts):
                        # YAML's `max_wait` is `max wait` in the text form
                        hint = f"the text form writes it with spaces: `{' '.join(parts)}`"
                    else:
                        hint = did_you_mean(word, self.all_words) or "check the spelling"
                    raise IndentProblem(
                        tok.line or 1, tok.column or 1, f"unknown word `{word}`", hint, len(word)
                    )
            if last == "" and tok.column != 1:
                raise IndentProblem(
                    tok.line or 1,
                    1,
                    "the first line of a flow must not be indented",
                    "start statements and nodes at the left margin",
                )
            if kind in _OPEN:
                opened.append(tok)
            elif kind in _CLOSE and opened:
                opened.pop()
            last = kind
            yield tok
        line = (tok.end_line or 1) + 1 if tok is not None else 1
        while len(levels) > 1:
            levels.pop()
            yield Token("_DEDENT", "", 0, line, 1, line, 1, 0)

    def _comments(self, tok: Token) -> None:
        text = str(tok)
        if "#" in text:
            collect_comments(text, tok.line or 1, self.comments)


def grammar_cache() -> str | bool:
    """Where lark keeps the analysed DSL grammar between runs, or False for no cache.

    The cache is a pickle, and loading it runs whatever it holds: lark's default (a name any
    local user can predict in the shared temp folder) would let another user plant one. So it
    lives in the user's own cache folder, and only when that folder is private.
    """
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(root, "flowc")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.stat(folder)
    except OSError:
        return False
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        return False
    return os.path.join(folder, "dsl-grammar.lark")


class _Grammar:
    """The analysed grammar, shared by every parse and changed by none: lark's tables and
    lexers, the fast driver built on them, the keywords. Each parse brings its own `Builder`
    and `FlowIndenter`."""

    def __init__(self) -> None:
        # The indenter given here only tells lark which terminals it adds (`always_accept`).
        self.lark = Lark(
            GRAMMAR_FILE.read_text(encoding="utf-8"),
            parser="lalr",
            lexer="contextual",
            postlex=FlowIndenter(),
            maybe_placeholders=False,
            cache=grammar_cache(),
        )
        self.keywords = _keyword_types(self.lark)
        self.all_words = tuple(sorted({_keyword(self.lark, t) or "" for t in self.keywords} - {""}))
        self.fast: FastParser | None = None
        try:
            self.fast = FastParser(self.lark)
        except Exception:  # pragma: no cover - depends on the installed lark
            # this lark's internals do not fit the fast driver: lark's own parser does all the
            # work (slower, same results)
            self.fast = None

    def indenter(self, text: str) -> FlowIndenter:
        return FlowIndenter(text, self.keywords, self.all_words)

    def parse(self, text: str, builder: Builder, indenter: FlowIndenter) -> Any:
        """lark's own parse of `text`, building with `builder`, indenting with `indenter`.

        What `Lark.parse` does, with this parse's callbacks and post-lexer in place of the ones
        lark keeps in the shared parser: the same tables, lexers and errors."""
        shared: Any = self.lark
        callbacks = shared._parse_tree_builder.create_callback(builder)
        parser = LalrDriver(shared.parser.parser.parser.parse_table, callbacks)
        connect: Any = PostLexConnector
        tokens = LexerThread.from_text(connect(shared.parser.lexer.lexer, indenter), text)
        return parser.parse(tokens, "start")


_GRAMMAR_LOCK = threading.Lock()
_GRAMMARS: list[_Grammar] = []


def _grammar() -> _Grammar:
    """The grammar, analysed on first use (lark caches the analysis between processes)."""
    if not _GRAMMARS:
        with _GRAMMAR_LOCK:
            if not _GRAMMARS:
                _GRAMMARS.append(_Grammar())
    return _GRAMMARS[0]


# ------------------------------------------------------------------------------------ parsing


class _Parsed:
    """One file's statements, before includes are merged."""

    def __init__(
        self,
        items: list[Any],
        comments: list[tuple[int, str, bool]],
        problems: list[Problem],
    ) -> None:
        self.items = items
        self.comments = comments
        self.problems = problems


# Tests set this to False to check that lark's own parser builds the same documents.
USE_FAST_PATH = True


def _statements(text: str, file: str) -> _Parsed:
    """Lex and parse one file: its statement entries, comments and problems."""
    grammar = _grammar()
    if USE_FAST_PATH and grammar.fast is not None:
        builder = Builder(file)
        comments: list[tuple[int, str, bool]] = []
        try:
            items: Any = grammar.fast.parse(text, comments, builder)
            return _Parsed(items, comments, builder.errors)
        except Fallback:
            pass
    # Something is wrong (or unusual): lark's own parser reports it precisely.
    builder = Builder(file)
    indenter = grammar.indenter(text)
    try:
        items = grammar.parse(text, builder, indenter)
    except IndentProblem as exc:
        raise FlowcError(
            [_diag(file, exc.line, exc.col, exc.message, exc.hint, exc.width)]
        ) from None
    except UnexpectedInput as exc:
        opened = list(indenter.open)
        try:
            diag = _syntax_diag(exc, text, file, opened)
        except Exception:  # pragma: no cover - a bug in the wording must not hide the error
            line = exc.line if isinstance(exc.line, int) and exc.line > 0 else 1
            col = exc.column if isinstance(exc.column, int) and exc.column > 0 else 1
            diag = _diag(file, line, col, "syntax error", None)
        raise FlowcError([diag]) from None
    except LarkError as exc:  # pragma: no cover - any other lark failure, still a diagnostic
        raise FlowcError([_diag(file, 1, 1, f"cannot parse this file: {exc}", None)]) from None
    return _Parsed(items, indenter.comments, builder.errors)


def parse_dsl_text(text: str, file: str, *, includes: bool = True) -> SourceDoc:
    """Parse DSL text. `file` names it in spans and anchors relative `include` paths.

    With `includes=False` the `include` lines are skipped (for formatters that must not inline
    other files); `list_includes` gives them.
    """
    return _guarded(text, file, FsPath(file).parent, includes)


def parse_dsl_file(path: str | os.PathLike[str], display_name: str | None = None) -> SourceDoc:
    """Read and parse a `.flow` file. `display_name` is the name used in spans.

    Raises `OSError` when the file cannot be read (like the YAML loader), `FlowcError` for
    everything wrong inside it."""
    fs = FsPath(path)
    name = display_name or str(path)
    try:
        data = read_bounded(fs, MAX_FLOW_BYTES)  # regular files only, at most the limit
    except FileRefused as exc:
        which = code("FL004") if exc.kind == "too_large" else code("FL009")
        hint = "split the flow into subflow modules" if exc.kind == "too_large" else exc.hint
        diag = Diagnostic(which, Severity.ERROR, exc.message, Span.whole_file(name), hint)
        raise FlowcError([diag]) from None
    text = _decode(data, name)
    return _guarded(text, name, fs.parent, True)


def _guarded(text: str, file: str, base_dir: FsPath, includes: bool) -> SourceDoc:
    try:
        return _parse_doc(text, file, base_dir, includes)
    except FlowcError:
        raise
    except RecursionError:
        raise FlowcError(
            [_diag(file, 1, 1, "this file is nested too deeply to read", "flatten the nesting")]
        ) from None
    except LarkError as exc:  # pragma: no cover - lark failures are all caught earlier
        raise FlowcError([_diag(file, 1, 1, f"cannot parse this file: {exc}", None)]) from None


def list_includes(text: str, file: str) -> list[tuple[str, Span]]:
    """The `include` lines of a DSL text, as (path as written, span), without reading them."""
    parsed = _statements(_prepare(text), file)
    return [(item[1], Span(*item[2])) for item in parsed.items if isinstance(item, tuple)]


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FlowcError(
            [_diag(name, line, 1, "this file is not UTF-8 text", "save it as UTF-8")]
        ) from None


def _prepare(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.endswith("\n"):
        text += "\n"
    return text


def _parse_doc(text: str, file: str, base_dir: FsPath, includes: bool) -> SourceDoc:
    return _build_doc(text, file, base_dir, includes)


def _build_doc(text: str, file: str, base_dir: FsPath, includes: bool) -> SourceDoc:
    text = _prepare(text)
    parsed = _statements(text, file)
    problems = list(parsed.problems)
    lines = text.count("\n")
    root = V(MAP, {}, (file, 1, 1, lines + 1, 1))
    stack = ((_identity(base_dir / FsPath(file).name), file),)
    _merge(root, parsed.items, file, base_dir, stack, includes, problems)
    if problems:
        raise FlowcError(sorted((_problem_diag(p) for p in problems), key=Diagnostic.sort_key))
    doc = SourceDoc(file=file, text=text, data=None)
    implicit: set[Path] = set()
    doc.data = materialize(root, (), doc.spans, doc.key_spans, implicit)
    if parsed.comments:
        doc.comments = _place_comments(parsed.comments, doc, file, implicit)
    return doc


def _identity(path: FsPath) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError on Python 3.11)
        return os.path.abspath(path)


def _merge(
    root: V,
    items: list[Any],
    file: str,
    base_dir: FsPath,
    stack: tuple[tuple[str, str], ...],
    includes: bool,
    problems: list[Problem],
    only: tuple[str, ...] | None = None,
) -> None:
    """Insert statement entries into the root mapping, following includes."""
    for item in items:
        if isinstance(item, tuple):  # ("include", path, span)
            if includes:
                _include(root, item[1], item[2], file, base_dir, stack, problems)
            continue
        for path, kspan, value in item:
            if only is not None and path[0] not in only:
                problems.append(
                    Problem(
                        INCLUDE,
                        f"an included file cannot set `{path[0]}`",
                        kspan,
                        "included files only define " + ", ".join(only),
                    )
                )
                continue
            _insert(root, path, kspan, value, problems)


def _insert(
    root: V, path: tuple[str, ...], kspan: SpanT, value: V, problems: list[Problem]
) -> None:
    if len(path) == 1:
        key = path[0]
        if key in root.val:
            problems.append(duplicate(key, kspan, root.val[key][0], "the flow header"))
            return
        root.val[key] = (kspan, value)
        return
    coll, key = path
    got = root.val.get(coll)
    if got is None:
        target = V(MAP, {}, kspan, True)
        root.val[coll] = (kspan, target)
    elif got[1].kind != MAP:
        problems.append(duplicate(coll, kspan, got[0], "the flow header"))
        return
    else:
        target = got[1]
    if key in target.val:
        first = target.val[key][0]
        noun = COLLECTION_NOUNS.get(coll, coll)
        where = "line " + str(first[1]) if first[0] == kspan[0] else f"{first[0]}:{first[1]}"
        problems.append(
            Problem(
                DUPLICATE,
                f"{noun} `{key}` is defined twice",
                kspan,
                f"rename or remove one of them; the first is on {where}",
                (("first defined here", first),),
            )
        )
        return
    target.val[key] = (kspan, value)
    extend(target, value.span)


def _include(
    root: V,
    rel: str,
    span: SpanT,
    file: str,
    base_dir: FsPath,
    stack: tuple[tuple[str, str], ...],
    problems: list[Problem],
) -> None:
    target = base_dir / rel
    ident = _identity(target)
    shown = os.path.normpath(os.path.join(os.path.dirname(file), rel))
    idents = [i for i, _ in stack]
    if ident in idents:
        chain = [name for _, name in stack[idents.index(ident) :]] + [shown]
        problems.append(
            Problem(
                INCLUDE,
                "include cycle: " + " -> ".join(chain),
                span,
                "remove one of the `include` lines that form the cycle",
            )
        )
        return
    try:
        # resolved against the project of the first file: never read outside it
        check_inside_project(target, FsPath(stack[0][0]), rel)
        text = _decode(read_bounded(target, MAX_FLOW_BYTES), shown)
    except FileRefused as exc:
        problems.append(Problem(INCLUDE, f"cannot include `{rel}`: {exc.message}", span, exc.hint))
        return
    except FlowcError as exc:
        problems.extend(_as_problem(d) for d in exc.diagnostics)
        return
    except OSError as exc:
        problems.append(
            Problem(
                INCLUDE,
                f"cannot read included file `{rel}`: {exc.strerror or exc}",
                span,
                "paths are relative to the file that includes them",
            )
        )
        return
    try:
        parsed = _statements(_prepare(text), shown)
    except FlowcError as exc:
        problems.extend(_as_problem(d) for d in exc.diagnostics)
        return
    problems.extend(parsed.problems)
    _merge(
        root,
        parsed.items,
        shown,
        target.parent,
        (*stack, (ident, shown)),
        True,
        problems,
        INCLUDABLE,
    )


def _as_problem(d: Diagnostic) -> Problem:
    s = d.span
    return Problem(d.code, d.message, (s.file, s.line, s.col, s.end_line, s.end_col), d.hint)


def _problem_diag(p: Problem) -> Diagnostic:
    return Diagnostic(
        p.code,
        Severity.ERROR,
        p.message,
        Span(*p.span),
        p.hint,
        tuple((label, Span(*s)) for label, s in p.related),
    )


def _place_comments(
    comments: list[tuple[int, str, bool]], doc: SourceDoc, file: str, implicit: set[Path]
) -> dict[Path, list[str]]:
    """Each comment goes to the outermost key or list item on the next line that has one (or
    on its own line, for a trailing comment); comments after the last item go to the root ().
    Containers the text never names (`nodes`, a menu's `options` ...) are not candidates: a
    comment before the first node belongs to that node."""
    first_on_line: dict[int, tuple[int, int, Path]] = {}

    def consider(path: Path, span: Span) -> None:
        if span.file != file or path in implicit:
            return
        best = first_on_line.get(span.line)
        if best is None or (span.col, len(path)) < best[:2]:
            first_on_line[span.line] = (span.col, len(path), path)

    for path, span in doc.key_spans.items():
        consider(path, span)
    for path, span in doc.spans.items():
        if path and isinstance(path[-1], int):
            consider(path, span)
    lines = sorted(first_on_line)
    out: dict[Path, list[str]] = {}
    for line, text, trailing in comments:
        if trailing and line in first_on_line:
            target = first_on_line[line][2]
        else:
            i = bisect.bisect_right(lines, line)
            target = first_on_line[lines[i]][2] if i < len(lines) else ()
        out.setdefault(target, []).append(text)
    return out


# ------------------------------------------------------------------------------------- errors

# Typical mistakes, for lark's example-based error matching (`UnexpectedInput.match_examples`).
ERROR_EXAMPLES: dict[str, list[str]] = {
    "fat_arrow": [
        "m: menu\n  1 => x\n",
        'm: menu\n  "#" => x\n',
        "m: menu\n  * => x\n",
        "m: menu\n  on fail => x\n",
        "h: hours h open => x\n",
        "h: hours h closed => x\n",
        "s: switch\n  else => x\n",
        'p: play "hi" => x\n',
        "agent key 0 => x\n",
    ],
    "missing_arrow": [
        "m: menu\n  1 x\n",
        'm: menu\n  "#" x\n',
        "m: menu\n  * x\n",
        'm: menu\n  speech "w" x\n',
        "m: menu\n  on fail x\n",
        "h: hours h open x\n",
        "h: hours h closed x\n",
        "h: hours h holiday x\n",
        "s: switch\n  else x\n",
        "s: switch\n  if a == 1 x\n",
        "q: queue q after x\n",
        "q: queue q on timeout x\n",
        "f: fetch s on error x\n",
        "agent key 0 x\n",
    ],
    "unknown_kind": ["x: mneu\n", "x: menux 1\n", 'x: say "hi"\n'],
    "missing_colon": ["start hours h\n", "start menu\n", "start x\n", 'start "x"\n'],
    "unexpected_indent": ["flow x\n  entry y\n"],
}

_DESCRIBE = {
    "NAME": "a name",
    "STRING": "a quoted text",
    "INT": "a number",
    "FLOAT": "a number",
    "DURATION": "a duration such as 5s",
    "TARGET": "`->` and a node name",
    "NODE_DEF": "a node (`name: kind`)",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "COMMA": "`,`",
    "PLUS": "`+`",
    "STAR": "`*`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "BARGE_IN": "`barge-in`",
    "_NL": "end of line",
    "_INDENT": "an indented block",
    "_DEDENT": "end of block",
    "$END": "end of file",
    "LOCALE_TAG": "a locale such as en-US",
    "TZ": "a time zone such as Europe/Paris",
    "DAYS": "days such as mon-fri",
    "CAL": "a country code such as CN",
    "TIME_RANGE": "hours such as 08:00-20:00",
    "DATES": "a date such as 2026-12-31",
    "MONTH_DAY": "a month and day such as 12-25",
    "SCALE_RANGE": "a scale such as 1-5",
    "HTTP_METHOD": "an HTTP method such as GET",
    "HEADER_NAME": "a header name",
    "WORD": "a word",
    "PHONE": "a phone number such as +441234567",
    "BRACE_TEMPLATE": "an expression in braces",
    "EXPR": "a condition",
}


def _diag(
    file: str, line: int, col: int, message: str, hint: str | None, width: int = 1
) -> Diagnostic:
    return Diagnostic(
        SYNTAX, Severity.ERROR, message, Span(file, line, col, line, col + max(width, 1)), hint
    )


def _keyword(parser: Lark, term: str) -> str | None:
    """The keyword a terminal stands for (`MENU` -> `menu`), or None for pattern terminals."""
    try:
        pattern = parser.get_terminal(term).pattern
    except KeyError:
        return None
    if pattern.type == "str" and re.fullmatch(r"[a-z_][a-z_\-]*", pattern.value):
        return str(pattern.value)
    return None


def _describe(parser: Lark, term: str) -> str:
    if term in _DESCRIBE:
        return _DESCRIBE[term]
    word = _keyword(parser, term)
    return f"`{word}`" if word else term.lower()


def _expected_text(parser: Lark, expected: set[str]) -> str:
    names = sorted({_describe(parser, t) for t in expected if t not in ("_INDENT", "_DEDENT")})
    if not names:
        return "something else"
    if len(names) > 8:
        names = [*names[:8], "..."]
    return ", ".join(names)


_WORD_AT = re.compile(r"[\w\-]+|\S")


def _word_at(text: str, pos: int) -> str:
    m = _WORD_AT.match(text, pos)
    return m.group(0) if m else ""


def _line_pos(text: str, line: int, col: int) -> int:
    """The offset of (line, col) in `text`, clamped to the text."""
    start = 0
    for _ in range(line - 1):
        nxt = text.find("\n", start)
        if nxt < 0:
            return len(text)
        start = nxt + 1
    return min(start + col - 1, len(text))


def _syntax_diag(exc: UnexpectedInput, text: str, file: str, opened: list[Token]) -> Diagnostic:
    """One FL010 diagnostic for a lark parse error, in words a call-flow author understands."""
    grammar = _grammar()
    parser = grammar.lark
    line = exc.line if isinstance(exc.line, int) and exc.line > 0 else 1
    col = exc.column if isinstance(exc.column, int) and exc.column > 0 else 1

    precise = _accepts(exc)
    if isinstance(exc, UnexpectedCharacters):
        pos: int = exc.pos_in_stream or 0
        ch = text[pos] if pos < len(text) else ""
        eol = text.find("\n", pos)
        rest = text[pos : eol if eol >= 0 else len(text)]
        if ch in "\"'" and not re.match(r'"(?:[^"\\\r\n]|\\.)*"|\'(?:[^\'\\\r\n]|\\.)*\'', rest):
            return _diag(
                file,
                line,
                col,
                "this text has no closing quote",
                f"end it with {ch} on the same line; write \\n for a line break inside a text",
                len(rest.rstrip()),
            )
        if rest.startswith("=>"):
            return _fat_arrow(file, line, col)
        if rest.startswith("->"):
            return _no_target(file, line, col)
        word = _word_at(text, pos)
        shown = f"`{word}`" if word.isprintable() and word.strip() else f"character U+{ord(ch):04X}"
        return _diag(
            file,
            line,
            col,
            f"unexpected {shown}",
            f"expected {_expected_text(parser, precise or set(exc.allowed or ()))}",
            max(len(word), 1),
        )

    label = _match_label(exc, grammar)
    token: Any = getattr(exc, "token", None)
    expected: set[str] = precise or set(getattr(exc, "expected", None) or ())
    ttype = token.type if token is not None else "$END"
    if token is not None and ttype != "$END" and token.line and token.column:
        line, col = token.line, token.column
    pos = _line_pos(text, line, col)
    word = _word_at(text, pos) if ttype not in ("_NL", "_DEDENT", "_INDENT", "$END") else ""
    if word and not word.isprintable():
        word = ""
        shown = f"character U+{ord(text[pos]):04X}" if pos < len(text) else "character"
    else:
        shown = f"`{word}`" if word else _describe(parser, ttype)

    if opened and (
        ttype in ("_NL", "_DEDENT", "$END") or (token.line or 0) > (opened[-1].line or 0)
    ):
        o = opened[-1]
        return _diag(
            file,
            o.line or 1,
            o.column or 1,
            f"this `{o}` is never closed",
            f"add the closing `{_OPEN[o.type]}`",
        )
    if "_INDENT" in expected and ttype in ("_NL", "_DEDENT", "$END"):
        prev = _previous_line_end(text, line if ttype == "_NL" else line - 1)
        return _diag(
            file,
            prev[0],
            prev[1],
            "this line needs an indented block below it",
            "write the value on the same line, or indent its lines below it",
        )
    if label == "fat_arrow" or text.startswith("=>", pos):
        return _fat_arrow(file, line, col)
    if ttype == "_INDENT" or label == "unexpected_indent":
        return _diag(
            file,
            line,
            col,
            "unexpected indentation",
            "only the settings of a node, schedule, service, variable or prompt are indented"
            " under it; move this line to the left",
        )
    if label == "missing_arrow" or "TARGET" in expected:
        if ttype == "_NL":
            return _diag(
                file,
                line,
                col,
                "missing `->` and the node to go to",
                "write an arrow and a node name, e.g. `1 -> billing`",
            )
        return _diag(
            file,
            line,
            col,
            f"missing `->` before {shown}",
            f"write an arrow before the node to go to: `-> {word or 'node'}`",
            len(word),
        )
    if label == "unknown_kind" or ("MENU" in expected and "GOTO" in expected):
        hint = did_you_mean(word, NODE_KINDS) or "node kinds are: " + ", ".join(NODE_KINDS)
        return _diag(file, line, col, f"unknown node kind {shown}", hint, len(word))
    if label == "missing_colon" or ("NODE_DEF" in expected and col == 1 and word):
        after = _word_at(text, _skip_spaces(text, pos + len(word)))
        if after in NODE_KINDS:
            return _diag(
                file,
                line,
                col + len(word),
                f"missing `:` after the node name `{word}`",
                f"a node starts with its name and a colon: `{word}: {after} ...`",
            )
        close = did_you_mean(word, HEADER_WORDS)
        if close:
            return _diag(file, line, col, f"unknown statement `{word}`", close, len(word))
        return _diag(
            file,
            line,
            col,
            f"`{word}` is neither a statement nor a node",
            "a node starts with its name and a colon (`start: menu`); other lines start with a"
            " keyword such as `flow`, `prompt`, `schedule` or `service`",
            len(word),
        )
    # A misspelt keyword: suggest the closest keyword allowed here.
    words = [w for w in (_keyword(parser, t) for t in expected) if w]
    if word and "_" in word and words and word.split("_", 1)[0] in words:
        # YAML's field names (`max_wait`, `on_fail`) are words with spaces in the text form.
        spaced = word.replace("_", " ")
        hint = f"the text form writes it with spaces: `{spaced}`"
        return _diag(file, line, col, f"unknown word `{word}`", hint, len(word))
    value_only = set(words) <= {"true", "false", "null"}
    if word and value_only and "INT" in expected and re.fullmatch(r"[A-Za-z]\w*", word):
        # A bare word where a value goes: `retries three`. Nearest keyword would be `true`.
        hint = "write a number (e.g. `3`), a quoted text or true/false"
        return _diag(file, line, col, f"`{word}` is not a value", hint, len(word))
    if word and re.fullmatch(r"[A-Za-z_][\w\-]*", word) and words:
        close = did_you_mean(word, words)
        if close:
            return _diag(file, line, col, f"unknown word `{word}`", close, len(word))
    if ttype == "$END":
        return _diag(
            file,
            line,
            col,
            "the file ends in the middle of a statement",
            f"expected {_expected_text(parser, expected)}",
        )
    return _diag(
        file,
        line,
        col,
        f"unexpected {shown}",
        f"expected {_expected_text(parser, expected)}",
        len(word),
    )


def _accepts(exc: UnexpectedInput) -> set[str]:
    """What the parser could really take here (LALR's lookahead sets in states that reduce are
    the union over every use of the rule; lark's interactive parser simulates the reductions)."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is None:
        return set()
    try:
        return set(interactive.accepts())
    except Exception:  # pragma: no cover - only for the wording of the hint
        return set()


def _match_label(exc: UnexpectedInput, grammar: _Grammar) -> str | None:
    """The kind of mistake, by lark's example matching against `ERROR_EXAMPLES`."""
    try:
        return exc.match_examples(
            lambda s: grammar.parse(s, Builder(), grammar.indenter(s)),
            ERROR_EXAMPLES,
            token_type_match_fallback=True,
            use_accepts=True,
        )
    except (LarkError, FlowcError):  # pragma: no cover - the examples are fixed
        return None


def _previous_line_end(text: str, line: int) -> tuple[int, int]:
    """(line, col) just after the last character of `line`, or of the last non-blank line
    before it."""
    lines = text.split("\n")
    line = min(max(line, 1), len(lines))
    while line > 1 and not lines[line - 1].strip():
        line -= 1
    return line, len(lines[line - 1].rstrip()) + 1


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _no_target(file: str, line: int, col: int) -> Diagnostic:
    return _diag(
        file,
        line,
        col,
        "`->` must be followed by the name of a node",
        "write the node to go to after the arrow: `-> billing`",
        2,
    )


def _fat_arrow(file: str, line: int, col: int) -> Diagnostic:
    return _diag(
        file,
        line,
        col,
        "use `->` for an arrow, not `=>`",
        "write a minus sign and a greater-than sign: `1 -> billing`",
        2,
    )
