"""Raw WSGI contender: the floor every framework is measured against.

A hand-written WSGI callable with a dict of exact routes plus one prefix route. It does
the least work that still answers all six scenarios correctly, so "ratio to raw" reads as
"how much the framework costs on top of the unavoidable".
"""

from __future__ import annotations

import json
import sys
import zlib
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from bench.contenders import JSON_DOCUMENT, TEXT_PAGE, StartResponse, WSGIApp, render_page

LABEL = "raw WSGI"
#: A raw callable has no sessions to measure.
UNSUPPORTED = frozenset({"session"})

_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_JSON = [("Content-Type", "application/json")]
_Handler = Callable[[dict[str, Any]], tuple[str, list[tuple[str, str]], bytes]]


def _hello(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    return "200 OK", _TEXT, b"Hello world!"


def _search(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    q = qs["q"][0]
    page = int(qs["page"][0])
    return "200 OK", _TEXT, f"q={q} page={page}".encode()


def _json(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    return "200 OK", _JSON, json.dumps(JSON_DOCUMENT).encode()


def _form(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    if environ["REQUEST_METHOD"] != "POST":
        return "405 Method Not Allowed", _TEXT, b"Method Not Allowed"
    length = int(environ.get("CONTENT_LENGTH") or 0)
    form = parse_qs(environ["wsgi.input"].read(length).decode())
    name = form["name"][0]
    age = int(form["age"][0])
    return "200 OK", _TEXT, f"name={name} age={age}".encode()


def _ok(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    return "200 OK", _TEXT, b"ok"


_PAGE = render_page().encode()
_HTML = [("Content-Type", "text/html; charset=utf-8")]


def _cached(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    return "200 OK", _HTML, _PAGE


def _uncached(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    return "200 OK", _HTML, render_page().encode()


def _gzip(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    body = zlib.compress(TEXT_PAGE.encode(), 5, wbits=31)
    return "200 OK", [*_TEXT, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")], body


_ROUTES: dict[str, _Handler] = {
    "/": _hello,
    "/search": _search,
    "/json": _json,
    "/form": _form,
    "/nosession": _ok,
    "/cached": _cached,
    "/uncached": _uncached,
    "/text": _gzip,
}


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Serve the six scenarios with no framework at all."""
    path: str = environ["PATH_INFO"]
    handler = _ROUTES.get(path)
    if handler is not None:
        status, headers, body = handler(environ)
    elif path.startswith("/users/"):
        status, headers, body = "200 OK", _TEXT, f"User {int(path[7:])}".encode()
    else:
        status, headers, body = "404 Not Found", _TEXT, b"Not Found"
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def build() -> WSGIApp:
    """Return the raw WSGI callable."""
    return app


def version() -> str:
    """The interpreter version, since there is no framework."""
    return sys.version.split()[0]
