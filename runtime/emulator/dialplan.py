"""The XML dialplan as mod_dialplan_xml hunts it, for emulated calls.

``Dialplan.load(path)`` reads a dialplan file (an ``<include>`` of ``<context>`` elements, or
anything holding ``<context>`` elements), or a dialplan folder as ``flowc compile --target
freeswitch`` writes it (``freeswitch/<env>/dialplan/``): its ``*.xml`` files hold contexts
(freeswitch.xml includes ``dialplan/*.xml``), and a sub-folder's ``*.xml`` files hold
extensions that join the context named like the sub-folder (the stock ``public.xml`` includes
``public/*.xml`` inside its context; its own extensions are not there);
``Dialplan.hunt`` finds what a channel runs for its caller profile, the way ``dialplan_hunt``
and ``parse_exten`` (src/mod/dialplans/mod_dialplan_xml/mod_dialplan_xml.c) do:

* the context named by the profile, else the context ``global``, else nothing (no route);
* the extensions in document order; each one's conditions in order.  A condition's ``field``
  that contains ``$`` is expanded with the channel's variables (a variable that is not set
  falls back to the caller-profile field of that name, then to nothing, like
  ``switch_channel_get_variable``); any other field is a caller-profile field
  (``switch_caller_get_field_by_name``).  The expression is expanded too, then searched
  (PCRE, unanchored; ``/re/i`` form).  A condition without ``field`` passes;
* a passing condition adds its ``action``s, a failing one its ``anti-action``s (and then counts
  as passing); ``break`` (``on-false`` by default, ``on-true``, ``always``, ``never``) stops
  the extension's conditions.  Actions of a condition that passed are kept even when a later
  condition of the same extension fails, and the actions of every extension go into one
  list: exactly FreeSWITCH's caller extension;
* in the data of the actions of a condition whose expression has a ``(``, ``$N`` / ``${N}``
  become the N-th group of that condition's match (``switch_perform_substitution``); ``$``
  followed by anything else stays, so ``${var}`` is left for the channel to expand when the
  application runs (``switch_core_session_execute_application``), not at hunt time;
* the first extension whose last evaluated condition passed ends the hunt, unless it has
  ``continue="true"``.

Not modelled, and refused with ``DialplanError`` when a dialplan uses them (rather than run
differently from FreeSWITCH): nested conditions, ``<regex>`` lists, time-of-day conditions,
``inline`` and ``loop`` actions, pre-processor instructions; the ``DP_MATCH`` variable is not
set.  ``Dialplan.applications`` lists every application the dialplan names, so the caller can
refuse one it cannot run before the call starts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, cast

from .fsutil import expand_variables, regex_search

__all__ = ["Action", "Condition", "Dialplan", "DialplanError", "Extension", "Hunt", "substitute"]

Lookup = Callable[[str], str | None]
Break = Literal["on-false", "on-true", "always", "never"]

_BREAKS: Final = ("on-false", "on-true", "always", "never")
_EXTENSION_ATTRS: Final = frozenset({"name", "continue"})
_CONDITION_ATTRS: Final = frozenset({"field", "expression", "break"})
_ACTION_ATTRS: Final = frozenset({"application", "data"})
_TRUE: Final = frozenset({"true", "yes", "on", "1", "enabled", "active", "allow"})


class DialplanError(ValueError):
    """A dialplan the emulator does not run (bad XML, or a construct it does not model)."""


@dataclass(frozen=True, slots=True)
class Action:
    """One ``<action>`` / ``<anti-action>``: an application and its (unexpanded) data."""

    app: str
    data: str = ""


@dataclass(frozen=True, slots=True)
class Condition:
    field: str | None
    expression: str
    break_on: Break = "on-false"
    actions: tuple[Action, ...] = ()
    anti_actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Extension:
    name: str
    conditions: tuple[Condition, ...]
    continue_on_match: bool = False


@dataclass(frozen=True, slots=True)
class Hunt:
    """What a hunt found: the name of the extension that added the first action (FreeSWITCH's
    caller-extension name; ``None`` when nothing matched) and the actions, in order, with the
    ``$N`` captures substituted.  No actions: no route."""

    context: str
    destination: str
    extension: str | None
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Dialplan:
    """The contexts of an XML dialplan (name -> extensions in order)."""

    contexts: Mapping[str, tuple[Extension, ...]]
    source: str = "<dialplan>"
    _apps: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @classmethod
    def parse(cls, text: str, source: str = "<dialplan>") -> Dialplan:
        root = _xml(text, source)
        contexts: dict[str, tuple[Extension, ...]] = {}
        found = [root] if root.tag == "context" else list(root.iter("context"))
        if not found:
            raise DialplanError(f"{source}: no <context> element")
        apps: set[str] = set()
        for ctx in found:
            name = ctx.get("name")
            if not name:
                raise DialplanError(f"{source}: a <context> without a name")
            # switch_xml_find_child: the first context of a name is the one hunted
            if name not in contexts:
                contexts[name] = tuple(_extension(x, source, apps) for x in ctx)
        return cls(contexts, source, frozenset(apps))

    @classmethod
    def load(cls, path: str | Path) -> Dialplan:
        p = Path(path)
        if p.is_dir():
            return cls._load_folder(p)
        return cls.parse(_read(p), str(p))

    @classmethod
    def _load_folder(cls, folder: Path) -> Dialplan:
        contexts: dict[str, tuple[Extension, ...]] = {}
        apps: set[str] = set()
        for file in sorted(folder.glob("*.xml")):  # glob() in preprocess_glob sorts too
            plan = cls.parse(_read(file), str(file))
            for name, exts in plan.contexts.items():
                contexts.setdefault(name, exts)
            apps |= plan.applications()
        for sub in sorted(d for d in folder.iterdir() if d.is_dir()):
            for file in sorted(sub.glob("*.xml")):
                root = _xml(_read(file), str(file))
                if root.tag != "include":
                    raise DialplanError(f"{file}: an included file is an <include>")
                added = tuple(_extension(x, str(file), apps) for x in root)
                contexts[sub.name] = contexts.get(sub.name, ()) + added
        if not contexts:
            raise DialplanError(f"{folder}: no <context> element")
        return cls(contexts, str(folder), frozenset(apps))

    def applications(self) -> frozenset[str]:
        """Every application the dialplan's actions and anti-actions name (lower case)."""
        return self._apps

    def hunt(self, context: str, destination: str, profile: Lookup, variable: Lookup) -> Hunt:
        """``dialplan_hunt`` for a caller profile in ``context`` (``profile``: its fields by
        name; ``variable``: the channel's variables, profile fields as the fallback)."""
        exts = self.contexts.get(context)
        if exts is None:
            exts = self.contexts.get("global", ())
        found: list[Action] = []
        name: str | None = None
        for ext in exts:
            proceed = _parse_exten(ext, found, profile, variable)
            if found and name is None:
                name = ext.name
            if proceed and not ext.continue_on_match:
                break
        return Hunt(context, destination, name, tuple(found))


