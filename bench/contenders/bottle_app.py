"""Bottle contender: the speed Cherry aims for beyond its targets.

A ``bottle.Bottle()`` instance (not the module-level default app) with typed route
wildcards, ``request.query`` and ``request.forms``; returning a dict triggers Bottle's
JSON plugin. The Bottle instance is the WSGI callable that is timed.
"""

# The framework ships no type information, so its decorators are untyped by necessity.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from importlib.metadata import version as _dist_version
from typing import Any

import bottle  # type: ignore[import-untyped]

from bench.contenders import JSON_DOCUMENT, STATEFUL, WSGIApp

LABEL = "Bottle"
#: No built-in sessions, response cache or gzip tool to compare.
UNSUPPORTED = STATEFUL


def build() -> WSGIApp:
    """Build a Bottle app with the six routes."""
    app = bottle.Bottle()
    request = bottle.request

    @app.get("/")
    def hello() -> str:
        return "Hello world!"

    @app.get("/users/<user_id:int>")
    def user(user_id: int) -> str:
        return f"User {user_id}"

    @app.get("/search")
    def search() -> str:
        q = request.query["q"]
        page = int(request.query["page"])
        return f"q={q} page={page}"

    @app.get("/json")
    def json_out() -> dict[str, Any]:
        return JSON_DOCUMENT

    @app.post("/form")
    def form() -> str:
        name = request.forms["name"]
        age = int(request.forms["age"])
        return f"name={name} age={age}"

    wsgi: WSGIApp = app
    return wsgi


def version() -> str:
    """The installed Bottle distribution's version."""
    return _dist_version("bottle")
