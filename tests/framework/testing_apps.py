"""Small, protocol-correct WSGI apps shared by the framework.testing tests.

Every call goes through wsgiref.validate inside the client, so these apps must be
correct WSGI themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from framework.testing import Client

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


TEXT = [("Content-Type", "text/plain")]


def echo_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """Answer with the str environ entries and the request body as JSON."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    payload = {key: value for key, value in environ.items() if isinstance(value, str)}
    payload["body"] = body.decode("latin-1")
    out = json.dumps(payload).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [out]


def cookie_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """Send each ?set= value as a Set-Cookie header; echo the Cookie header back."""
    query = parse_qs(environ["QUERY_STRING"])
    start_response("200 OK", TEXT + [("Set-Cookie", value) for value in query.get("set", [])])
    return [environ.get("HTTP_COOKIE", "").encode()]


def redirect_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """/go/<code>?to=<location> redirects, /loop redirects to itself, the rest echoes."""
    path = environ["PATH_INFO"]
    if path == "/loop":
        start_response("302 Found", [*TEXT, ("Location", "/loop")])
        return [b""]
    if path.startswith("/go/"):
        code = int(path.removeprefix("/go/"))
        location = parse_qs(environ["QUERY_STRING"])["to"][0]
        start_response(f"{code} {HTTPStatus(code).phrase}", [*TEXT, ("Location", location)])
        return [b"moved"]
    return echo_app(environ, start_response)


def streaming_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
    """Write part of the body through write() and yield the rest."""
    write = start_response("200 OK", TEXT)
    write(b"one ")
    write(b"two ")
    yield b""
    yield b"three"


class ClosingBody:
    """A response iterable that records close() and can fail mid-way."""

    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"part"
        if self.fail:
            raise RuntimeError("boom while streaming")

    def close(self) -> None:
        self.closed = True


def echo(client: Client, path: str = "/", **kwargs: Any) -> dict[str, Any]:
    response = client.request(kwargs.pop("method", "GET"), path, **kwargs)
    response.assert_status(200)
    result: dict[str, Any] = response.json()
    return result
