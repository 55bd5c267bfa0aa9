"""`${NAME}` substitution from the environment, and masking of what must never be logged.

A look-up's URL and header values may name environment variables (`Bearer ${CRM_TOKEN}`).
Their values are secrets unless they are the base URL (a URL template that *starts* with
`${NAME}`, as in `${CRM_URL}/customers?...`).  Every text that leaves this package (a
`LookupFailed.detail`, a log record) goes through a `Scrubber`, which replaces the full URL
by its display form (`scheme://host:port/path?***`, no userinfo), and the query string, the
userinfo, every header value and every secret by `***`.

httpx itself logs each request's full URL at INFO on the `httpx` logger; `install_log_filter`
puts a filter on that logger which masks query strings, userinfo and the secrets seen so far.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlsplit

MASK = "***"
MIN_SECRET_LEN = 4  # shorter values are not masked: they cannot be secrets, and would mangle text

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MissingEnv(Exception):
    """A `${NAME}` whose variable is not set."""

    def __init__(self, name: str) -> None:
        super().__init__(f"environment variable {name} is not set")
        self.name = name


def substitute(text: str, env: Mapping[str, str], used: list[tuple[str, int]] | None = None) -> str:
    """`text` with every `${NAME}` replaced by `env[NAME]` (one pass: values are not re-read).

    Raises `MissingEnv` for the first unset name.  When `used` is given, each substituted value
    is appended with the position of its reference in `text`.
    """

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        value = env.get(name)
        if value is None:
            raise MissingEnv(name)
        if used is not None:
            used.append((value, m.start()))
        return value

    return ENV_REF.sub(repl, text)


def display_url(url: str) -> str:
    """`scheme://host:port/path` plus `?***` when there was a query; no userinfo, no fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme:
        return "<invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    shown = f"{parts.scheme}://{netloc}{parts.path}"
    return shown + ("?" + MASK if parts.query else "")


def _variants(value: str) -> set[str]:
    # A secret may show up percent-encoded once httpx has normalised the URL.
    return {value, quote(value, safe=""), quote(value, safe="/:@!$&'()*+,;=")}


class Scrubber:
    """Replaces, longest first, everything of one request that must not be shown."""

    def __init__(self, url: str, header_values: Iterable[str], secrets: Iterable[str]) -> None:
        pairs: dict[str, str] = {}
        secret_set = {s for s in secrets if len(s) >= MIN_SECRET_LEN}
        for value in {*header_values, *secret_set}:
            if len(value) >= MIN_SECRET_LEN:
                for variant in _variants(value):
                    pairs[variant] = MASK
        try:
            parts = urlsplit(url)
            query, netloc = parts.query, parts.netloc
        except ValueError:
            query, netloc = "", ""
        if query:
            pairs[query] = MASK
        if "@" in netloc:
            pairs[netloc.rpartition("@")[0]] = MASK
        if url:
            pairs[url] = display_url(url)
        self._pairs = sorted(pairs.items(), key=lambda kv: len(kv[0]), reverse=True)
        self.secrets = frozenset(secret_set)

    def __call__(self, text: str) -> str:
        for needle, replacement in self._pairs:
            if needle and needle in text:
                text = text.replace(needle, replacement)
        return text


_QUERY = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s?#\"'<>]*)\?[^\s#\"'<>]*")
_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://)[^\s/@\"'<>]*@")


def mask_urls(text: str) -> str:
    """Mask the query string and userinfo of every URL in free text."""
    return _USERINFO.sub(r"\1", _QUERY.sub(r"\1?" + MASK, text))


class _SecretLogFilter(logging.Filter):
    """Rewrites records of a third-party logger (httpx) so no query string or secret survives."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()

    def add(self, secrets: Iterable[str]) -> None:
        new = {v for s in secrets if len(s) >= MIN_SECRET_LEN for v in _variants(s)}
        with self._lock:
            if not new.issubset(self._secrets):
                merged = set(self._secrets) | new
                self._secrets = tuple(sorted(merged, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's business, not ours
            return True
        masked = mask_urls(message)
        for secret in self._secrets:
            if secret in masked:
                masked = masked.replace(secret, MASK)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


LOG_FILTER = _SecretLogFilter()
_FILTERED_LOGGERS = ("httpx",)


def install_log_filter() -> None:
    """Attach the masking filter to httpx's logger (idempotent)."""
    for name in _FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if LOG_FILTER not in logger.filters:
            logger.addFilter(LOG_FILTER)
