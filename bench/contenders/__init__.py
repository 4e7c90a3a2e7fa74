"""The benchmark's contract: the scenarios and the contenders that must answer them.

Every contender module in this package defines ``build() -> WSGIApp`` returning a WSGI
callable that serves the same six core scenarios the same way, written the way that
framework's own documentation would write them. Five more scenarios exercise the stateful
tools (sessions, caching, gzip); a contender without such a tool lists them in
``UNSUPPORTED`` and shows "n/a" there. ``SCENARIOS`` states the request each scenario sends and
the answer it must get; ``CONTENDERS`` names the modules in table order. Harnesses
(``bench/inprocess.py``) import a contender only when it is selected, so a framework that is
missing or broken costs that contender, not the run.

Usage::

    from bench.contenders import CONTENDERS, SCENARIOS, load
    app = load(CONTENDERS[0]).build()
"""

from __future__ import annotations

import importlib
import json
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# The JSON document every contender renders for the "json" scenario.
JSON_DOCUMENT: dict[str, Any] = {"message": "Hello world!", "id": 42, "tags": ["a", "b"]}

#: A session every contender with sessions creates in its RAM store at build time, so the
#: "session" scenario reads and writes an existing session (40 hex characters, as issued).
SESSION_ID = "0123456789abcdef0123456789abcdef01234567"


def render_page() -> str:
    """The ~20 KB page of the "cached" and "uncached" scenarios (some real work)."""
    rows = "".join(
        f"<tr><td>{i}</td><td>{i * i}</td><td>item {i:05d}</td></tr>\n" for i in range(400)
    )
    return f"<table>\n{rows}</table>"


#: The ~20 KB text page of the "gzip" scenario.
TEXT_PAGE = "".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(400))


@dataclass(frozen=True)
class Scenario:
    """One request and the answer every contender must give to it.

    Attributes:
        name: short key used in tables, flags and JSON output.
        method: HTTP method.
        path: PATH_INFO.
        query: QUERY_STRING (without ``?``).
        body: request body bytes (empty for GET).
        content_type: request Content-Type, or "" for none.
        status: expected status code.
        expected_body: exact expected response body, or None to skip the body check.
        expected_json: expected decoded JSON body, or None when the body is not JSON.
        headers: extra request headers (``(name, value)`` pairs).
        gzipped: the body must be gzip-compressed; ``expected_body`` is what it inflates to.
    """

    name: str
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    content_type: str = ""
    status: int = 200
    expected_body: bytes | None = None
    expected_json: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    gzipped: bool = False

    @property
    def target(self) -> str:
        """The request target as it would appear on the request line."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def check(self, status: str, headers: list[tuple[str, str]], body: bytes) -> str | None:
        """Compare one response with this scenario's expectation.

        Args:
            status: the WSGI status line, e.g. ``"200 OK"``.
            headers: the response headers as given to start_response.
            body: the whole response body.

        Returns:
            None when the response is right, else a one-line description of what is wrong.
        """
        code = status.split(" ", 1)[0]
        if code != str(self.status):
            return f"status {status!r}, expected {self.status}; body {body[:200]!r}"
        if self.gzipped:
            encoding = next((v for k, v in headers if k.lower() == "content-encoding"), "")
            if encoding != "gzip":
                return f"Content-Encoding {encoding!r}, expected gzip"
            try:
                body = zlib.decompress(body, 31)
            except zlib.error as exc:
                return f"body does not inflate: {exc}"
        if self.expected_body is not None and body != self.expected_body:
            return f"body {body[:200]!r}, expected {self.expected_body!r}"
        if self.expected_json is not None:
            ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
            if not ctype.startswith("application/json"):
                return f"Content-Type {ctype!r}, expected application/json"
            try:
                decoded = json.loads(body)
            except ValueError:
                return f"body is not JSON: {body[:200]!r}"
            if decoded != self.expected_json:
                return f"JSON {decoded!r}, expected {self.expected_json!r}"
        return None


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello", "GET", "/", expected_body=b"Hello world!"),
    Scenario("path", "GET", "/users/42", expected_body=b"User 42"),
    Scenario("query", "GET", "/search", query="q=x&page=2", expected_body=b"q=x page=2"),
    Scenario("json", "GET", "/json", expected_json=JSON_DOCUMENT),
    Scenario("404", "GET", "/missing", status=404),
    Scenario(
        "form",
        "POST",
        "/form",
        body=b"name=x&age=3",
        content_type="application/x-www-form-urlencoded",
        expected_body=b"name=x age=3",
    ),
    # The stateful tools: a session read and written, the same handler without the
    # session tool, a cached page, the same page computed each time, a gzipped 20 KB page.
    Scenario(
        "session",
        "GET",
        "/session",
        headers=(("Cookie", f"session_id={SESSION_ID}"),),
        expected_body=b"ok",
    ),
    Scenario("nosession", "GET", "/nosession", expected_body=b"ok"),
    Scenario("cached", "GET", "/cached", expected_body=render_page().encode()),
    Scenario("uncached", "GET", "/uncached", expected_body=render_page().encode()),
    Scenario(
        "gzip",
        "GET",
        "/text",
        headers=(("Accept-Encoding", "gzip"),),
        expected_body=TEXT_PAGE.encode(),
        gzipped=True,
    ),
)

#: The scenarios a contender may leave out (listed in its module's ``UNSUPPORTED``).
STATEFUL = frozenset({"session", "nosession", "cached", "uncached", "gzip"})


class ContenderModule(Protocol):
    """What a contender module provides."""

    LABEL: str

    def build(self) -> WSGIApp:
        """Configure the framework and return the WSGI callable to benchmark."""
        ...

    def version(self) -> str:
        """The framework's version string."""
        ...


# Table order: the baseline first, then this project, then the others.
CONTENDERS: tuple[str, ...] = ("raw", "cherry", "cherrypy", "flask", "bottle", "falcon")


def load(name: str) -> ContenderModule:
    """Import one contender module by its short name.

    Args:
        name: an entry of ``CONTENDERS``.

    Returns:
        The imported module, which satisfies ``ContenderModule``.

    Raises:
        ImportError: the contender's framework is not importable.
    """
    module: ModuleType = importlib.import_module(f"{__name__}.{name}_app")
    return module  # type: ignore[return-value,unused-ignore]
