"""Removing credentials from text that came from a server: error bodies, headers, URLs.

A server may echo the request's ``Authorization`` header or body into its error text. Every
message, repr and attribute built from a response goes through a :class:`Redactor` first.
It replaces the client's own secrets in every form they travel in (raw, ``user:password``,
base64 Basic, JSON-, form- and URL-encoded), the recent bearer tokens, and anything shaped
like a credential (``Basic <base64 of a:b>``, long ``Bearer`` tokens, ``client_secret=...``).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import threading
from collections import deque
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Redactor"]

#: What a removed credential is replaced with.
MASK = "[redacted]"
#: Shorter passwords and tokens are not searched for: masking every "ab" would garble
#: messages. The ``user:password`` and base64 forms of a short password are still removed.
MIN_SECRET_LENGTH = 4
_RECENT_TOKENS = 4

_BASIC = re.compile(r"(?i)(\bBasic\s+)([A-Za-z0-9+/]{4,}={0,2})")
_BEARER = re.compile(r"(?i)(\bBearer\s+)([A-Za-z0-9\-._~+/]{16,}=*)")
_NAMED = re.compile(
    r"""(?ix)
    ( ["']? \b(?:access_token|refresh_token|id_token|client_secret|password|passwd)\b ["']?
      \s* [:=] \s* ["']? )
    ( [^"'&\s,;}]+ )
    """
)


class Redactor:
    """Masks known secrets and credential-shaped text; safe to share between threads."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._tokens: deque[str] = deque(maxlen=_RECENT_TOKENS)
        self._lock = threading.Lock()
        self._known: re.Pattern[str] | None = None

    def add_basic(self, username: str, password: str) -> None:
        """Remember a Basic credential pair: the password and the forms the pair travels in."""
        pair = f"{username}:{password}"
        encoded = base64.b64encode(pair.encode()).decode("ascii")
        with self._lock:
            self._secrets.update(_variants(password))
            self._secrets.add(encoded)
            # Not a bare ":" (no credentials at all): that would mask every colon.
            if len(pair) >= MIN_SECRET_LENGTH:
                self._secrets.add(pair)
            self._known = None

    def add_token(self, token: str) -> None:
        """Remember a bearer token (the most recent few are kept)."""
        if len(token) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            self._tokens.append(token)
            self._known = None

    def __call__(self, text: str) -> str:
        """``text`` with every credential replaced by :data:`MASK`."""
        if not text:
            return text
        known = self._pattern()
        if known is not None:
            text = known.sub(MASK, text)
        text = _BASIC.sub(_mask_basic, text)
        text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
        return _NAMED.sub(lambda m: m.group(1) + MASK, text)

    def _pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._known is None:
                values = {v for v in self._secrets | set(self._tokens) if v}
                if not values:
                    return None
                # Longest first, so a secret is never half-masked by a shorter one inside it.
                ordered = sorted(values, key=len, reverse=True)
                self._known = re.compile("|".join(re.escape(v) for v in ordered))
            return self._known


def _variants(secret: str) -> set[str]:
    """The raw secret and the encodings a server may echo it in."""
    if len(secret) < MIN_SECRET_LENGTH:
        return set()
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        html.escape(secret),
    }


def _mask_basic(match: re.Match[str]) -> str:
    """Mask ``Basic <b64>`` when the base64 decodes to ``user:password``."""
    try:
        decoded = base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return match.group(1) + MASK if b":" in decoded else match.group(0)
