"""Serve BXML from webhook URLs: :class:`WebhookApp`, a WSGI application.

Bandwidth POSTs a JSON callback (or GETs with query parameters) to the application's URLs and,
for synchronous events, executes the ``<Response>`` it gets back. The app reads each callback
into a typed event (:mod:`callcontrol.events`), hands it to a handler, validates what the
handler returns and answers::

    from bxml import Gather, Hangup, Response, SpeakSentence
    from callcontrol import GatherEvent, WebhookApp

    app = WebhookApp(username="bw", password="s3cret")

    @app.route("/answer")
    def answer(event):
        return Response(Gather(SpeakSentence("Press 1."), gather_url="/menu", max_digits=1))

    @app.on("gather")
    def menu(event: GatherEvent):
        return Response(SpeakSentence(f"You pressed {event.digits}."), Hangup())

Run it under any WSGI server (``gunicorn module:app``, ``waitress-serve module:app``), or
``app.asgi`` under an ASGI server (``uvicorn module:app.asgi``), where handlers may be
``async def``; see :mod:`callcontrol.asgi`. Both front ends are thin adapters over one
framework-neutral core: the ``WebhookApp`` methods that take a :class:`WebhookRequest` and
return a :class:`Reply`. Under WSGI an ``async def`` handler is an app error (logged,
answered with the fallback): no event loop awaits it there.

Statuses: 200 with ``application/xml; charset=utf-8`` for a document; 204 when there is none,
and always for asynchronous events (Bandwidth ignores replies to them), even with no handler
or a handler that raises; 400 (short JSON error) for a body that is not an event; 401 for bad
credentials; 404 for a synchronous event (or a request that is no event at all) on a path with
no route and no event handler, or for an unknown or tampered hosted-document path; 405 for
methods other than GET and POST; 410 for an expired signed hosted-document path; 413 over
``max_body_bytes``; 414 for an oversized query string; 503 when the hosting store fails.

A handler that raises, or returns something that is not a valid ``<Response>``, is logged
with the callId; a synchronous call event is then answered with the fallback document so
the caller is never left in silence, and a conference event with 204 (a conference reply
may not hang up, and 204 is what Bandwidth accepts as "nothing to do").

Drivers that run the app in process (``CallSimulator``, ``explore``, the emulator) must not
mistake that fallback for the app's answer: they put a list under :data:`APP_ERRORS_KEY` in
the WSGI environ (in ``scope["extensions"]`` under ASGI), and the app appends
``(kind, exception)`` to it for each failure, ``kind`` being ``"app-error"`` (the handler
raised) or ``"invalid-bxml"`` (its reply is not a valid ``<Response>``). A real server puts
no list there, so production keeps the fallback.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import inspect
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import bxml

from . import contract
from .events import ConferenceEvent, Event, EventParseError, UnknownEvent, event_class, parse_event
from .hosting import (
    HOSTED_PREFIX,
    MAX_TTL,
    SECRET_ENV,
    DocumentStore,
    HostedDocuments,
    HostingRefused,
    MemoryStore,
    secret_bytes,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .asgi import AsgiWebhooks

__all__ = ["APP_ERRORS_KEY", "DEFAULT_FALLBACK_TEXT", "HOSTED_PREFIX", "WebhookApp", "app_failures"]

logger = logging.getLogger("callcontrol.webhooks")

#: The WSGI environ key (and ASGI ``scope["extensions"]`` key) of the list in which an
#: in-process driver collects handler failures.
APP_ERRORS_KEY = "callcontrol.app_errors"
#: The kinds of failure reported under :data:`APP_ERRORS_KEY`.
FAILURE_KINDS = ("app-error", "invalid-bxml")
#: What the default fallback document says before it hangs up.
DEFAULT_FALLBACK_TEXT = "We are sorry, something went wrong. Please try again later. Goodbye."

_H = TypeVar("_H", bound=Callable[..., object])
_Handler = Callable[[Any], object]
_XML = "application/xml; charset=utf-8"
_READ_CHUNK = 64 * 1024
# Valid replies remembered, so a repeated document is validated once: at most 256 x 16 KB.
_VALIDATED_DOCUMENTS = 256
_VALIDATED_MAX_BYTES = 16 * 1024


@dataclass(frozen=True)
class WebhookRequest:
    """A callback request as the core reads it, whatever the server (WSGI, ASGI).

    ``path`` is below the mount point ``root``; ``query`` is the raw query string (None
    when the server handed over text that is not bytes); ``host`` is the host as a URL
    names it, in lower case.
    """

    method: str
    path: str
    query: bytes | None
    authorization: str
    content_type: str
    host: str
    root: str


@dataclass(frozen=True)
class Dispatch:
    """A handler to call with the event; the front end calls it (awaits it, under ASGI)."""

    handler: _Handler
    event: Event


@dataclass(frozen=True)
class Reply:
    status: HTTPStatus
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def wsgi_headers(self) -> list[tuple[str, str]]:
        headers = [("Content-Length", str(len(self.body)))]
        if self.content_type is not None:
            headers.insert(0, ("Content-Type", self.content_type))
        return headers + list(self.headers)


def _error(status: HTTPStatus, code: str, message: str, *headers: tuple[str, str]) -> Reply:
    body = json.dumps({"error": code, "message": message}).encode()
    return Reply(status, body, "application/json", headers)


class Refused(Exception):
    """Raised while reading a request that gets an error reply instead of a handler."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status.phrase)
        self.reply = reply


