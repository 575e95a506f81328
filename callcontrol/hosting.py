"""Documents hosted for redirects, readable by every worker: signed tokens and stores.

:meth:`callcontrol.WebhookApp.host` returns a path that serves a validated ``<Response>``.
Behind a server with several worker processes, or several hosts, the redirect callback
may reach a worker other than the one that registered it, so the document must not live
in one process's memory. Two ways need no memory shared between workers:

- **Signed tokens.** With a secret (``hosting_secret=`` or the ``CALLCONTROL_HOSTING_SECRET``
  environment variable, the same on every worker), the path carries the document itself:
  compressed, with its expiry, signed with HMAC-SHA256 and encoded as URL-safe base64. Any
  worker with the secret verifies it (in constant time) and serves it until it expires. The
  path is kept under :data:`MAX_TOKEN_PATH` characters, so that the full URL stays under the
  2,048 characters Bandwidth accepts for callback URLs with a public base URL of up to 248
  characters. Workers' clocks must agree (NTP) to within the precision the TTL needs.
- **A document store** (:class:`DocumentStore`) for documents too long for a URL, or without a
  secret: :class:`RedisStore` shares them between workers and hosts; :class:`MemoryStore`,
  the default, keeps them in this process only.

A hosted document is served to every synchronous callback to its path until it expires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
import math
import re
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

__all__ = [
    "HOSTED_PREFIX",
    "MAX_TOKEN_PATH",
    "MAX_TTL",
    "SECRET_ENV",
    "DocumentStore",
    "HostedDocuments",
    "HostingRefused",
    "MemoryStore",
    "RedisStore",
]

#: Paths under this prefix serve the documents registered with ``WebhookApp.host``.
HOSTED_PREFIX = "/_bxml/"
#: The environment variable a ``WebhookApp`` reads its hosting secret from.
SECRET_ENV = "CALLCONTROL_HOSTING_SECRET"
#: The longest path a signed token gets; longer documents go to the store.
MAX_TOKEN_PATH = 1800
#: The longest a document may be hosted, in seconds (a day).
MAX_TTL = 86400.0
#: The shortest secret accepted, in bytes.
MIN_SECRET_BYTES = 16
#: The fewest different byte values a secret may have (a random secret has many more).
MIN_DISTINCT_BYTES = 4

_TOKEN_MARK = "t."
_CONTEXT = b"callcontrol hosted BXML v1\x00"  # binds the MAC to this use of the secret
_HEADER = struct.Struct(">BQ")  # format version, expiry in milliseconds since the epoch
_VERSION = 1
_MAC_BYTES = hashlib.sha256().digest_size
_MAX_DOCUMENT = 1 << 20  # a verified token never inflates beyond this
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


class DocumentStore(Protocol):
    """Where hosted documents are kept by key, for as long as their TTL."""

    def put(self, key: str, data: bytes, ttl: float) -> None:
        """Keep ``data`` under ``key`` for ``ttl`` seconds."""

    def get(self, key: str) -> bytes | None:
        """The data kept under ``key``, or None if there is none or it expired."""


class MemoryStore:
    """A :class:`DocumentStore` in this process's memory, safe across threads.

    Only the process that put a document can serve it: use it with a single worker process
    (``gunicorn --workers 1 --threads 8``), or give every worker a secret or a shared store.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._documents: dict[str, tuple[bytes, float]] = {}
        # (expiry, key) of every document put, soonest first: a put drops the expired ones
        # from the top instead of looking at every live document.
        self._expiries: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryStore(documents={len(self._documents)})"

    def put(self, key: str, data: bytes, ttl: float) -> None:
        """Keep ``data`` under ``key`` for ``ttl`` seconds (expired documents are dropped).

        O(log n) for n live documents; each expired document is dropped once.
        """
        with self._lock:
            now = self._clock()
            self._drop_expired(now)
            expires = now + ttl
            self._documents[key] = (data, expires)
            heapq.heappush(self._expiries, (expires, key))

    def _drop_expired(self, now: float) -> None:
        expiries, documents = self._expiries, self._documents
        while expiries and expiries[0][0] <= now:
            expires, key = heapq.heappop(expiries)
            found = documents.get(key)
            # get() may have dropped it already, or a later put replaced it.
            if found is not None and found[1] == expires:
                del documents[key]

    def get(self, key: str) -> bytes | None:
        """The data under ``key``, or None if there is none or it expired."""
        with self._lock:
            found = self._documents.get(key)
            if found is None:
                return None
            data, expires = found
            if expires <= self._clock():
                del self._documents[key]
                return None
            return data


