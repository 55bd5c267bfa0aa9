"""Load a YAML flow file into a `SourceDoc`: plain data plus the span of every value and key.

The loader drives PyYAML's safe *event* parser (libyaml through `CSafeLoader` when available,
the pure-Python `SafeLoader` otherwise) and builds the data itself, iteratively, from the event
stream. It never uses PyYAML's composer or constructors, so:

- nothing recurses: `"[" * 5_000_000` is rejected (FL005) after reading 65 brackets, instead of
  running into Python's recursion limit (or the C stack) inside a composer;
- only plain data comes out (dict with str keys, list, str, int, float, bool, None) and no tag
  can construct anything: unknown and unsafe tags are diagnostics (FL003);
- alias expansion is metered: every anchor knows the size of its subtree, and the budget is
  checked *before* an alias is expanded, so a "billion laughs" file stops early (FL004).

Scalars follow PyYAML's safe (YAML 1.1) resolution, with three deliberate exceptions that all
keep what the author wrote:

- timestamps (`2026-12-31`, `2026-12-31 10:00:00`) stay strings, as written;
- sexagesimal numbers (`9:30`, `1:30:00`, read by YAML 1.1 as 570 and 5400) stay strings;
- mapping keys are always the scalar's text: `1:` is "1", `true:` is "true", `01:` is "01",
  `~:` is "~". So `1:` and `"1":` in one mapping are a duplicate (FL002).

A plain scalar that only looks like a number but cannot be converted (`0b_`, a 5000-digit
integer) stays a string; with an explicit tag (`!!int 0b_`) it is an error (FL003).

Anchors and aliases are allowed, bounded by `max_alias_nodes` expanded values. An alias is a
copy of the anchored value; the alias itself gets the span of the `*name` reference and
everything inside it keeps the spans of the anchored definition (that is where the author has
to fix it). Merge keys (`<<: *base`, `<<: [*a, *b]`) are supported with YAML 1.1 semantics:
keys written in the mapping win over merged ones, earlier merge sources win over later ones,
and merged keys come first in the resulting dict (as with PyYAML).

Comments: each full-line comment is attached to the first key or list item that follows it
(blank lines in between are fine), keyed by that item's path; when several items start on that
line, the outermost one. Comments after the last item of the file are dropped.

Diagnostics (all errors, permanent codes):

- FL001 YAML syntax error; also a mapping or list used as a mapping key, an undefined alias,
  and a `<<` merge whose value is not a mapping or a list of mappings.
- FL002 duplicate key in a mapping (every duplicate, at its second occurrence).
- FL003 unsafe or unknown tag, or a value that does not fit its explicit tag.
- FL004 file larger than `max_bytes`, more than `max_nodes` values in all, more than
  `max_alias_nodes` values produced by aliases, or a recursive alias.
- FL005 nesting deeper than `max_depth` collections (aliases included).
- FL006 not UTF-8, or a character YAML does not allow (control characters, NUL).
- FL007 empty file or document, or more than one YAML document.
- FL008 the top level is not a mapping.
- FL009 the file cannot be read (`load_yaml_file` only).
"""

from __future__ import annotations

import bisect
import math
import pathlib
import re
from collections.abc import Callable
from typing import Any, Final, NoReturn

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.resolver import Resolver

from flowc.codes import code
from flowc.diagnostics import Diagnostic, FlowcError, Severity
from flowc.source.document import Path, SourceDoc, Span, comment_text
from flowc.source.files import FileRefused, read_bounded

FL001 = code("FL001")
FL002 = code("FL002")
FL003 = code("FL003")
FL004 = code("FL004")
FL005 = code("FL005")
FL006 = code("FL006")
FL007 = code("FL007")
FL008 = code("FL008")
FL009 = code("FL009")

__all__ = [
    "DEFAULT_MAX_ALIAS_NODES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NODES",
    "load_yaml_file",
    "load_yaml_text",
]

DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
DEFAULT_MAX_DEPTH: Final = 64
DEFAULT_MAX_NODES: Final = 1_000_000
DEFAULT_MAX_ALIAS_NODES: Final = 100_000
# Stop collecting after this many diagnostics: a file with 100 000 duplicate keys does not
# need 100 000 messages.
MAX_DIAGNOSTICS: Final = 100

# Tests flip this to exercise the pure-Python parser as well.
USE_LIBYAML: bool = bool(getattr(yaml, "__with_libyaml__", False))

_Y: Final = "tag:yaml.org,2002:"
_STR: Final = _Y + "str"
_INT: Final = _Y + "int"
_FLOAT: Final = _Y + "float"
_BOOL: Final = _Y + "bool"
_NULL: Final = _Y + "null"
_TIMESTAMP: Final = _Y + "timestamp"
_MAP: Final = _Y + "map"
_SEQ: Final = _Y + "seq"
_SCALAR_TAGS: Final = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, "!"})

