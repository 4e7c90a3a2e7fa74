"""Falcon contender: a WSGI ``falcon.App`` with one resource class per route.

Text responses set ``content_type`` to text/plain (Falcon defaults to JSON); the JSON
scenario uses ``resp.media``; the form is read with ``req.get_media()``, whose default
handlers include application/x-www-form-urlencoded in Falcon 3 and later.
"""

from __future__ import annotations

from importlib.metadata import version as _dist_version

import falcon

from bench.contenders import JSON_DOCUMENT, STATEFUL, WSGIApp

LABEL = "Falcon"
#: No built-in sessions, response cache or gzip tool to compare.
UNSUPPORTED = STATEFUL


class Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello world!"


class User:
    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = f"User {user_id}"


class Search:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        q = req.get_param("q", required=True)
        page = req.get_param_as_int("page", required=True)
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = f"q={q} page={page}"


class Json:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = JSON_DOCUMENT


class Form:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        form = req.get_media()
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = f"name={form['name']} age={int(form['age'])}"


def build() -> WSGIApp:
    """Build a Falcon WSGI app with the six routes."""
    app = falcon.App()
    app.add_route("/", Hello())
    app.add_route("/users/{user_id:int}", User())
    app.add_route("/search", Search())
    app.add_route("/json", Json())
    app.add_route("/form", Form())
    wsgi: WSGIApp = app
    return wsgi


def version() -> str:
    """The installed Falcon distribution's version."""
    return _dist_version("falcon")
