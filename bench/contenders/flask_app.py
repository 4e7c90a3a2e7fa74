"""Flask contender: the target Cherry must beat on every scenario.

Routes use Flask's converters (``<int:user_id>``), ``request.args`` and ``request.form``,
and return a dict for JSON, as Flask's quickstart does. ``Flask.__call__`` is the WSGI
entry point that is timed.
"""

from __future__ import annotations

from importlib.metadata import version as _dist_version
from typing import Any

from flask import Flask, request

from bench.contenders import JSON_DOCUMENT, STATEFUL, WSGIApp

LABEL = "Flask"
#: No built-in sessions, response cache or gzip tool to compare.
UNSUPPORTED = STATEFUL


def build() -> WSGIApp:
    """Build a Flask app with the six routes."""
    app = Flask(__name__)

    @app.get("/")
    def hello() -> str:
        return "Hello world!"

    @app.get("/users/<int:user_id>")
    def user(user_id: int) -> str:
        return f"User {user_id}"

    @app.get("/search")
    def search() -> str:
        q = request.args["q"]
        page = request.args.get("page", type=int)
        return f"q={q} page={page}"

    @app.get("/json")
    def json_out() -> dict[str, Any]:
        return JSON_DOCUMENT

    @app.post("/form")
    def form() -> str:
        name = request.form["name"]
        age = int(request.form["age"])
        return f"name={name} age={age}"

    wsgi: WSGIApp = app
    return wsgi


def version() -> str:
    """The installed Flask distribution's version."""
    return _dist_version("Flask")