_NO_CONTENT = Reply(HTTPStatus.NO_CONTENT)


def _restricted(event_type: str, result: object, data: bytes) -> str | None:
    """Why a reply to ``event_type`` may not hold its verbs (conference events,
    transferAnswer: bxml-spec §6), or None; other events are not looked at."""
    if event_type not in _RESTRICTED_EVENTS:
        return None
    doc = result if isinstance(result, bxml.Response) else bxml.parse(data)
    return contract.reply_restriction(event_type, (verb.TAG for verb in doc.children))


_RESTRICTED_EVENTS = contract.CONFERENCE_REPLY_EVENTS | {"transferAnswer"}


def _render(doc: object) -> bytes:
    """Check that ``doc`` is a valid ``<Response>`` (object or XML) and return its bytes."""
    if isinstance(doc, (str, bytes)):
        head = doc[:80].decode("utf-8", "replace") if isinstance(doc, bytes) else doc[:80]
        if head.strip(" \t\r\n\ufeff")[:1] not in ("", "<"):
            raise TypeError(
                f"the handler returned plain text ({head[:60]!r}), not BXML: return a "
                "bxml.Response (e.g. Response(SpeakSentence(...))) or XML text"
            )
        doc = bxml.parse(doc)
    if not isinstance(doc, bxml.Response):
        hint = " (<Bxml> is for updateCallBxml)" if isinstance(doc, bxml.Bxml) else ""
        raise TypeError(
            f"a webhook answers with a bxml.Response or its XML, not {type(doc).__name__}{hint}"
        )
    data = doc.to_bytes()
    if len(data) <= _VALIDATED_MAX_BYTES:
        _validate_once(data)
    else:
        bxml.validate(data)
    return data


@functools.lru_cache(maxsize=_VALIDATED_DOCUMENTS)
def _validate_once(data: bytes) -> None:
    """Validate the bytes that will leave; handlers often send the same document again.

    Only documents found valid are remembered (a raising call is not cached).
    """
    bxml.validate(data)


def app_failures(reported: object) -> list[tuple[str, BaseException]]:
    """The failures an app reported under :data:`APP_ERRORS_KEY`, as ``(kind, exception)``.

    Apps on other frameworks may append a bare exception (taken as ``"app-error"``); anything
    else in the list is reported as an ``"app-error"`` that names what was found.
    """
    if not isinstance(reported, list):
        return []
    found: list[tuple[str, BaseException]] = []
    for item in reported:
        if isinstance(item, BaseException):
            found.append(("app-error", item))
        elif (
            isinstance(item, tuple)
            and len(item) == 2
            and item[0] in FAILURE_KINDS
            and isinstance(item[1], BaseException)
        ):
            found.append((item[0], item[1]))
        else:
            problem = TypeError(
                f"{APP_ERRORS_KEY} holds {type(item).__name__}; "
                "append an exception or a (kind, exception) pair"
            )
            found.append(("app-error", problem))
    return found


