"""Channel variables: ``switch_channel_expand_variables`` (with the one api form a capture shows
expanded: ``say_string`` for a language without a say module, T06) and the apps that set them
(``set``, ``multiset``, ``export``, ``unset``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ..fsutil import expand_variables, separate_string_char
from ..profile import Unrecorded
from .base import AppGen

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["SAY_STRING_USAGE", "Variables"]

_API_REF: Final = re.compile(r"\$\{([a-z_]+)\(([^)]*)\)\}")
SAY_STRING_USAGE: Final = (
    "-ERR Usage: <module_name>[.<ext>] <lang>[.<ext>] <say_type> <say_method> [<say_gender>]"
    " <text>\n"
)


class Variables:
    """Expansion and the variable apps on channel ``ch`` (the variables are ``ch.vars``)."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch

    # -- variables
    def expand(self, text: str) -> str:
        """``switch_channel_expand_variables``: ``${var}`` and the api form ``${cmd(args)}``.
        The only api recorded inside an argument is ``say_string`` for a language without a
        say module: ``switch_xml.c:3326 Can't find language zh.`` and the text becomes the
        usage line with its newline (T06 lines 302-304); anything else is ``Unrecorded``."""

        def api(m: re.Match[str]) -> str:
            name, args = m.group(1), m.group(2)
            lang = args.split(" ")[1].split(".")[0] if len(args.split(" ")) > 1 else ""
            if name == "say_string" and lang and lang not in self.ch.profile_sw.say_languages:
                self.ch.switch_log.append(f"Can't find language {lang}.")
                return SAY_STRING_USAGE
            raise Unrecorded(f"${{{name}({args[:60]})}}: no recording shows it expanded")

        return expand_variables(_API_REF.sub(api, text), self.ch.variable)

    def _base_set(self, data: str) -> None:
        """mod_dptools ``base_set``: ``name=value`` (or ``name,value``); an empty value
        unsets; the value is expanded once more."""
        if not data:
            return  # "No variable name specified."
        name, sep, value = data.partition("=")
        if not sep:
            name, _, value = data.partition(",")
        self.ch.vars.set(name, expand_variables(value, self.ch.vars.get) if value else None)

    def app_set(self, arg: str) -> AppGen:
        name, _, value = arg.partition("=")
        if name:
            self.ch.vars.set(name.strip(), value or None)
        return
        yield  # pragma: no cover

    def app_multiset(self, arg: str) -> AppGen:
        """``multiset var=value var2=value2``, or ``^^<d>var=value<d>var2=value2``."""
        delim = " "
        if arg.startswith("^^"):
            delim = arg[2:3]
            arg = arg[3:]
        if delim:
            for item in separate_string_char(arg, delim, 256):
                self._base_set(item)
        return
        yield  # pragma: no cover

    def app_export(self, arg: str) -> AppGen:
        name, _, value = arg.partition("=")
        local = not name.startswith("nolocal:")
        name = name.removeprefix("nolocal:").strip()
        if name:
            if local:
                self.ch.vars.set(name, value or None)
            current = self.ch.vars.get("export_vars")
            self.ch.vars.set("export_vars", f"{current},{name}" if current else name)
        return
        yield  # pragma: no cover

    def app_unset(self, arg: str) -> AppGen:
        if arg:
            self.ch.vars.delete(arg.strip())
        return
        yield  # pragma: no cover