# Implicit resolvers for plain scalars, by first character (PyYAML's own table).
_IMPLICIT: Final[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
    k: v for k, v in Resolver.yaml_implicit_resolvers.items() if k is not None
}
_BOOL_VALUES: Final = {
    "yes": True,
    "no": False,
    "true": True,
    "false": False,
    "on": True,
    "off": False,
}
# What YAML accepts in a stream (the same set as PyYAML's reader).
_NON_PRINTABLE: Final = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LINE_BREAK: Final = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

_MAPPING: Final = 0
_SEQUENCE: Final = 1
_ROOT: Final = 2

_Entry = tuple[Path, Span]
# Spans of one merge source by merged key: (value spans, key spans), relative to the key.
_Entries = dict[Any, tuple[list[_Entry], list[_Entry]]]


class _Abort(Exception):
    """Stop loading now; the diagnostics collected so far are reported."""


class _Frame:
    """An open collection while the event stream is being read."""

    __slots__ = (
        "anchor",
        "data",
        "flow",
        "height",
        "index",
        "key",
        "kind",
        "kpath",
        "kspans",
        "kstart",
        "last",
        "merge_at",
        "merge_span",
        "merges",
        "path",
        "start",
        "vidx",
    )

    def __init__(self, kind: int, path: Path, data: Any, start: Any, flow: bool) -> None:
        self.kind = kind
        self.path = path
        self.data = data
        self.start = start  # start mark
        self.flow = flow
        self.index = 0  # sequences: next item index
        self.key: str | None = None  # mappings: the key waiting for its value
        self.kpath: Path = ()  # mappings: that key's path, which its value shares
        # mappings: first span of every key; built only once a duplicate shows up
        self.kspans: dict[str, Span] | None = None
        # mappings: the `<<` merge key, and log lengths while its value is being read
        self.merge_span: Span | None = None
        self.merge_at: tuple[int, int, int] | None = None
        self.merges: list[tuple[dict[str, Any], _Entries]] = []
        self.anchor: str | None = None
        self.vidx = 0  # index of this collection's own entry in the value log
        self.kstart = 0  # length of the key log when this collection started
        self.height = 1  # collections nested in this one, counting itself
        self.last: Span | None = None  # span of the last child (the end of a block collection)


class _Anchor:
    __slots__ = ("data", "height", "key_text", "krel", "size", "vrel")

    def __init__(
        self,
        data: Any,
        key_text: str | None,
        vrel: list[_Entry],
        krel: list[_Entry],
        height: int,
    ) -> None:
        self.data = data
        self.key_text = key_text  # the scalar's text, when the anchored node is a scalar
        self.vrel = vrel  # value spans relative to the anchored node; vrel[0] is the node
        self.krel = krel
        self.size = len(vrel)
        self.height = height  # collections nested in it, counting itself (0: a scalar)


def _copy(data: Any) -> Any:
    if type(data) is dict:
        return {k: _copy(v) for k, v in data.items()}
    if type(data) is list:
        return [_copy(v) for v in data]
    return data


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_Y) :] if tag.startswith(_Y) else tag


def _line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of character `pos`, with YAML's line breaks."""
    line = 1
    start = 0
    for m in _LINE_BREAK.finditer(text, 0, pos):
        line += 1
        start = m.end()
    return line, pos - start + 1


def _int(value: str) -> int | str:
    """A YAML 1.1 int as PyYAML reads it, but sexagesimal stays text. Raises ValueError."""
    v = value.replace("_", "")
    sign = 1
    if v[:1] == "-":
        sign = -1
    if v[:1] in ("-", "+"):
        v = v[1:]
    if ":" in v:
        return value
    if v == "0":
        return 0
    if v.startswith("0b"):
        return sign * int(v[2:], 2)
    if v.startswith("0x"):
        return sign * int(v[2:], 16)
    if v[:1] == "0":
        return sign * int(v, 8)
    return sign * int(v)


def _float(value: str) -> float | str:
    """A YAML 1.1 float as PyYAML reads it, but sexagesimal stays text. Raises ValueError."""
    v = value.replace("_", "").lower()
    sign = 1.0
    if v[:1] == "-":
        sign = -1.0
    if v[:1] in ("-", "+"):
        v = v[1:]
    if v == ".inf":
        return sign * math.inf
    if v == ".nan":
        return math.nan
    if ":" in v:
        return value
    return sign * float(v)


def _convert(tag: str, value: str) -> Any:
    """Construct a scalar of a known tag. Raises ValueError or KeyError when it does not fit."""
    if tag == _STR or tag == "!" or tag == _TIMESTAMP:
        return value
    if tag == _INT:
        return _int(value)
    if tag == _FLOAT:
        return _float(value)
    if tag == _BOOL:
        return _BOOL_VALUES[value.lower()]
    if tag == _NULL:
        return None
    return value  # a plain `<<` or `=` where a value belongs: just text


