"""Small WSGI IVRs for the explorer's tests: a table from path to a reply (or a function)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Reply = str | bytes | Callable[[dict[str, Any]], "str | bytes"]


def table_app(routes: Mapping[str, Reply]) -> Callable[..., Iterable[bytes]]:
    """A WSGI app answering each path from ``routes``; unknown paths get 404."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        event = json.loads(environ["wsgi.input"].read(size) or b"{}")
        reply = routes.get(environ["PATH_INFO"])
        if reply is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if callable(reply):
            reply = reply(event)
        body = reply.encode() if isinstance(reply, str) else reply
        start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
        return [body]

    return app


def menu(prompt: str, url: str, **attributes: str) -> str:
    """A one-key menu that sends its digits to ``url``."""
    extra = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return (
        f'<Response><Gather gatherUrl="{url}" maxDigits="1"{extra}>'
        f"<SpeakSentence>{prompt}</SpeakSentence></Gather></Response>"
    )


def say(text: str, then: str = "<Hangup/>") -> str:
    """Speak ``text``, then ``then``."""
    return f"<Response><SpeakSentence>{text}</SpeakSentence>{then}</Response>"


def by_digits(choices: dict[str, str], default: str) -> Callable[[dict[str, Any]], str]:
    """A gather handler choosing a reply by the digits pressed."""
    return lambda event: choices.get(str(event.get("digits", "")), default)


def tree_ivr(levels: int, keys: int) -> tuple[Callable[..., Iterable[bytes]], int]:
    """A healthy IVR of nested menus, ``levels`` deep with ``keys`` choices each; silence and a
    wrong key repeat a menu once (then say goodbye). Returns the app and its menu count."""
    routes: dict[str, Reply] = {}
    count = 0

    def build(path: str, depth: int) -> None:
        nonlocal count
        count += 1
        name = path.strip("/") or "top"
        choices: dict[str, str] = {}
        for key in range(1, keys + 1):
            child = f"{path.rstrip('/')}/{key}"
            if depth + 1 < levels:
                choices[str(key)] = menu(f"Menu {child}.", child)
                build(child, depth + 1)
            else:
                choices[str(key)] = say(f"You chose {child}. Goodbye.")
        routes[path + "/again"] = _handler(dict(choices), say("Goodbye."))
        choices[""] = menu(f"Once more: menu {name}.", path + "/again")
        routes[path] = _handler(choices, say("Goodbye."))

    build("/m", 0)
    routes["/answer"] = menu("Welcome. Menu top.", "/m")
    return table_app(routes), count


def _handler(choices: dict[str, str], default: str) -> Callable[[dict[str, Any]], str]:
    def handle(event: dict[str, Any]) -> str:
        return choices.get(str(event.get("digits", "")), default)

    return handle
