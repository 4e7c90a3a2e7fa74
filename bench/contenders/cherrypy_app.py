"""CherryPy 18 contender: the behavioural reference Cherry must beat by 5x.

Written as CherryPy's tutorials would: an object tree of exposed methods, positional path
segments for ``/users/42``, keyword arguments for query strings and form fields, and
``tools.json_out`` for JSON. The Application returned by ``cherrypy.tree.mount`` is itself
a WSGI callable, so it is timed directly, without an engine or server.
"""

# The framework ships no type information, so its decorators are untyped by necessity.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from importlib.metadata import version as _dist_version
from pathlib import Path
from typing import Any

import cherrypy

from bench.contenders import JSON_DOCUMENT, SESSION_ID, TEXT_PAGE, WSGIApp, render_page

LABEL = "CherryPy"


class Root:
    """The published object tree."""

    @cherrypy.expose
    def index(self) -> str:
        return "Hello world!"

    @cherrypy.expose
    def users(self, user_id: str) -> str:
        return f"User {int(user_id)}"

    @cherrypy.expose
    def search(self, q: str, page: str) -> str:
        return f"q={q} page={int(page)}"

    @cherrypy.expose
    @cherrypy.tools.json_out()
    def json(self) -> dict[str, Any]:
        return JSON_DOCUMENT

    @cherrypy.expose
    def form(self, name: str, age: str) -> str:
        return f"name={name} age={int(age)}"

    @cherrypy.expose
    def session(self) -> str:
        cherrypy.session["hits"] = cherrypy.session.get("hits", 0) + 1
        return "ok"

    @cherrypy.expose
    def nosession(self) -> str:
        return "ok"

    @cherrypy.expose
    def cached(self) -> str:
        return render_page()

    @cherrypy.expose
    def uncached(self) -> str:
        return render_page()

    @cherrypy.expose
    def text(self) -> str:
        cherrypy.response.headers["Content-Type"] = "text/plain"
        return TEXT_PAGE


def build() -> WSGIApp:
    """Configure CherryPy for production, quiet, and mount the tree at the root."""
    if Path(cherrypy.__file__ or "").parent.name != "cherrypy":
        # framework.compat can alias `cherrypy` to Cherry; timing that here would be a lie.
        raise RuntimeError(f"`cherrypy` resolves to {cherrypy.__file__}, not CherryPy 18")
    import datetime

    from cherrypy.lib.sessions import RamSession

    cherrypy.config.update({"environment": "production", "log.screen": False})
    config = {
        "/": {},
        "/session": {"tools.sessions.on": True},
        "/cached": {"tools.caching.on": True},
        "/text": {"tools.gzip.on": True},
    }
    RamSession.cache[SESSION_ID] = ({}, datetime.datetime(9999, 1, 1))
    app: WSGIApp = cherrypy.tree.mount(Root(), "", config)
    return app


def version() -> str:
    """The installed CherryPy distribution's version."""
    return _dist_version("CherryPy")