def _syntax_hint(problem: str, line_text: str, char: str) -> str | None:
    if line_text.lstrip(" ")[:1] == "\t" or char == "\t":
        return "YAML does not allow tab characters for indentation: indent with spaces"
    if "mapping values are not allowed" in problem:
        return (
            "a value that contains ': ' must be quoted, "
            'e.g. `prompt: "Note: we are closed"`; otherwise check the indentation'
        )
    if "cannot start any token" in problem and char:
        return f'a value starting with `{char}` must be quoted, e.g. "{char}..."'
    if "expected key" in problem or "<block end>" in problem or "expected '-'" in problem:
        return "check the indentation: the keys of one mapping must start in the same column"
    if "quoted scalar" in problem:
        return "a quoted string is not closed"
    if "expected ',' or" in problem or "flow" in problem:
        return "a `[...]` or `{...}` is not closed, or an item misses its comma"
    if "could not find expected ':'" in problem:
        return "a key must be followed by ':' and a space"
    if "alias" in problem or "anchor" in problem:
        return "anchors and aliases are written `&name` and `*name`"
    return None


def _group(entries: list[_Entry], which: int, out: list[_Entries], cut: int, many: bool) -> None:
    """Sort the spans inside a merge value by source and merged key (see `read_merge`)."""
    for p, s in entries:
        if many:
            if len(p) <= cut + 1:
                continue
            src, k, rel = p[cut], p[cut + 1], p[cut + 2 :]
        else:
            if len(p) <= cut:
                continue
            src, k, rel = 0, p[cut], p[cut + 1 :]
        if type(src) is int and src < len(out):
            out[src].setdefault(k, ([], []))[which].append((rel, s))


