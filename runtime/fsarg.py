"""The one escaping layer: every string the runtime puts into a FreeSWITCH command passes
one function here, chosen by where it goes.

Values from callers, look-ups and bindings are hostile. What FreeSWITCH would act on:

* `${...}` / `$${...}`: variable and API expansion (`${system(...)}` runs a shell command) in
  application arguments, `set` values and dial strings;
* a line break, CR or NUL: ends an ESL header (the rest becomes a new header or command);
* `^^<c>` at the start of a value: changes the delimiter of `multiset`/`export` lists;
* in a dial string: a leading `{...}`/`[...]`/`<...>` variable block (`execute_on_answer=...`),
  `,` and `|` (more destinations), `:_:` (enterprise originate);
* in a `file_string://` list: `!` (the next file).

Each function removes what its destination would interpret - not reversibly (no `$ {` that a
later step could join back) - or refuses the value (`None`) where a safe rendering would change
its meaning (say values, numbers, dial strings).
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Final

# C0 controls (NUL included), DEL and the C1 controls: never useful in a prompt or a value;
# lone surrogates (a JSON `"\ud800"` escape) cannot even be encoded for the socket.
_CONTROLS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_BREAKS: Final = re.compile(r"[\r\n\t\u2028\u2029]+")
_EXPANSION: Final = re.compile(r"\$+(?=\{)")  # the `$`s of `${`, `$${`, `$$${` ...
_CARETS: Final = re.compile(r"\^{2,}")

MAX_TEXT: Final = 4000
"""Longest text sent in one argument: an ESL header line stays well under FreeSWITCH's limits."""


def _clean(text: str) -> str:
    text = _BREAKS.sub(" ", text)  # before the controls: a CR/LF separates words
    text = _CONTROLS.sub("", text)
    text = _EXPANSION.sub("", text)  # `${x}` -> `{x}`: nothing left to expand or rejoin
    text = _CARETS.sub("^", text)  # no `^^` anywhere, so none at the start of a value
    return text[:MAX_TEXT]


def app_arg(text: str) -> str:
    """Any application argument built from data (queue names, mailboxes, ...)."""
    return _clean(text).strip()


def channel_value(text: str) -> str:
    """The value of `set name=value` (also `multiset`, `export`): the `set` app expands
    variables in it."""
    return _clean(text).strip()


def tts_text(text: str) -> str:
    """Text for `speak engine|voice|<text>` and a `say:<text>` prompt. A backslash goes too:
    play_and_get_digits' tokenizer rewrites `\\'`, `\\n`, `\\s` ... (runtime.esl.commands)."""
    return " ".join(_clean(text).replace("\\", " ").split())


def file_item(path: str) -> str:
    """A sound file path, alone or as one item of `file_string://` (`!` separates items)."""
    return _clean(path).replace("!", "").replace("\\", "/").strip()


_NOT_NAME: Final = re.compile(r"[^A-Za-z0-9_.@-]+")


def name_word(text: str) -> str:
    """A name that goes as one blank-separated argument (a mailbox, domain, profile): only
    letters, digits and `_ . @ -` are kept."""
    return _NOT_NAME.sub("", _clean(text))


DTMF_KEYS: Final = frozenset("0123456789*#ABCD")


def dtmf_keys(text: str) -> str:
    """Only the phone keys of `text` (exit keys, terminators)."""
    return "".join(ch for ch in text if ch in DTMF_KEYS)


def key_class(keys: str) -> str | None:
    """play_and_get_digits' valid-input regex for one key among `keys` (a menu's offered
    keys): `^[120]$`. Only phone keys go in, once each; `*` and `#` are literal inside a
    class, so nothing needs a backslash (which the app's tokenizer would rewrite). None when
    no key is left."""
    kept = "".join(dict.fromkeys(dtmf_keys(keys)))
    return f"^[{kept}]$" if kept else None


# ------------------------------------------------------------------ say values

# ASCII digits only (`re.ASCII`): `١٢` or `１２` are digits to Python, not to a say module.
_NUMBER: Final = re.compile(r"[+-]?\d{1,15}(?:\.\d{1,6})?", re.ASCII)
_ORDINAL: Final = re.compile(r"\d{1,9}", re.ASCII)
_DIGITS: Final = re.compile(r"\+?[0-9*#]{1,64}")
SAY_TYPES: Final = ("number", "money", "digits", "ordinal", "date", "time")