def _read(p: Path) -> str:
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DialplanError(f"{p}: {getattr(exc, 'strerror', None) or exc}") from exc


def _xml(text: str, source: str) -> ET.Element:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise DialplanError(f"{source}: not XML: {exc}") from exc
    for element in root.iter():
        if element.tag == "X-PRE-PROCESS":
            raise DialplanError(f"{source}: pre-processor instructions are not modelled")
    return root


def _extension(element: ET.Element, source: str, apps: set[str]) -> Extension:
    where = f"{source}: extension {element.get('name')!r}"
    if element.tag != "extension":
        raise DialplanError(f"{source}: <{element.tag}> inside a context is not modelled")
    _check_attrs(element, _EXTENSION_ATTRS, where)
    conditions: list[Condition] = []
    for cond in element:
        if cond.tag != "condition":
            raise DialplanError(f"{where}: <{cond.tag}> is not modelled")
        _check_attrs(cond, _CONDITION_ATTRS, where)
        brk = cond.get("break", "on-false").lower()
        if brk not in _BREAKS:
            brk = "on-false"  # parse_exten ignores an unknown value
        actions: list[Action] = []
        anti: list[Action] = []
        for item in cond:
            if item.tag not in ("action", "anti-action"):
                raise DialplanError(f"{where}: <{item.tag}> in a condition is not modelled")
            _check_attrs(item, _ACTION_ATTRS, where)
            app = item.get("application")
            if not app:
                raise DialplanError(f"{where}: an <{item.tag}> without application")
            text = (item.text or "").strip()
            data = text if text else item.get("data", "")
            apps.add(app.lower())
            (actions if item.tag == "action" else anti).append(Action(app, data))
        conditions.append(
            Condition(
                cond.get("field"),
                cond.get("expression", ""),
                cast(Break, brk),
                tuple(actions),
                tuple(anti),
            )
        )
    cont = (element.get("continue") or "").lower() in _TRUE
    return Extension(element.get("name") or "UNKNOWN", tuple(conditions), cont)


def _check_attrs(element: ET.Element, allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(element.attrib) - allowed)
    if extra:
        raise DialplanError(
            f"{where}: <{element.tag}> attribute(s) {', '.join(extra)} are not modelled"
        )


def _parse_exten(ext: Extension, found: list[Action], profile: Lookup, variable: Lookup) -> bool:
    proceed = False
    for cond in ext.conditions:
        match: re.Match[str] | None = None
        expression = ""
        if cond.field is None:
            anti = False  # an absolute condition
            proceed = True
        else:
            expression = expand_variables(cond.expression, variable)
            if "$" in cond.field:
                data = expand_variables(cond.field, variable)
            else:
                data = profile(cond.field) or ""
            match = regex_search(data, expression)
            proceed = match is not None
            anti = not proceed
        if anti:
            for action in cond.anti_actions:
                found.append(action)
                proceed = True
        else:
            capture = cond.field is not None and "(" in expression
            for action in cond.actions:
                data = substitute(action.data, match) if capture else action.data
                found.append(Action(action.app, data))
        if (
            (not anti and cond.break_on == "on-true")
            or (anti and cond.break_on == "on-false")
            or cond.break_on == "always"
        ):
            break
    return proceed


def substitute(data: str, match: re.Match[str] | None) -> str:
    """``switch_perform_substitution``: ``$N`` and ``${N}`` -> group N of ``match`` (nothing
    for a group that did not take part or does not exist); any other ``$`` is kept."""
    out: list[str] = []
    x, n = 0, len(data)
    while x < n:
        if data[x] != "$":
            out.append(data[x])
            x += 1
            continue
        x += 1
        brace = x < n and data[x] == "{"
        start = x + 1 if brace else x
        end = start
        while end < n and "0" <= data[end] <= "9" and end - start < 9:
            end += 1
        if end == start:
            out.append("$")  # not a capture: the `$` stays, the rest follows as it is
            continue
        if brace and (end >= n or data[end] != "}"):
            x = start  # `${N` without `}`: FreeSWITCH drops the `${` and goes on
            continue
        num = int(data[start:end])
        x = end + 1 if brace else end
        if match is not None and num <= match.re.groups:
            out.append(match.group(num) or "")
    return "".join(out)
