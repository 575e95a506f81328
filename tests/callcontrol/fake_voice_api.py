"""A small fake of the Voice API's Calls endpoints, as a WSGI app, for end-to-end client tests.

It keeps calls in memory and follows the API's observable rules: Basic auth or a bearer
token from its own token endpoint, JSON and XML content types (415 otherwise), required
createCall fields (400), 404 for unknown calls, 409 for changing an ended call, and
``Link: <...>; rel="next"`` pagination with an opaque page token.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, quote, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # concurrent tests connect all at once


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(app: Callable[..., Any]) -> Iterator[str]:
    """Serve ``app`` on an ephemeral port of 127.0.0.1 and yield its base URL.

    A threaded stdlib server: ``shutdown()`` stops it cleanly from the test's thread.
    """
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeVoiceApi:
    """The fake API; serve it with ``tests.wsgi_server.serve_wsgi``."""

    account_id: str
    username: str
    password: str
    client_id: str = "fake-client"
    client_secret: str = "fake-secret"
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    bxml: dict[str, list[str]] = field(default_factory=dict)
    redirects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    #: Revoke every token after this many accepted API requests (0: never), as a server
    #: that rotates its keys would.
    revoke_every: int = 0
    #: Answers given, in order, to the next PUTs of a call's BXML before it is handled
    #: normally: call id -> [(status, extra headers), ...].
    scripted: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    #: Called with the WSGI environ of each request before it is handled (outside the
    #: lock, so requests can wait there together).
    before: Callable[[dict[str, Any]], None] | None = None
    #: Requests being handled now, and the most handled at once.
    in_flight: int = 0
    max_in_flight: int = 0
    _accepted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_call(self, call_id: str, **fields: Any) -> None:
        """Put an existing call in the store (e.g. an inbound one)."""
        state = {"callId": call_id, "accountId": self.account_id, "state": "answered"}
        state.update(fields)
        self.calls[call_id] = state

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.before is not None:
                self.before(environ)
            with self._lock:
                status, headers, body = self._handle(environ)
        finally:
            with self._lock:
                self.in_flight -= 1
        start_response(f"{status} {_REASONS[status]}", headers)
        return [body]

    # -- routing -------------------------------------------------------------------------

    def _handle(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"]
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        self.requests.append(Recorded(method, path, environ.get("QUERY_STRING", ""), headers, body))
        if path == "/oauth2/token":
            return self._token(method, headers, body)
        if not self._authorized(headers.get("Authorization", "")):
            return _error(401, "authentication-error", "The credentials provided were invalid")
        return self._route(method, path, environ, headers, body)

    def _route(
        self, method: str, path: str, environ: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        prefix = f"/accounts/{self.account_id}/calls"
        if path == prefix:
            if method == "POST":
                return self._create(environ, headers, body)
            if method == "GET":
                return self._list(environ)
            return _error(405, "validation", "Method Not Allowed")
        if not path.startswith(prefix + "/"):
            return _error(404, "validation", "Not found")
        rest = path[len(prefix) + 1 :]
        call_id, _, tail = rest.partition("/")
        if call_id not in self.calls:
            return _error(404, "validation", f"Call [{call_id}] not found")
        if tail == "bxml" and method == "PUT":
            if self.scripted.get(call_id):
                status, extra = self.scripted[call_id].pop(0)
                code, out, payload = _error(status, "error", f"scripted {status} for {call_id}")
                return code, [*out, *extra.items()], payload
            return self._put_bxml(call_id, headers, body)
        if tail == "" and method == "GET":
            return _json(200, self.calls[call_id])
        if tail == "" and method == "POST":
            return self._update(call_id, headers, body)
        return _error(405, "validation", "Method Not Allowed")

    # -- auth ----------------------------------------------------------------------------

    def _authorized(self, header: str) -> bool:
        if header.startswith("Bearer "):
            accepted = header[len("Bearer ") :] in self.tokens
            if accepted and self.revoke_every:
                self._accepted += 1
                if self._accepted % self.revoke_every == 0:
                    self.tokens.clear()
            return accepted
        return header == _basic(self.username, self.password)

    def _token(
        self, method: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if method != "POST":
            return _error(405, "validation", "Method Not Allowed")
        if headers.get("Authorization") != _basic(self.client_id, self.client_secret):
            data = {"error": "invalid_client", "error_description": "Bad client credentials"}
            return 401, [("Content-Type", "application/json")], json.dumps(data).encode()
        if parse_qs(body.decode()).get("grant_type") != ["client_credentials"]:
            return _error(400, "validation", "grant_type must be client_credentials")
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        reply = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        return _json(200, reply)

    # -- operations ----------------------------------------------------------------------

    def _create(
        self, environ: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if not headers.get("Content-Type", "").startswith("application/json"):
            return _error(415, "validation", "Content type not supported")
        data = json.loads(body)
        missing = [k for k in ("from", "to", "answerUrl", "applicationId") if not data.get(k)]
        if missing:
            return _error(400, "validation", "Missing at least one required field")
        call_id = f"c-{len(self.calls) + 1:08d}-fake"
        call_url = f"{_origin(environ)}/accounts/{self.account_id}/calls/{call_id}"
        self.calls[call_id] = {
            "applicationId": data["applicationId"],
            "accountId": self.account_id,
            "callId": call_id,
            "to": data["to"],
            "from": data["from"],
            "direction": "outbound",
            "state": "answered",
            "startTime": "2024-01-01T00:00:00Z",
            "lastUpdate": "2024-01-01T00:00:01Z",
        }
        reply = {
            "applicationId": data["applicationId"],
            "accountId": self.account_id,
            "callId": call_id,
            "to": data["to"],
            "from": data["from"],
            "callUrl": call_url,
            "answerMethod": data.get("answerMethod", "POST"),
            "answerUrl": data["answerUrl"],
            "disconnectMethod": data.get("disconnectMethod", "POST"),
            "callTimeout": data.get("callTimeout", 30),
            "callbackTimeout": data.get("callbackTimeout", 15),
            "enqueuedTime": "2024-01-01T00:00:00.000Z",
        }
        status, headers_out, payload = _json(201, reply)
        return status, [*headers_out, ("Location", call_url)], payload

    def _list(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        token = query.pop("pageToken", None)
        start = int(base64.urlsafe_b64decode(token).decode()) if token else 0
        size = int(query.get("pageSize", "1000"))
        matching = [
            call
            for call in self.calls.values()
            if all(
                call.get(key) == query[key]
                for key in ("to", "from", "disconnectCause")
                if key in query
            )
        ]
        page = matching[start : start + size]
        status, headers, payload = _json(200, page)
        if start + size < len(matching):
            next_token = base64.urlsafe_b64encode(str(start + size).encode()).decode()
            query["pageToken"] = next_token
            url = f"{_origin(environ)}{environ['PATH_INFO']}?{urlencode(query, quote_via=quote)}"
            headers.append(("Link", f'<{url}>; rel="next"'))
        return status, headers, payload

    def _update(
        self, call_id: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if not headers.get("Content-Type", "").startswith("application/json"):
            return _error(415, "validation", "Content type not supported")
        call = self.calls[call_id]
        if call["state"] == "disconnected":
            return _error(
                409, "validation", f"Call [{call_id}] cannot be modified in its current state"
            )
        data = json.loads(body)
        if data.get("state") == "completed":
            call["state"] = "disconnected"
            call["disconnectCause"] = "hangup"
        else:
            self.redirects.setdefault(call_id, []).append(data)
        return 200, [("Content-Length", "0")], b""

    def _put_bxml(
        self, call_id: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if not headers.get("Content-Type", "").startswith("application/xml"):
            return _error(415, "validation", "Content type not supported")
        if self.calls[call_id]["state"] == "disconnected":
            return _error(
                409, "validation", f"Call [{call_id}] cannot be modified in its current state"
            )
        text = body.decode("utf-8")
        if "<Bxml" not in text:
            return _error(400, "validation", "The root element must be <Bxml>")
        self.bxml.setdefault(call_id, []).append(text)
        return 204, [], b""


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _origin(environ: dict[str, Any]) -> str:
    return f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}"


def _json(status: int, data: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(data).encode()


def _error(
    status: int, error_type: str, description: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    return _json(status, {"type": error_type, "description": description, "id": None})
