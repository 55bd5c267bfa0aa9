"""Signed resume state: what the first socket leaves on the channel for the queue's `after`.

Before `callcenter` the driver sets `flowc_resume=<node>` and `flowc_state=<token>`; after
the agent the dialplan connects again with `flowc_resume_node=<node>`, and an instance that
no longer holds the call starts it at that node with the variables of `flowc_state`. Both
are channel variables: anyone who can set them on a channel (a dialplan, another
application, a SIP header mapped by a careless profile) could start a flow at any node with
any variables, e.g. past a PIN check straight to a transfer. So the token is signed:

    token = <base64url JSON state> "." <base64url HMAC-SHA256>
    HMAC over  b"flowc-resume-v1\\0" call_uuid \\0 node \\0 <base64url JSON state>

binding the state to the channel it was written for and to the node it resumes at (the node
travels in a variable of its own). Keys (`ResumeKeys`): from `FLOWC_RESUME_KEY` (one or more,
comma-separated) or a key file given to `flowc serve` (one per line); the first key signs,
every key verifies, so a key is rotated by putting the new one first and dropping the old one
once no call can still carry it (longer than the longest agent conversation). Without a
configured key each process draws a random one: resuming on another instance (or after a
restart) is then refused, which `flowc serve` says when it starts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from runtime import translate as tr

ENV_VAR: Final = "FLOWC_RESUME_KEY"
MIN_KEY_CHARS: Final = 16
MAX_KEY_FILE_BYTES: Final = 64 * 1024
MAX_TOKEN_CHARS: Final = 256 * 1024  # a state larger than this was not written by us
_DOMAIN: Final = b"flowc-resume-v1\0"


class ResumeKeyError(ValueError):
    """A key setting that cannot be used (too short, unreadable file)."""


@dataclass(frozen=True)
class ResumeKeys:
    """The keys of one runtime instance: `keys[0]` signs, all verify. `generated`: a random
    per-process key (nothing configured)."""

    keys: tuple[bytes, ...]
    generated: bool = False
    source: str = ""

    def __post_init__(self) -> None:
        if not self.keys:
            raise ResumeKeyError("no resume key")

    @classmethod
    def random(cls) -> ResumeKeys:
        return cls((secrets.token_bytes(32),), generated=True, source="generated")

    @classmethod
    def of(cls, texts: Sequence[str], source: str) -> ResumeKeys:
        keys: list[bytes] = []
        for text in texts:
            key = text.strip()
            if not key:
                continue
            if len(key) < MIN_KEY_CHARS:
                raise ResumeKeyError(
                    f"a resume key in {source} has {len(key)} characters; "
                    f"use at least {MIN_KEY_CHARS} (e.g. `openssl rand -hex 32`)"
                )
            keys.append(key.encode())
        if not keys:
            raise ResumeKeyError(f"{source} holds no resume key")
        return cls(tuple(keys), source=source)

    @classmethod
    def from_file(cls, path: Path) -> ResumeKeys:
        """One key per line, the signing key first; blank lines and `#` comments skipped."""
        try:
            if not path.is_file():
                raise ResumeKeyError(f"resume key file {path} is not a regular file")
            with path.open("rb") as fh:
                data = fh.read(MAX_KEY_FILE_BYTES + 1)
        except OSError as exc:
            raise ResumeKeyError(f"cannot read resume key file {path}: {exc.strerror}") from None
        if len(data) > MAX_KEY_FILE_BYTES:
            raise ResumeKeyError(f"resume key file {path} is larger than {MAX_KEY_FILE_BYTES} B")
        try:
            text = data.decode()
        except UnicodeDecodeError:
            raise ResumeKeyError(f"resume key file {path} is not UTF-8 text") from None
        lines = [ln for ln in text.splitlines() if not ln.strip().startswith("#")]
        return cls.of(lines, f"resume key file {path}")

    @classmethod
    def configured(
        cls, key_file: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> ResumeKeys:
        """The key file when given, else `FLOWC_RESUME_KEY`, else a random key."""
        if key_file is not None:
            return cls.from_file(key_file)
        env = os.environ if environ is None else environ
        value = env.get(ENV_VAR, "")
        if value.strip():
            return cls.of(value.split(","), f"${ENV_VAR}")
        return cls.random()

    # ------------------------------------------------------------------ tokens

    def seal(self, state: Mapping[str, Any], call_id: str, node: str) -> str:
        payload = tr.encode_state(state)
        return f"{payload}.{_b64(_mac(self.keys[0], call_id, node, payload))}"

    def open(self, token: str | None, call_id: str, node: str) -> dict[str, Any] | str:
        """The state of a token written for this call and node, or why it is refused."""
        if not token:
            return "no resume state"
        if len(token) > MAX_TOKEN_CHARS:
            return "resume state too large"
        payload, dot, signature = token.rpartition(".")
        if not dot or not payload:
            return "resume state not signed"
        try:
            given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        except ValueError:
            return "malformed signature"
        if not any(
            hmac.compare_digest(given, _mac(key, call_id, node, payload)) for key in self.keys
        ):
            return "bad signature"
        state = tr.decode_state(payload)
        if not state:
            return "unreadable resume state"
        return state


def _mac(key: bytes, call_id: str, node: str, payload: str) -> bytes:
    message = b"".join((_DOMAIN, call_id.encode(), b"\0", node.encode(), b"\0", payload.encode()))
    return hmac.new(key, message, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
