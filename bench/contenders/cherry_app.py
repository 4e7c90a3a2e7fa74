"""Cherry contender: this repository's ``framework``, written exactly like the CherryPy one.

The handlers, decorators and configuration keys are the same as in ``cherrypy_app.py``
with ``cherrypy`` replaced by ``framework``, so the two columns compare implementations of
one API, not two styles of app. The Application returned by ``framework.tree.mount`` is
the WSGI callable that is timed.
"""

from __future__ import annotations

from typing import Any

import framework
from bench.contenders import JSON_DOCUMENT, SESSION_ID, TEXT_PAGE, WSGIApp, render_page

LABEL = "Cherry"


class Root:
    """The published object tree."""

    @framework.expose
    def index(self) -> str:
        return "Hello world!"

    @framework.expose
    def users(self, user_id: str) -> str:
        return f"User {int(user_id)}"

    @framework.expose
    def search(self, q: str, page: str) -> str:
        return f"q={q} page={int(page)}"

    @framework.expose
    # Toolbox attributes are typed Any, so mypy sees this decorator as untyped.
    @framework.tools.json_out()  # type: ignore[untyped-decorator,unused-ignore]
    def json(self) -> dict[str, Any]:
        return JSON_DOCUMENT

    @framework.expose
    def form(self, name: str, age: str) -> str:
        return f"name={name} age={int(age)}"

    @framework.expose
    def session(self) -> str:
        framework.session["hits"] = framework.session.get("hits", 0) + 1
        return "ok"

    @framework.expose
    def nosession(self) -> str:
        return "ok"

    @framework.expose
    def cached(self) -> str:
        return render_page()

    @framework.expose
    def uncached(self) -> str:
        return render_page()

    @framework.expose
    def text(self) -> str:
        framework.response.headers["Content-Type"] = "text/plain"
        return TEXT_PAGE


def build() -> WSGIApp:
    """Configure Cherry for production, quiet, and mount the tree at the root."""
    import datetime

    from framework.lib.sessions import RamSession

    framework.config.update({"environment": "production", "log.screen": False})
    config = {
        "/": {},
        "/session": {"tools.sessions.on": True},
        "/cached": {"tools.caching.on": True},
        "/text": {"tools.gzip.on": True},
    }
    RamSession.cache[SESSION_ID] = ({}, datetime.datetime(9999, 1, 1))
    app: WSGIApp = framework.tree.mount(Root(), "", config)
    return app


def version() -> str:
    """Cherry's version: the package attribute if it has one, else the project's."""
    found = getattr(framework, "__version__", None)
    if isinstance(found, str):
        return found
    try:
        from importlib.metadata import version as dist_version

        return dist_version("cherrycli")
    except Exception:
        return "repo"