class _RedisClient(Protocol):
    def set(self, name: str, value: bytes, *, px: int) -> object: ...

    def get(self, name: str) -> object: ...


class RedisStore:
    """A :class:`DocumentStore` on Redis, shared by every worker and host that reaches it.

    Give a ``redis.Redis`` client (``pip install 'bxml-callcontrol[redis]'``) or use
    :meth:`from_url`. Keys are ``prefix`` + a random key; Redis expires them itself. The
    client must return bytes: one made with ``decode_responses=True`` is refused.
    """

    def __init__(self, client: _RedisClient, *, prefix: str = "callcontrol:bxml:") -> None:
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, not {type(prefix).__name__}")
        if _decodes_responses(client):
            raise ValueError(
                "RedisStore needs a Redis client that returns bytes: this one was made with "
                "decode_responses=True, which turns documents into str; make the client "
                "without it"
            )
        self._client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "callcontrol:bxml:") -> RedisStore:
        """Connect with ``redis.Redis.from_url(url)`` (e.g. ``redis://10.0.0.5:6379/0``)."""
        try:
            import redis
        except ImportError:
            raise ImportError(
                "RedisStore needs the redis package: pip install 'bxml-callcontrol[redis]'"
            ) from None
        return cls(redis.Redis.from_url(url), prefix=prefix)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.prefix!r})"

    def put(self, key: str, data: bytes, ttl: float) -> None:
        """``SET prefix+key data PX ttl`` (in milliseconds, at least 1)."""
        self._client.set(self.prefix + key, data, px=max(1, math.ceil(ttl * 1000)))

    def get(self, key: str) -> bytes | None:
        """``GET prefix+key``."""
        value = self._client.get(self.prefix + key)
        if value is None:
            return None
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"the Redis client returned {type(value).__name__}, not bytes")
        return bytes(value)


def _decodes_responses(client: object) -> bool:
    """Whether a redis-py client decodes replies to str (``decode_responses=True``).

    redis-py keeps the setting in the encoder its ``get_encoder()`` returns (Redis and
    RedisCluster alike), and in the connection pool's keyword arguments; a client that
    has neither is taken as returning bytes (:meth:`RedisStore.get` still checks).
    """
    get_encoder = getattr(client, "get_encoder", None)
    if callable(get_encoder):
        # Truthiness, as redis-py itself tests it: from_url leaves "?decode_responses=true"
        # as the string 'true'.
        return bool(getattr(get_encoder(), "decode_responses", False))
    pool = getattr(client, "connection_pool", None)
    settings = getattr(pool, "connection_kwargs", None)
    return isinstance(settings, dict) and bool(settings.get("decode_responses"))