#: Tells an in-process driver of one failure: ``report(kind, exception)``.
Report = Callable[[str, BaseException], None]


def _ignore(kind: str, error: BaseException) -> None:
    """Where failures go when no driver collects them (a real server)."""


def reporter(sink: object) -> Report:
    """The report function of a request whose :data:`APP_ERRORS_KEY` holds ``sink``: it
    appends to the driver's list, and does nothing when there is none (production)."""
    if isinstance(sink, list):
        return lambda kind, error: sink.append((kind, error))
    return _ignore


def _default_fallback() -> bxml.Response:
    return bxml.Response(bxml.SpeakSentence(DEFAULT_FALLBACK_TEXT), bxml.Hangup())


def _shown(path: str) -> str:
    """The path as logged: hosted-document tokens are as good as credentials."""
    return HOSTED_PREFIX + "..." if path.startswith(HOSTED_PREFIX) else path


def _describe(event: Event) -> str:
    if isinstance(event, ConferenceEvent):
        return f"{event.event_type} event (conferenceId {event.conference_id})"
    return f"{event.event_type} event (callId {getattr(event, 'call_id', None)})"


def _close(awaitable: object) -> None:
    """Close a coroutine that will not be awaited (no "never awaited" warning)."""
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()


def _expects_document(event: Event) -> bool:
    # An unknown eventType may be a synchronous one: sending the handler's document is
    # harmless if it is not (Bandwidth ignores replies to asynchronous events).
    return event.is_synchronous or isinstance(event, UnknownEvent)