class _Loader:
    def __init__(
        self, text: str, file: str, max_depth: int, max_nodes: int, max_alias_nodes: int
    ) -> None:
        self.text = text
        self.file = file
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_alias_nodes = max_alias_nodes
        self.diags: list[Diagnostic] = []
        self.vlog: list[Any] = []  # (path, span) of every value, in document order
        self.klog: list[_Entry] = []  # (path, span) of every mapping key
        # (path, span) of every key and list item as written, in order: comment targets
        self.targets: list[_Entry] = []
        self.multiline: list[Span] = []  # multi-line scalars: their lines hold no comments
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: set[str] = set()
        self.extra = 0  # work not visible in len(vlog): anchor captures, merges
        self.alias_nodes = 0
        self.root: Any = None
        self.root_span: Span | None = None
        self.root_empty = False
        self._lines: list[str] | None = None
        self.stack: list[_Frame] = []  # the open collections, shared with `document`

    # -- helpers ----------------------------------------------------------------------

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def error(
        self,
        code: str,
        message: str,
        span: Span,
        hint: str | None = None,
        related: tuple[tuple[str, Span], ...] = (),
    ) -> None:
        self.diags.append(Diagnostic(code, Severity.ERROR, message, span, hint, related))
        if len(self.diags) >= MAX_DIAGNOSTICS:
            raise _Abort

    def fail(
        self,
        code: str,
        message: str,
        span: Span,
        hint: str | None = None,
        related: tuple[tuple[str, Span], ...] = (),
    ) -> NoReturn:
        self.diags.append(Diagnostic(code, Severity.ERROR, message, span, hint, related))
        raise _Abort

    def point(self, mark: Any) -> Span:
        """A one-character span at a PyYAML mark."""
        line, col = mark.line + 1, mark.column + 1
        return Span(self.file, line, col, line, col + 1)

    def scalar_span(self, ev: Any) -> Span:
        """The span of a scalar that covers several lines."""
        sm, em = ev.start_mark, ev.end_mark
        end_line, end_col = em.line + 1, em.column + 1
        if end_col == 1 and end_line > sm.line + 1:
            # a block scalar ends at the start of the next line: pull the end back over the
            # line break and any trailing blank lines
            lines = self.lines
            end_line -= 1
            while end_line > sm.line + 1 and not lines[end_line - 1].strip():
                end_line -= 1
            end_col = len(lines[end_line - 1]) + 1 if end_line <= len(lines) else 1
        span = Span(self.file, sm.line + 1, sm.column + 1, end_line, end_col)
        self.multiline.append(span)
        return span

    def bad_tag(self, tag: str, mark: Any) -> None:
        shown = _show_tag(tag)
        if "python/" in shown:
            hint = "flow files are plain data: Python object tags are never executed or built"
        elif shown.startswith("!!"):
            hint = f"`{shown}` is not used in flow files: remove the tag"
        else:
            hint = "custom tags are not supported: write the value without the tag"
        self.error(FL003, f"tag `{shown}` is not allowed", self.point(mark), hint)

    def check_budget(self, mark: Any, alias: str | None = None) -> None:
        if len(self.vlog) + self.extra > self.max_nodes:
            what = f" (expanding alias `*{alias}`)" if alias else ""
            self.fail(
                FL004,
                f"the document is too large: more than {self.max_nodes:,} values{what}",
                self.point(mark),
                "split the flow into subflow modules",
            )

    # -- the event loop ---------------------------------------------------------------

    def run(self, parser: Any) -> None:
        get: Callable[[], Event] = parser.get_event
        get()  # StreamStartEvent
        ev = get()
        if isinstance(ev, StreamEndEvent):
            self.fail(
                FL007,
                "the file is empty",
                Span.whole_file(self.file),
                "a flow file holds one YAML mapping, starting e.g. with `flow: my_flow`",
            )
        self.document(get)
        get()  # DocumentEndEvent
        ev = get()
        if isinstance(ev, DocumentStartEvent):
            self.fail(
                FL007,
                "a flow file holds one YAML document, found a second one",
                self.point(ev.start_mark),
                "remove the `---` separator, or split the documents into separate files",
            )

    def document(self, get: Callable[[], Event]) -> None:
        """Read the events of the document's root value. This is the hot loop."""
        file = self.file
        vlog = self.vlog
        klog = self.klog
        targets = self.targets
        anchors = self.anchors
        max_depth = self.max_depth
        implicit = _IMPLICIT
        scalar_tags = _SCALAR_TAGS
        mapping_kind = _MAPPING
        sequence_kind = _SEQUENCE
        root = _Frame(_ROOT, (), None, None, False)
        stack: list[_Frame] = [root]
        self.stack = stack
        # A span per value: the NamedTuple's own constructor is a Python function, calling
        # tuple.__new__ directly skips that frame (a tenth of the loop for big flows).
        new_span = tuple.__new__
        top = root
        limit = self.max_nodes - self.extra
        path: Path
        span: Span

        while root.last is None:
            ev: Any = get()
            cls = ev.__class__

            if cls is ScalarEvent:
                sm = ev.start_mark
                em = ev.end_mark
                line = sm.line + 1
                if em.line + 1 == line:
                    span = new_span(Span, (file, line, sm.column + 1, line, em.column + 1))
                else:
                    span = self.scalar_span(ev)
                kind = top.kind
                if kind == mapping_kind:
                    key = top.key
                    if key is None:  # this scalar is a key
                        key = ev.value
                        tag = ev.tag
                        if tag is not None and tag not in scalar_tags:
                            self.bad_tag(tag, sm)
                        kpath = (*top.path, key)
                        entry = (kpath, span)
                        if key in top.data or key == "<<" or top.kspans is not None:
                            self.check_key(top, key, span, tag is None and ev.implicit[0])
                        klog.append(entry)
                        targets.append(entry)
                        top.key = key
                        top.kpath = kpath
                        if ev.anchor is not None:
                            anchors[ev.anchor] = _Anchor(key, key, [((), span)], [], 0)
                        continue
                    path = top.kpath
                elif kind == sequence_kind:
                    path = (*top.path, top.index)
                else:
                    path = ()
                    if not ev.value and ev.tag is None and ev.implicit[0]:
                        self.root_empty = True
                value = ev.value
                tag = ev.tag
                if tag is None:
                    if ev.implicit[0]:  # plain: resolve like PyYAML's safe loader
                        if not value:
                            value = None
                        else:
                            rs = implicit.get(value[0])
                            if rs is not None:
                                for t, rx in rs:
                                    if rx.match(value):
                                        try:
                                            value = _convert(t, value)
                                        except (ValueError, KeyError):
                                            pass  # looks like a number but is not one: text
                                        break
                elif tag != "!":
                    value = self.explicit_scalar(tag, value, sm)
                entry = (path, span)
                vlog.append(entry)
                if len(vlog) > limit:
                    self.check_budget(sm)
                if ev.anchor is not None:
                    anchors[ev.anchor] = _Anchor(value, ev.value, [((), span)], [], 0)
                top.last = span
                if kind == mapping_kind:
                    if top.merge_at is None:
                        top.data[key] = value
                    else:
                        self.read_merge(top, value, span)
                        limit = self.max_nodes - self.extra
                    top.key = None
                elif kind == sequence_kind:
                    targets.append(entry)
                    top.data.append(value)
                    top.index += 1
                else:
                    self.root = value
                    self.root_span = span

            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                mapping = cls is MappingStartEvent
                sm = ev.start_mark
                if top.kind == mapping_kind:
                    if top.key is None:
                        self.fail(
                            FL001,
                            f"a {'mapping' if mapping else 'list'} cannot be a mapping key",
                            self.point(sm),
                            "mapping keys must be plain values such as names or numbers",
                        )
                    path = top.kpath
                elif top.kind == sequence_kind:
                    path = (*top.path, top.index)
                    targets.append((path, self.point(sm)))
                else:
                    path = ()
                if len(stack) > max_depth:
                    self.fail(
                        FL005,
                        f"nesting is too deep (more than {max_depth} levels)",
                        self.point(sm),
                        "flow files need only a few levels of nesting; "
                        "check for unbalanced brackets",
                    )
                tag = ev.tag
                if tag is not None and tag != "!" and tag != (_MAP if mapping else _SEQ):
                    self.bad_tag(tag, sm)
                frame = _Frame(
                    mapping_kind if mapping else sequence_kind,
                    path,
                    {} if mapping else [],
                    sm,
                    bool(ev.flow_style),
                )
                frame.vidx = len(vlog)
                vlog.append(None)  # placeholder, filled in when the collection ends
                if len(vlog) > limit:
                    self.check_budget(sm)
                frame.kstart = len(klog)
                if ev.anchor is not None:
                    frame.anchor = ev.anchor
                    self.open_anchors.add(ev.anchor)
                stack.append(frame)
                top = frame

            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                top = stack[-1]
                if frame.merges:
                    self.apply_merges(frame)
                sm = frame.start
                last = frame.last
                if frame.flow or last is None:
                    em = ev.end_mark
                    span = new_span(
                        Span, (file, sm.line + 1, sm.column + 1, em.line + 1, em.column + 1)
                    )
                else:
                    span = new_span(
                        Span, (file, sm.line + 1, sm.column + 1, last.end_line, last.end_col)
                    )
                vlog[frame.vidx] = (frame.path, span)
                if frame.anchor is not None:
                    self.capture(frame, span)
                if frame.height >= top.height:
                    top.height = frame.height + 1
                self.deliver(top, frame.data, span)
                limit = self.max_nodes - self.extra

            elif cls is AliasEvent:
                self.alias(top, ev, len(stack) - 1)
                limit = self.max_nodes - self.extra

            else:  # pragma: no cover - a well-formed event stream ends the root first
                raise _Abort

    def check_key(self, top: _Frame, key: str, span: Span, plain: bool) -> None:
        """The slow path for a key: a duplicate, a merge key, or a mapping with duplicates."""
        if key == "<<" and plain:
            first = top.merge_span
            if first is None:
                top.merge_span = span
            # remember where the merge value's spans start, to set them aside (read_merge)
            top.merge_at = (len(self.vlog), len(self.klog), len(self.targets))
        else:
            kspans = top.kspans
            if kspans is None:
                # the first duplicate in this mapping: index the keys read so far
                kspans = top.kspans = {}
                depth = len(top.path) + 1
                for p, s in self.klog[top.kstart :]:
                    if len(p) == depth:
                        kspans.setdefault(str(p[-1]), s)
            first = kspans.get(key)
            if first is None:
                kspans[key] = span
        if first is not None:
            self.error(
                FL002,
                f"duplicate key `{key}`",
                span,
                "each key may appear once in a mapping; keys are compared as written "
                '(`1:` and `"1":` are the same key)',
                (("first defined here", first),),
            )

    def explicit_scalar(self, tag: str, value: str, mark: Any) -> Any:
        if tag not in _SCALAR_TAGS:
            self.bad_tag(tag, mark)
            return value
        try:
            return _convert(tag, value)
        except (ValueError, KeyError):
            shown = _show_tag(tag)
            self.error(
                FL003,
                f"`{value}` is not a valid {shown}",
                self.point(mark),
                f"remove the `{shown}` tag, or write a valid value",
            )
            return value

    def deliver(self, top: _Frame, value: Any, span: Span) -> None:
        """Hand a finished collection or alias value to its parent."""
        top.last = span
        if top.kind == _SEQUENCE:
            top.data.append(value)
            top.index += 1
        elif top.kind == _MAPPING:
            if top.merge_at is not None:
                self.read_merge(top, value, span)
            else:
                top.data[top.key] = value
            top.key = None
        else:
            self.root = value
            self.root_span = span

    def alias(self, top: _Frame, ev: Any, depth: int) -> None:
        name: str = ev.anchor
        sm, em = ev.start_mark, ev.end_mark
        span = Span(self.file, sm.line + 1, sm.column + 1, em.line + 1, em.column + 1)
        anchor = self.anchors.get(name)
        is_key = top.kind == _MAPPING and top.key is None
        if anchor is None:
            if name in self.open_anchors:
                self.fail(
                    FL004,
                    f"alias `*{name}` is used inside the value it refers to",
                    span,
                    "recursive aliases are not allowed",
                )
            self.error(
                FL001,
                f"YAML syntax error: found undefined alias `*{name}`",
                span,
                f"define the anchor `&{name}` before using `*{name}`",
            )
            anchor = _Anchor(None, "*" + name, [((), span)], [], 0)
        if is_key:
            if anchor.key_text is None:
                self.fail(
                    FL001,
                    f"alias `*{name}` is a collection and cannot be a mapping key",
                    span,
                    "mapping keys must be plain values such as names or numbers",
                )
            key = anchor.key_text
            kpath = (*top.path, key)
            entry = (kpath, span)
            if key in top.data or key == "<<" or top.kspans is not None:
                self.check_key(top, key, span, False)
            self.klog.append(entry)
            self.targets.append(entry)
            top.key = key
            top.kpath = kpath
            return
        if depth + anchor.height > self.max_depth:
            self.fail(
                FL005,
                f"nesting is too deep (more than {self.max_depth} levels) "
                f"once alias `*{name}` is expanded",
                span,
                "flow files need only a few levels of nesting",
            )
        self.alias_nodes += anchor.size
        if self.alias_nodes > self.max_alias_nodes:
            self.fail(
                FL004,
                f"aliases expand to more than {self.max_alias_nodes:,} values (at alias `*{name}`)",
                span,
                "aliases are for small reuse; a file whose aliases expand to huge "
                "documents (a 'billion laughs' file) is rejected",
            )
        self.extra += anchor.size  # checked before anything is copied
        self.check_budget(sm, alias=name)
        self.extra -= anchor.size
        if top.kind == _MAPPING and top.key is not None:
            path: Path = (*top.path, top.key)
        elif top.kind == _SEQUENCE:
            path = (*top.path, top.index)
        else:
            path = ()
        entry = (path, span)
        self.vlog.append(entry)
        if top.kind == _SEQUENCE:
            self.targets.append(entry)
        if anchor.size > 1:
            self.vlog.extend([(path + rel, s) for rel, s in anchor.vrel[1:]])
        if anchor.krel:
            self.klog.extend([(path + rel, s) for rel, s in anchor.krel])
        if anchor.height >= top.height:
            top.height = anchor.height + 1
        self.deliver(top, _copy(anchor.data), span)

    def capture(self, frame: _Frame, span: Span) -> None:
        """Remember an anchored collection: its data and its spans, relative to it."""
        name = frame.anchor
        assert name is not None
        cut = len(frame.path)
        vrel: list[_Entry] = [((), span)]
        vrel.extend([(p[cut:], s) for p, s in self.vlog[frame.vidx + 1 :]])
        krel = [(p[cut:], s) for p, s in self.klog[frame.kstart :]]
        self.anchors[name] = _Anchor(frame.data, None, vrel, krel, frame.height)
        self.open_anchors.discard(name)
        self.extra += len(vrel)
        self.check_budget(frame.start, alias=name)

    def read_merge(self, top: _Frame, value: Any, span: Span) -> None:
        """The value of a `<<` key: set it and its spans aside until the mapping ends."""
        assert top.merge_at is not None
        vstart, kstart, tstart = top.merge_at
        top.merge_at = None
        ventries = self.vlog[vstart + 1 :]  # +1: the merge value itself
        kentries = self.klog[kstart + 1 :]  # +1: the `<<` key itself
        del self.vlog[vstart:]
        del self.klog[kstart:]
        del self.targets[tstart:]
        self.extra += len(ventries) + 1  # the work done stays counted
        # Paths inside the value start with (*path, "<<"); for a list of mappings the
        # source index comes next, then the merged key.
        cut = len(top.path) + 1
        if type(value) is dict:
            groups: list[_Entries] = [{}]
            _group(ventries, 0, groups, cut, False)
            _group(kentries, 1, groups, cut, False)
            top.merges.append((value, groups[0]))
        elif type(value) is list and value and all(type(v) is dict for v in value):
            groups = [{} for _ in value]
            _group(ventries, 0, groups, cut, True)
            _group(kentries, 1, groups, cut, True)
            top.merges.extend(zip(value, groups, strict=True))
        else:
            self.error(
                FL001,
                "a `<<` merge key needs a mapping or a list of mappings",
                span,
                "write `<<: *defaults`, with `defaults: &defaults {...}` defined earlier",
            )

    def apply_merges(self, frame: _Frame) -> None:
        explicit: dict[str, Any] = frame.data
        merged: dict[str, Any] = {}
        for src, groups in frame.merges:
            for k, v in src.items():
                if k in explicit or k in merged:
                    continue
                merged[k] = v
                vs, ks = groups.get(k, ([], []))
                kp = (*frame.path, k)
                self.vlog.extend([(kp + rel, s) for rel, s in vs])
                self.klog.extend([(kp + rel, s) for rel, s in ks])
        merged.update(explicit)
        frame.data = merged
        self.check_budget(frame.start)

    # -- results ----------------------------------------------------------------------

    def libyaml_depth_error(self, exc: yaml.MarkedYAMLError) -> NoReturn:
        """FL005 where our own limit is crossed, after libyaml stopped at its own.

        libyaml 0.2.6 and later stop at 1,000 levels, and its scanner reads up to 1,024
        characters ahead of the events we have seen (to find simple keys), so in a run of flow
        brackets it fails before our loop sees level `max_depth + 1`. The open collections are
        on `self.stack`; the brackets between the innermost one and libyaml's stop are counted
        here, skipping quoted scalars and comments, to name the same position the event loop
        (and the pure-Python parser) would.
        """
        text = self.text
        stack = self.stack
        depth = max(len(stack) - 1, 0)
        start = 0
        if depth:
            top = stack[-1]
            start = top.start.index
            if top.flow:  # begin after its own bracket (an anchor or tag may come first)
                m = _FLOW_OPEN.search(text, start)
                start = m.end() if m else start
        stop = exc.problem_mark.index + 1 if exc.problem_mark is not None else len(text)
        at = _flow_depth_crossing(text, start, stop, depth, self.max_depth)
        span = (
            Span(self.file, *_line_col(text, at), *_next_col(text, at))
            if at is not None
            else self.point(exc.problem_mark)
            if exc.problem_mark is not None
            else Span.whole_file(self.file)
        )
        self.fail(
            FL005,
            f"nesting is too deep (more than {self.max_depth} levels)",
            span,
            "flow files need only a few levels of nesting; check for unbalanced brackets",
        )

    def syntax_error(self, exc: yaml.MarkedYAMLError) -> NoReturn:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        problem = problem.replace("not allowed in this context", "not allowed here")
        span = Span.whole_file(self.file)
        char = line_text = ""
        if mark is not None:
            span = self.point(mark)
            lines = self.lines
            line_text = lines[mark.line] if mark.line < len(lines) else ""
            char = line_text[mark.column : mark.column + 1]
        if problem == "found character that cannot start any token" and char:
            problem = f"found character {char!r} that cannot start any token"
        hint = _syntax_hint(f"{problem} {exc.context or ''}", line_text, char)
        related: tuple[tuple[str, Span], ...] = ()
        cmark = exc.context_mark
        if exc.context and cmark is not None and mark is not None:
            if (cmark.line, cmark.column) != (mark.line, mark.column):
                related = ((exc.context, self.point(cmark)),)
        self.fail(FL001, f"YAML syntax error: {problem}", span, hint, related)

    def comments(self) -> dict[Path, list[str]]:
        """Full-line comments, keyed by the path of the key or list item that follows."""
        lines = self.lines
        inside = bytearray(len(lines) + 2)  # lines that belong to a multi-line scalar
        for ms in self.multiline:
            for ln in range(ms.line + 1, min(ms.end_line, len(lines)) + 1):
                inside[ln] = 1
        # Where the YAML content of each line ends: text after it is an end-of-line comment.
        ends: dict[int, int] = {}
        for entries in (self.vlog, self.klog):
            for _, span in entries:
                if span.end_line not in ends or span.end_col > ends[span.end_line]:
                    ends[span.end_line] = span.end_col
        blocks: list[tuple[int, list[str]]] = []  # (first content line after, comments)
        pending: list[str] = []
        for n, raw in enumerate(lines, 1):
            if "#" not in raw and not pending:
                continue
            s = raw.strip()
            if not s:
                continue
            if s[0] == "#" and not inside[n]:
                pending.append(comment_text(s))
                continue
            # An end-of-line comment goes with the item on its line, after the comments
            # above it: the printers write it on the line before (both forms hold that).
            tail = raw[ends[n] - 1 :].strip() if n in ends and not inside[n] else ""
            if tail.startswith("#"):
                pending.append(comment_text(tail))
            if pending:
                blocks.append((n, pending))
                pending = []
        out: dict[Path, list[str]] = {}
        if not blocks:
            return out
        targets = self.targets
        tlines = [span.line for _, span in targets]
        for line, texts in blocks:
            i = bisect.bisect_left(tlines, line)
            if i == len(targets):
                continue
            # the outermost item that starts on the first line (from here) that has one
            tl = tlines[i]
            best_path, best = targets[i]
            while i < len(targets) and tlines[i] == tl:
                tpath, tspan = targets[i]
                if (tspan.col, len(tpath)) < (best.col, len(best_path)):
                    best_path, best = tpath, tspan
                i += 1
            out.setdefault(best_path, []).extend(texts)
        return out

    def result(self) -> SourceDoc:
        spans: dict[Path, Span] = dict(self.vlog)
        key_spans: dict[Path, Span] = dict(self.klog)
        comments = self.comments() if "#" in self.text else {}
        return SourceDoc(self.file, self.text, self.root, spans, key_spans, comments)


