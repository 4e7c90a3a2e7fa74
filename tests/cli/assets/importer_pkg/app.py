"""An importable app module: a root class, an instance and a plain WSGI callable."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class Root:
    index_calls = 0

    def index(self) -> str:
        return "hello"

    index.exposed = True  # type: ignore[attr-defined]


root = Root()


class Nested:
    site = root


nested = Nested()


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"plain wsgi"]