class WebhookApp:
    """A WSGI application that answers Bandwidth callbacks with validated BXML; its
    :attr:`asgi` is the same app over ASGI.

    :param username: with ``password``, require HTTP Basic credentials on every request
        (compared in constant time; 401 with ``WWW-Authenticate`` otherwise).
    :param max_body_bytes: larger bodies get 413 without being read.
    :param fallback: the ``<Response>`` (object or XML) sent when a handler fails on a
        synchronous event; by default a short apology and ``<Hangup>``. Validated here.
    :param hosting_secret: signs the documents :meth:`host` puts in URLs, so that every
        worker process and host given the same secret can serve them (at least 16 bytes).
        By default it is read from the ``CALLCONTROL_HOSTING_SECRET`` environment variable.
    :param hosting_store: keeps hosted documents too long for a URL (or all of them, without
        a secret): a :class:`~callcontrol.hosting.RedisStore` to share them between workers;
        by default a :class:`~callcontrol.hosting.MemoryStore` in this process.
    :param clock: seconds since the epoch (the same on every worker), for the expiry of
        hosted documents.
    :param credentials_on_verbs: with ``username``/``password``, put them on every verb of
        a reply whose callback URLs this app serves (relative URLs, or absolute ones on
        the host and mount point of the request) and that sets no credentials of its own,
        and the same as ``fallbackUsername``/``fallbackPassword`` for its fallback URLs.
        Bandwidth sends a verb's callbacks with the verb's credentials only (voice-api
        §9.2), so without them a ``gatherUrl`` of this app gets 401. A verb with a URL on
        another host is left alone: the credentials would go there too.

    Handlers are registered per path with :meth:`route` or per eventType with :meth:`on`
    (a path route wins). They receive the typed event and return a ``bxml.Response``, its
    XML as ``str``/``bytes``, or None.
    """

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        max_body_bytes: int = 65536,
        fallback: bxml.Response | str | bytes | None = None,
        hosting_secret: str | bytes | None = None,
        hosting_store: DocumentStore | None = None,
        clock: Callable[[], float] = time.time,
        credentials_on_verbs: bool = False,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        if not isinstance(credentials_on_verbs, bool):
            raise TypeError("credentials_on_verbs must be True or False")
        if credentials_on_verbs and username is None:
            raise ValueError("credentials_on_verbs needs the app's username and password")
        self.credentials_on_verbs = credentials_on_verbs
        self._warned_unauthenticated: set[str] = set()
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
            raise TypeError("max_body_bytes must be an int")
        if max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, not {max_body_bytes}")
        self._credentials: tuple[bytes, bytes] | None = None
        if username is not None and password is not None:
            self._credentials = (username.encode(), password.encode())
        self.max_body_bytes = max_body_bytes
        fallback_doc = _default_fallback() if fallback is None else fallback
        self._fallback = Reply(HTTPStatus.OK, _render(fallback_doc), _XML)
        self._routes: dict[str, _Handler] = {}
        self._event_handlers: dict[str, _Handler] = {}
        self._shared_store = hosting_store is not None
        store = MemoryStore(clock=clock) if hosting_store is None else hosting_store
        self._hosted = HostedDocuments(_hosting_secret(hosting_secret), store, clock=clock)
        self._warned_in_process = False

    def __repr__(self) -> str:
        auth = "basic" if self._credentials else "none"
        return (
            f"WebhookApp(routes={sorted(self._routes)}, events={sorted(self._event_handlers)}, "
            f"auth={auth}, max_body_bytes={self.max_body_bytes}, hosting={self._hosted!r})"
        )

    # -- registration ---------------------------------------------------------------------

    def route(self, path: str) -> Callable[[_H], _H]:
        """Register the decorated function as the handler of every callback to ``path``."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"a route path starts with '/', got {path!r}")
        if path.startswith(HOSTED_PREFIX):
            raise ValueError(f"paths under {HOSTED_PREFIX} are reserved for hosted documents")
        if path in self._routes:
            raise ValueError(f"path {path!r} already has a handler")

        def register(handler: _H) -> _H:
            self._routes[path] = handler
            return handler

        return register

    def on(self, *event_types: str) -> Callable[[_H], _H]:
        """Register the decorated function for these eventTypes, whatever the path.

        Names of one event class are registered together (``"recordComplete"`` also
        covers ``"recordingComplete"``). Unknown eventTypes may be registered too.
        """
        if not event_types:
            raise TypeError("on() needs at least one eventType")
        names: list[str] = []
        for event_type in event_types:
            if not isinstance(event_type, str) or not event_type:
                raise ValueError(f"an eventType is a non-empty string, got {event_type!r}")
            names.extend(event_class(event_type).EVENT_TYPES or (event_type,))
        taken = sorted(set(names) & set(self._event_handlers))
        if taken:
            raise ValueError(f"eventType {', '.join(taken)} already has a handler")

        def register(handler: _H) -> _H:
            self._event_handlers.update(dict.fromkeys(names, handler))
            return handler

        return register

    def host(self, doc: bxml.Response | str | bytes, *, ttl: float = 300.0) -> str:
        """Serve ``doc`` under a new unguessable path for the next ``ttl`` seconds.

        Returns the path (relative to where the app is mounted): prefix it with the app's
        public base URL and pass it to ``client.redirect(call_id, url)``. The document is
        validated now (raising a :class:`bxml.BxmlError`); every synchronous callback to
        the path gets it until it expires, after which the path answers 404 (410 for an
        expired signed token).

        With a hosting secret, a document that fits a URL (see
        :data:`~callcontrol.hosting.MAX_TOKEN_PATH`) travels in the path itself, signed, and
        any worker with the secret serves it; longer ones go to the hosting store. Without
        a secret or a shared store, only this process can serve them (a warning says so once).
        """
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
            raise TypeError(f"ttl must be a number of seconds, not {type(ttl).__name__}")
        if not (0 < ttl <= MAX_TTL and math.isfinite(ttl)):
            message = f"ttl must be more than 0 and at most {MAX_TTL:g} seconds, not {ttl!r}"
            raise ValueError(message)
        path = self._hosted.add(_render(doc), ttl)
        if not self._hosted.is_token(path) and not self._shared_store:
            self._warn_in_process()
        return path

    def _warn_in_process(self) -> None:
        if self._warned_in_process:
            return
        self._warned_in_process = True
        reason = (
            "it is too long for a signed URL"
            if self._hosted.signs
            else f"there is no hosting secret ({SECRET_ENV})"
        )
        logger.warning(
            "a hosted document is kept in this process only, as %s: a redirect that reaches "
            "another worker process or host gets 404; give every worker the same secret, or "
            "a shared hosting_store (e.g. RedisStore)",
            reason,
        )

    @property
    def asgi(self) -> AsgiWebhooks:
        """The same routes as an ASGI 3 application (uvicorn, FastAPI/Starlette ``mount``).

        Handlers may be ``async def`` there; plain ones run in the event loop's thread pool,
        so that they do not block other requests. See :mod:`callcontrol.asgi`.
        """
        from .asgi import AsgiWebhooks

        front = self.__dict__.get("_asgi")
        if not isinstance(front, AsgiWebhooks):
            front = self.__dict__["_asgi"] = AsgiWebhooks(self)
        return front

    # -- WSGI -----------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request (the WSGI entry point)."""
        reply = self._answer(environ)
        start_response(f"{reply.status.value} {reply.status.phrase}", reply.wsgi_headers())
        return [reply.body]

    def _answer(self, environ: WSGIEnvironment) -> Reply:
        request = _wsgi_request(environ)
        try:
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
            body = b"" if request.method == "GET" else self._read_body(environ)
            step = self._route(request, body)
        except Refused as refused:
            return refused.reply
        if isinstance(step, Reply):
            return step
        report = reporter(environ.get(APP_ERRORS_KEY))
        try:
            result = step.handler(step.event)
            if inspect.isawaitable(result):
                _close(result)
                raise TypeError(
                    f"the handler of the {_describe(step.event)} is a coroutine function "
                    "(async def), which a WSGI server cannot await: serve app.asgi under an "
                    "ASGI server (uvicorn), or make the handler a plain def"
                )
        except Exception as exc:
            return self._raised(step, exc, report)
        return self._answered(request, step, result, report)

    # -- the framework-neutral core: request in, reply out ----------------------------------

    def _refusal(self, request: WebhookRequest) -> Reply | None:
        """The 401 or 405 a request gets before anything is read, if any."""
        path = request.path
        if not self._authorized(request.authorization):
            if request.authorization:
                logger.warning("refused a callback to %s: wrong credentials", _shown(path))
            else:
                # Bandwidth's first attempt of every authenticated callback (voice-api §9.2):
                # the 401 below asks for the credentials, nothing is wrong yet.
                logger.debug("challenged a callback to %s for its credentials", _shown(path))
            realm = 'Basic realm="callcontrol webhooks", charset="UTF-8"'
            return _error(
                HTTPStatus.UNAUTHORIZED,
                "unauthorized",
                "credentials required",
                ("WWW-Authenticate", realm),
            )
        if request.method not in ("GET", "POST"):
            return _error(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed",
                f"{request.method[:20]} is not allowed; callbacks use GET or POST",
                ("Allow", "GET, POST"),
            )
        return None

    def _body_limit(self, declared: str) -> int:
        """How many bytes to read of a body whose Content-Length is ``declared`` ("" when
        none): one past the limit when unknown, so that an oversized body is seen.

        :raises Refused: the length is invalid (400) or over ``max_body_bytes`` (413).
        """
        declared = declared.strip()
        if not declared:
            return self.max_body_bytes + 1
        if not (declared.isascii() and declared.isdigit()):
            message = f"invalid Content-Length {declared[:20]!r}"
            raise Refused(_error(HTTPStatus.BAD_REQUEST, "invalid_request", message))
        if int(declared) > self.max_body_bytes:
            raise Refused(self._too_large())
        return int(declared)

    def _check_size(self, body: bytes) -> bytes:
        """``body``, unless it is over ``max_body_bytes`` (:class:`Refused`, 413)."""
        if len(body) > self.max_body_bytes:
            raise Refused(self._too_large())
        return body

    def _route(self, request: WebhookRequest, body: bytes) -> Reply | Dispatch:
        """Read the callback and find its handler: the reply, or the handler call to make.

        :raises Refused: the request gets an error reply.
        """
        path = request.path
        handler = self._routes.get(path)
        hosted = path.startswith(HOSTED_PREFIX)
        try:
            event = parse_event(self._read_payload(request, body))
        except EventParseError as exc:
            if handler is None and not hosted and not self._event_handlers:
                return _error(HTTPStatus.NOT_FOUND, "not_found", f"no handler for {path}")
            return _error(HTTPStatus.BAD_REQUEST, "invalid_event", str(exc))
        if hosted:
            return self._serve_hosted(request, event)
        if handler is None:
            handler = self._event_handlers.get(event.event_type)
        if handler is not None:
            return Dispatch(handler, event)
        if not _expects_document(event):
            logger.info("no handler for the %s to %s; answered 204", _describe(event), _shown(path))
            return _NO_CONTENT
        message = f"no handler for {path} or eventType {event.event_type}"
        return _error(HTTPStatus.NOT_FOUND, "not_found", message)

    def _raised(self, step: Dispatch, exc: Exception, report: Report) -> Reply:
        """The reply when the handler raised ``exc`` (logged, reported, fallback or 204)."""
        logger.error(
            "the handler of the %s raised",
            _describe(step.event),
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        report("app-error", exc)
        return self._failed(step.event)

    def _answered(
        self, request: WebhookRequest, step: Dispatch, result: object, report: Report
    ) -> Reply:
        """The reply for what the handler returned: its validated document, or 204."""
        event = step.event
        if result is None:
            return _NO_CONTENT
        if not _expects_document(event):
            logger.warning(
                "ignored the document returned for the asynchronous %s: "
                "Bandwidth does not read replies to it",
                _describe(event),
            )
            return _NO_CONTENT
        try:
            data = _render(result)
        except Exception as exc:
            report("invalid-bxml", exc)
            reply = self._failed(event)
            logger.error(
                "the handler of the %s returned an unusable document; answered %s: %s",
                _describe(event),
                "the fallback" if reply is self._fallback else "204",
                exc,
            )
            return reply
        problem = _restricted(event.event_type, result, data)
        if problem is not None:
            # Valid BXML that Bandwidth refuses for this event: an app error a test must see.
            report("invalid-bxml", ValueError(problem))
            logger.error("the handler of the %s returned %s", _describe(event), problem)
        if self._credentials is not None:
            data = self._authenticate_verbs(data, request, event)
        return Reply(HTTPStatus.OK, data, _XML)

    def _authorized(self, authorization: str) -> bool:
        if self._credentials is None:
            return True
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        username, colon, password = decoded.partition(b":")
        # Both comparisons always run, so timing does not tell which part was wrong.
        user_ok = hmac.compare_digest(username, self._credentials[0])
        password_ok = hmac.compare_digest(password, self._credentials[1])
        return bool(colon) and user_ok and password_ok

    # -- reading the callback -------------------------------------------------------------

    def _read_payload(self, request: WebhookRequest, body: bytes) -> Mapping[str, str] | bytes:
        query = request.query
        if request.method == "GET":
            return self._query_fields(query)
        content_type = request.content_type.split(";")[0].strip().lower()
        # Clients such as curl label any -d body as a form; a JSON object is still JSON.
        if content_type == "application/x-www-form-urlencoded" and body.lstrip()[:1] != b"{":
            return _form_fields(body, "form field")
        if not body.strip() and query:
            return self._query_fields(query)
        return body

    def _query_fields(self, query: bytes | None) -> Mapping[str, str]:
        if query is None:
            message = "the query string is not made of bytes"
            raise Refused(_error(HTTPStatus.BAD_REQUEST, "invalid_request", message))
        if len(query) > self.max_body_bytes:
            message = f"the query string exceeds {self.max_body_bytes} bytes"
            raise Refused(_error(HTTPStatus.REQUEST_URI_TOO_LONG, "query_too_long", message))
        return _form_fields(query, "query parameter")

    def _read_body(self, environ: WSGIEnvironment) -> bytes:
        declared = str(environ.get("CONTENT_LENGTH") or "")
        if not declared.strip() and not environ.get("wsgi.input_terminated"):
            return b""  # PEP 3333: without a length, reading may block forever
        limit = self._body_limit(declared)
        return self._check_size(_read_up_to(environ["wsgi.input"], limit))

    def _too_large(self) -> Reply:
        message = f"the body exceeds {self.max_body_bytes} bytes"
        return _error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large", message)

    # -- answering ------------------------------------------------------------------------

    def _serve_hosted(self, request: WebhookRequest, event: Event) -> Reply:
        path = request.path
        if not _expects_document(event):
            return _NO_CONTENT  # leaves the document for the redirect it is meant for
        try:
            body = self._hosted.fetch(path)
        except HostingRefused as refused:
            logger.warning("refused the %s to %s: %s", _describe(event), _shown(path), refused)
            code = "gone" if refused.status is HTTPStatus.GONE else "not_found"
            return _error(refused.status, code, refused.message)
        except Exception as exc:  # the store failed (e.g. Redis is down)
            logger.error(
                "the hosting store failed for the %s: %s: %s",
                _describe(event),
                type(exc).__name__,
                exc,
            )
            message = "the hosted document cannot be read now"
            return _error(HTTPStatus.SERVICE_UNAVAILABLE, "store_unavailable", message)
        if self._credentials is not None:
            body = self._authenticate_verbs(body, request, event)
        return Reply(HTTPStatus.OK, body, _XML)

    @property
    def _blocking_hosts(self) -> bool:
        """Whether serving a hosted document may wait on a shared store (network I/O)."""
        return self._shared_store

    def _authenticate_verbs(self, data: bytes, request: WebhookRequest, event: Event) -> bytes:
        """Stamp the app's credentials on its own verbs, or warn of the 401s to come."""
        assert self._credentials is not None
        mount = (request.host, request.root)
        if self.credentials_on_verbs:
            user, password = (part.decode() for part in self._credentials)
            return _stamped(data, mount, user, password)
        for verb in _unauthenticated(data, mount):
            if verb not in self._warned_unauthenticated:
                self._warned_unauthenticated.add(verb)
                logger.warning(
                    "the reply to the %s has %s, whose callback to this app carries no "
                    "credentials: Bandwidth sends a verb's callbacks with the verb's own "
                    "username/password (voice-api §9.2), so it will get 401; set them on "
                    "the verb or use WebhookApp(credentials_on_verbs=True)",
                    _describe(event),
                    verb,
                )
        return data

    def _failed(self, event: Event) -> Reply:
        """The reply when a handler fails: the fallback where a call waits for a document."""
        if _expects_document(event) and not isinstance(event, ConferenceEvent):
            return self._fallback
        return _NO_CONTENT


_Mount = tuple[str, str]


def _wsgi_request(environ: WSGIEnvironment) -> WebhookRequest:
    """The core's view of a WSGI request (PEP 3333)."""
    try:
        # WSGI hands over the raw query bytes as latin-1 text (PEP 3333).
        query: bytes | None = str(environ.get("QUERY_STRING", "")).encode("latin-1")
    except UnicodeEncodeError:
        query = None
    return WebhookRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=environ.get("PATH_INFO") or "/",
        query=query,
        authorization=str(environ.get("HTTP_AUTHORIZATION", "")),
        content_type=str(environ.get("CONTENT_TYPE", "")),
        host=_wsgi_host(environ),
        root=str(environ.get("SCRIPT_NAME", "")),
    )