_LIBYAML_TOO_DEEP: Final = "exceeded maximum nesting depth"
_FLOW_OPEN = re.compile(r"[\[{]")
_FLOW_TOKEN = re.compile(r"[\[\]{}#\"']")


def _next_col(text: str, pos: int) -> tuple[int, int]:
    line, col = _line_col(text, pos)
    return line, col + 1


def _flow_depth_crossing(
    text: str, start: int, stop: int, depth: int, max_depth: int
) -> int | None:
    """The index of the first flow bracket in `text[start:stop]` that opens level `max_depth + 1`,
    counting from `depth` open levels; None if there is none. Quoted scalars and comments are
    skipped; a quote only opens a scalar where a scalar can start (YAML lets `don't` be plain)."""
    pos = start
    while True:
        m = _FLOW_TOKEN.search(text, pos, stop)
        if m is None:
            return None
        i = m.start()
        ch = text[i]
        pos = i + 1
        if ch in "[{":
            depth += 1
            if depth > max_depth:
                return i
        elif ch in "]}":
            depth -= 1
        elif ch == "#":
            if i == 0 or text[i - 1] in " \t\n":
                nl = text.find("\n", pos, stop)
                pos = stop if nl < 0 else nl + 1
        else:
            k = i - 1
            while k >= 0 and text[k] in " \t":
                k -= 1
            if k >= 0 and text[k] not in "[{,:\n-?":
                continue  # a quote inside a plain scalar
            if ch == '"':
                j = pos
                while True:
                    j = text.find('"', j, stop)
                    if j < 0:
                        return None
                    k = j
                    while k > pos and text[k - 1] == "\\":
                        k -= 1
                    if (j - k) % 2 == 0:
                        break
                    j += 1
                pos = j + 1
            else:
                j = pos
                while True:
                    j = text.find("'", j, stop)
                    if j < 0:
                        return None
                    if j + 1 < stop and text[j + 1] == "'":
                        j += 2
                        continue
                    break
                pos = j + 1