class HostingRefused(Exception):
    """A hosted-document path that serves nothing: why, and the HTTP status to answer."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class _Token:
    expires_ms: int
    body: bytes


class HostedDocuments:
    """Registers documents under hosted paths and finds them again, in any worker.

    :param secret: signs tokens that carry the document; None keeps every document in
        ``store``.
    :param store: where documents too long for a token (or all, without a secret) go.
    :param clock: seconds since the epoch, the same on every worker.
    """

    def __init__(
        self,
        secret: bytes | None,
        store: DocumentStore,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = None if secret is None else secret_bytes(secret, "secret")
        self._store = store
        self._clock = clock

    def __repr__(self) -> str:
        signed = "signed tokens, " if self._secret is not None else ""
        return f"HostedDocuments({signed}store={self._store!r})"

    @property
    def signs(self) -> bool:
        """Whether documents that fit a URL travel in signed tokens."""
        return self._secret is not None

    def add(self, body: bytes, ttl: float) -> str:
        """Register ``body`` for ``ttl`` seconds; return its path (a token if it fits)."""
        if self._secret is not None:
            expires_ms = math.ceil((self._clock() + ttl) * 1000)
            path = HOSTED_PREFIX + _TOKEN_MARK + _seal(self._secret, expires_ms, body)
            if len(path) <= MAX_TOKEN_PATH:
                return path
        key = secrets.token_urlsafe(24)
        self._store.put(key, body, ttl)
        return HOSTED_PREFIX + key

    @staticmethod
    def is_token(path: str) -> bool:
        """Whether ``path`` carries its document in a signed token."""
        return path.startswith(HOSTED_PREFIX + _TOKEN_MARK)

    def fetch(self, path: str) -> bytes:
        """The document at ``path`` (under :data:`HOSTED_PREFIX`), or :class:`HostingRefused`."""
        name = path[len(HOSTED_PREFIX) :]
        if name.startswith(_TOKEN_MARK):
            return self._open(name[len(_TOKEN_MARK) :])
        if _KEY.fullmatch(name) is None:
            raise HostingRefused(HTTPStatus.NOT_FOUND, "no such hosted document")
        body = self._store.get(name)
        if body is None:
            raise HostingRefused(HTTPStatus.NOT_FOUND, "no such hosted document (or expired)")
        return body

    def _open(self, token: str) -> bytes:
        if self._secret is None:
            raise HostingRefused(
                HTTPStatus.NOT_FOUND,
                f"a signed hosted-document token, but this app has no secret ({SECRET_ENV})",
            )
        opened = _unseal(self._secret, token)
        if opened is None:
            raise HostingRefused(
                HTTPStatus.NOT_FOUND, "a hosted-document token with a bad signature or format"
            )
        if opened.expires_ms <= self._clock() * 1000:
            raise HostingRefused(HTTPStatus.GONE, "an expired hosted-document token")
        return opened.body


def secret_bytes(secret: str | bytes, source: str) -> bytes:
    """Check a hosting secret from ``source`` (a parameter or variable name) and encode it."""
    text = isinstance(secret, str)
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes):
        raise TypeError(f"{source} must be a str or bytes, not {type(secret).__name__}")
    problem = _weakness(secret, text)
    if problem is not None:
        # The secret itself is never shown: only what is wrong with it.
        raise ValueError(
            f"{source} {problem} (make one with: python -c "
            "'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return secret


def _weakness(secret: bytes, text: bool) -> str | None:
    """Why ``secret`` is too weak to sign with, or None: too short, too few distinct bytes
    (``'a' * 32``, ``'abab…'``), all whitespace, or (given as text) whitespace at either end,
    which is usually a stray newline that other workers' copies do not have."""
    if len(secret) < MIN_SECRET_BYTES:
        return f"is {len(secret)} bytes long; a hosting secret needs at least {MIN_SECRET_BYTES}"
    if secret.isspace():
        return "is all whitespace; a hosting secret must be random"
    distinct = len(set(secret))
    if distinct < MIN_DISTINCT_BYTES:
        return (
            f"is made of only {distinct} different byte value{'s' if distinct > 1 else ''}; "
            f"a hosting secret must be random, with at least {MIN_DISTINCT_BYTES}"
        )
    if text and secret.strip() != secret:
        return (
            "starts or ends with whitespace (a stray newline or space?); strip it, so that "
            "every worker has the same secret"
        )
    return None


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).digest()


def _seal(secret: bytes, expires_ms: int, body: bytes) -> str:
    payload = _HEADER.pack(_VERSION, expires_ms) + zlib.compress(body, 9)
    return _encode(payload + _mac(secret, payload))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unseal(secret: bytes, token: str) -> _Token | None:
    """The verified content of ``token``, or None if it is malformed or its MAC is wrong."""
    if len(token) > MAX_TOKEN_PATH:
        return None
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):  # ValueError: a non-ASCII character
        return None
    if len(raw) < _HEADER.size + _MAC_BYTES or _encode(raw) != token:
        return None  # too short, or not the one spelling (unused bits set)
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    version, expires_ms = _HEADER.unpack_from(payload)
    if version != _VERSION:
        return None
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(payload[_HEADER.size :], _MAX_DOCUMENT)
    except zlib.error:
        return None
    if not inflater.eof or inflater.unconsumed_tail:
        return None
    return _Token(expires_ms, body)