def _wsgi_host(environ: WSGIEnvironment) -> str:
    """The request's host as a URL names it (PEP 3333: HTTP_HOST, else the server's)."""
    host = environ.get("HTTP_HOST")
    if host:
        return str(host).lower()
    name, port = str(environ.get("SERVER_NAME", "")), str(environ.get("SERVER_PORT", ""))
    default = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
    return (name if port in ("", default) else f"{name}:{port}").lower()


def _serves(url: str, mount: _Mount) -> bool:
    """Whether a callback ``url`` written in a reply reaches this app (host, mount point)."""
    host, script = mount
    if url.startswith("//") or "://" in url.split("?", 1)[0]:
        parts = urlsplit(url)
        return parts.netloc.lower() == host and (
            not script or parts.path == script or parts.path.startswith(script + "/")
        )
    # Relative: resolved against the URL that served the reply (voice-api §9.1); a
    # path from the root leaves the mount point unless it repeats it.
    return not url.startswith("/") or not script or url.startswith(script + "/")


def _callback_urls(element: bxml.Element) -> tuple[list[str], list[str]]:
    """The element's callback URLs: the primary ones and the fallback ones."""
    primary: list[str] = []
    fallback: list[str] = []
    for name, value in element.attributes.items():
        if name.endswith("_url") and isinstance(value, str):
            (fallback if name.endswith("_fallback_url") else primary).append(value)
    return primary, fallback