def say_value(say_as: str, value: str) -> str | None:
    """The value of a `say` as its type demands it, or None when it is not of that type.

    number/money: a decimal number (`12.5`, `-3`); digits: 0-9 * # with an optional leading
    `+`; ordinal: a whole number; date: an ISO date (`2026-10-20`, a time part is ignored);
    time: `HH:MM[:SS]`. Spaces are not removed inside a value: `1 2` is not a number."""
    v = value.strip()
    if say_as in ("number", "money"):
        return v if _NUMBER.fullmatch(v) else None
    if say_as == "digits":
        return v if _DIGITS.fullmatch(v) else None
    if say_as == "ordinal":
        return v if _ORDINAL.fullmatch(v) else None
    if say_as == "date":
        try:
            return date.fromisoformat(v[:10]).isoformat() if len(v) >= 10 else None
        except ValueError:
            return None
    if say_as == "time":
        try:
            t = time.fromisoformat(v)
        except ValueError:
            return None
        return t.replace(microsecond=0, tzinfo=None).isoformat()
    return None


_ZH_DIGITS: Final = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_EN_MONTHS: Final = (
    "January February March April May June July August September October November December"
).split()


def _money_parts(v: str) -> tuple[str, int, int]:
    amount = Decimal(v).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    cents = int(abs(amount) * 100)
    return sign, cents // 100, cents % 100


def say_text(say_as: str, value: str, locale: str) -> str | None:
    """A say value written out as text a TTS engine reads correctly in `locale` (used where
    FreeSWITCH's `say` modules cannot be: inside a collect prompt, and for languages a switch
    may lack a say module for). None when the value is not of its type."""
    v = say_value(say_as, value)
    if v is None:
        return None
    zh = locale.lower().startswith("zh")
    try:
        if say_as == "money":
            sign, whole, cents = _money_parts(v)
            if zh:
                return f"{'负' if sign else ''}{whole}.{cents:02d}元"
            unit = "dollar" if whole == 1 else "dollars"
            return f"{'minus ' if sign else ''}{whole} {unit} and {cents:02d} cents"
        if say_as == "number":
            return v.lstrip("+")
        if say_as == "digits":
            if zh:  # one character per digit, spaced: read one by one, not as a number
                return " ".join(("加" if c == "+" else _ZH_DIGITS.get(c, c)) for c in v)
            return " ".join(("plus" if c == "+" else c) for c in v)
        if say_as == "ordinal":
            n = int(v)
            if zh:
                return f"第{n}"
            suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
            return f"{n}{suffix}"
        if say_as == "date":
            d = date.fromisoformat(v)
            if zh:
                return f"{d.year}年{d.month}月{d.day}日"
            return f"{_EN_MONTHS[d.month - 1]} {d.day}, {d.year}"
        t = time.fromisoformat(v)
        if zh:
            return f"{t.hour}点{t.minute:02d}分" if t.minute else f"{t.hour}点整"
        return f"{t.hour}:{t.minute:02d}"
    except (InvalidOperation, ValueError, OverflowError):
        return None


# ------------------------------------------------------------------ dial strings

_NUMBER_TARGET: Final = re.compile(r"\+?[0-9*#]{1,32}")
# A bound target: endpoint/args of letters, digits and the few separators dial strings use;
# no variable block, no list separator, no expansion, no spaces.
_BOUND_TARGET: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+*#@:/=%-]{0,254}")
_SIP_URI: Final = re.compile(
    r"[A-Za-z0-9_.+*#~-]{1,64}@[A-Za-z0-9.-]{1,253}(?::\d{1,5})?", re.ASCII
)


def dial_number(value: str) -> str | None:
    """A number or extension from data: digits, `*`, `#`, an optional leading `+`; else None."""
    v = value.strip()
    return v if _NUMBER_TARGET.fullmatch(v) else None


def dial_target(target: str) -> str | None:
    """A bound dial string (`user/1000`, `sofia/gateway/gw/+861...`, `loopback/8001/default`):
    one destination, no variable block, no `,` `|` `:_:` separators, no expansion; else None."""
    v = target.strip()
    if not _BOUND_TARGET.fullmatch(v) or ":_:" in v:
        return None
    return v


def sip_uri(target: str) -> str | None:
    """`sip:user@host[:port]` (or `sips:`) -> `user@host[:port]`; None if it is anything else."""
    scheme, _, rest = target.strip().partition(":")
    if scheme.lower() not in ("sip", "sips") or not _SIP_URI.fullmatch(rest):
        return None
    return rest