def _diag(code: str, message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, hint)


def _decode(data: bytes, file: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
        line = data.count(b"\n", 0, bad) + 1
        line_start = data.rfind(b"\n", 0, bad) + 1
        col = len(data[line_start:bad].decode("utf-8")) + 1
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = "the file looks like UTF-16: save it as UTF-8"
        else:
            hint = "save the file as UTF-8 (the encoding of every flow file)"
        message = f"the file is not valid UTF-8 (byte 0x{data[bad]:02x})"
        span = Span(file, line, col, line, col + 1)
        raise FlowcError([_diag(FL006, message, span, hint)]) from None


def _too_large(file: str, size: int, max_bytes: int) -> FlowcError:
    return FlowcError(
        [
            _diag(
                FL004,
                f"the file is too large ({size:,} bytes; the limit is {max_bytes:,})",
                Span.whole_file(file),
                "split the flow into subflow modules",
            )
        ]
    )


def load_yaml_text(
    text: str | bytes,
    file: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_alias_nodes: int = DEFAULT_MAX_ALIAS_NODES,
) -> SourceDoc:
    """Load one YAML flow document. Raises `FlowcError` with diagnostics when it cannot.

    `file` is the name the spans carry. Bytes must be UTF-8 (a BOM is fine). Limits:
    `max_bytes` of UTF-8 input, `max_depth` nested collections, `max_nodes` values in all
    (after alias expansion), `max_alias_nodes` values produced by aliases.
    """
    if isinstance(text, bytes | bytearray | memoryview):
        raw = bytes(text)
        if len(raw) > max_bytes:
            raise _too_large(file, len(raw), max_bytes)
        text = _decode(raw, file)
    elif len(text) > max_bytes or (
        len(text) * 4 > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes
    ):
        raise _too_large(file, len(text.encode("utf-8", "surrogatepass")), max_bytes)
    if text.startswith("\ufeff"):
        text = text[1:]

    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line, col = _line_col(text, bad.start())
        ch = ord(bad.group())
        hint = (
            "the file contains NUL characters: it may be UTF-16 or binary; save it as UTF-8"
            if ch == 0
            else "remove the control character, or write it as an escape in a "
            'double-quoted string, e.g. "\\t"'
        )
        message = f"the file contains a character YAML does not allow (U+{ch:04X})"
        raise FlowcError([_diag(FL006, message, Span(file, line, col, line, col + 1), hint)])

    return _load(text, file, max_depth, max_nodes, max_alias_nodes)


def _load(text: str, file: str, max_depth: int, max_nodes: int, max_alias_nodes: int) -> SourceDoc:
    loader = _Loader(text, file, max_depth, max_nodes, max_alias_nodes)
    parser: Any = yaml.CSafeLoader(text) if USE_LIBYAML else yaml.SafeLoader(text)
    try:
        try:
            loader.run(parser)
        except yaml.MarkedYAMLError as exc:
            if exc.problem == _LIBYAML_TOO_DEEP:
                loader.libyaml_depth_error(exc)
            loader.syntax_error(exc)
        except yaml.YAMLError as exc:  # pragma: no cover - reader errors are caught before
            loader.fail(FL001, f"YAML error: {exc}", Span.whole_file(file))
        except RecursionError:  # pragma: no cover - nothing here recurses deeply
            loader.fail(FL005, "nesting is too deep", Span.whole_file(file))
    except _Abort:
        pass
    finally:
        parser.dispose()

    if not loader.diags:
        root = loader.root
        span = loader.root_span or Span.whole_file(file)
        if loader.root_empty:
            message, hint = "the document is empty", "a flow file holds one YAML mapping"
            loader.diags.append(_diag(FL007, message, span, hint))
        elif type(root) is not dict:
            message = "a flow file must be a mapping at the top level"
            hint = "write `key: value` pairs at the top level, e.g. `flow: my_flow` and `nodes:`"
            loader.diags.append(_diag(FL008, message, span, hint))
    if loader.diags:
        raise FlowcError(sorted(loader.diags, key=Diagnostic.sort_key))
    return loader.result()


def load_yaml_file(
    path: pathlib.Path | str,
    display_name: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_alias_nodes: int = DEFAULT_MAX_ALIAS_NODES,
) -> SourceDoc:
    """Read and load a YAML flow file; spans carry `display_name` (default: the path)."""
    name = display_name if display_name is not None else str(path)
    try:
        data = read_bounded(path, max_bytes)  # regular files only: never a FIFO or a device
    except FileRefused as exc:
        if exc.kind == "too_large":
            raise _too_large(name, exc.size, max_bytes) from None
        raise FlowcError([_diag(FL009, exc.message, Span.whole_file(name), exc.hint)]) from None
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror or exc}"
        hint = "check the path and the file's permissions"
        raise FlowcError([_diag(FL009, message, Span.whole_file(name), hint)]) from None
    return load_yaml_text(
        data,
        name,
        max_bytes=max_bytes,
        max_depth=max_depth,
        max_nodes=max_nodes,
        max_alias_nodes=max_alias_nodes,
    )