@functools.lru_cache(maxsize=_VALIDATED_DOCUMENTS)
def _stamped(data: bytes, mount: _Mount, user: str, password: str) -> bytes:
    """``data`` with the credentials on each verb whose callbacks all reach this app."""
    doc = bxml.parse(data)
    changed = False
    for element in doc.iter():
        names = element.attributes
        fields = {attr.name for attr in element.FIELDS}
        primary, fallback = _callback_urls(element)
        for urls, user_field, password_field in (
            (primary, "username", "password"),
            (fallback, "fallback_username", "fallback_password"),
        ):
            if (
                urls
                and user_field in fields
                and user_field not in names
                and password_field not in names
                and all(_serves(url, mount) for url in urls)
            ):
                setattr(element, user_field, user)
                setattr(element, password_field, password)
                changed = True
    return doc.to_bytes() if changed else data


@functools.lru_cache(maxsize=_VALIDATED_DOCUMENTS)
def _unauthenticated(data: bytes, mount: _Mount) -> tuple[str, ...]:
    """The verbs (``<Gather gatherUrl="/menu">``) that call this app without credentials."""
    found: list[str] = []
    for element in bxml.parse(data).iter():
        primary, _ = _callback_urls(element)
        mine = [url for url in primary if _serves(url, mount)]
        if mine and "username" not in element.attributes:
            found.append(f"<{element.TAG}> with {mine[0]}")
    return tuple(found)


def _hosting_secret(given: str | bytes | None) -> bytes | None:
    """The secret given, else the environment's, checked; None when neither is set."""
    if given is not None:
        return secret_bytes(given, "hosting_secret")
    from_env = os.environ.get(SECRET_ENV)
    return None if from_env is None else secret_bytes(from_env, SECRET_ENV)


def _form_fields(raw: bytes, what: str) -> dict[str, str]:
    """Decode ``a=1&b=2`` (UTF-8) into a dict; a repeated or undecodable field is refused."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeError:
        message = f"a {what} is not UTF-8"
        raise Refused(_error(HTTPStatus.BAD_REQUEST, "invalid_request", message)) from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            message = f"{what} {key[:40]!r} appears more than once"
            raise Refused(_error(HTTPStatus.BAD_REQUEST, "invalid_request", message))
        fields[key] = value
    return fields


def _read_up_to(stream: Any, limit: int) -> bytes:
    """Read until EOF or ``limit`` bytes, in chunks, from a WSGI input stream."""
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = stream.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
