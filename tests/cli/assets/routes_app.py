"""Sample app for tests/cli/test_routes.py: one of each publishing feature.

Line numbers matter to one test (it reads them with inspect, not by hand).
"""

from __future__ import annotations

from pathlib import Path

import framework

STATIC = Path(__file__).parent / "routes_static"


class Blog:
    """popargs on a class: /blog/{year}/{month}/... plus its own handlers."""

    @framework.expose
    def index(self, year: str | None = None, month: str | None = None) -> str:
        return f"{year}-{month}"

    @framework.expose
    def feed(self) -> str:
        return "feed"


Blog = framework.popargs("year", "month")(Blog)


class Item:
    """A MethodDispatcher resource."""

    exposed = True

    @framework.tools.json_out()
    def GET(self, item_id: str | None = None) -> list[str]:
        return []

    def POST(self, name: str) -> str:
        return name


class Api:
    """Mounted under /api, where the app config switches to MethodDispatcher."""

    exposed = True

    def __init__(self) -> None:
        self.items = Item()

    def GET(self) -> str:
        return "api"


class Users:
    _cp_config = {"tools.trailing_slash.on": False}

    @framework.expose
    def index(self) -> str:
        return "users"

    @framework.expose
    def show(self, user_id: int, *, verbose: bool = False) -> str:
        return str(user_id)

    @framework.expose
    def default(self, *parts: str) -> str:
        return "/".join(parts)


class Comments:
    """An index with a positional parameter: it only ever answers with ?post_id=."""

    @framework.expose
    def index(self, post_id: str) -> str:
        return f"comments of {post_id}"


class Lazy:
    """Reached through a property: the dispatcher runs it, so it publishes."""

    @framework.expose
    def index(self) -> str:
        return "lazy"


class Dynamic:
    def _cp_dispatch(self, vpath: list[str]) -> object:
        return None


class Root:
    def __init__(self) -> None:
        self.users = Users()
        self.blog = Blog()
        self.api = Api()
        self.comments = Comments()
        self.dynamic = Dynamic()
        self.loop = self  # a cycle the walk must survive
        self.settings = {"debug": True}  # plain data is not a node

    @property
    def lazy(self) -> Lazy:
        return Lazy()

    @property
    def broken(self) -> object:
        raise RuntimeError("the request fails (500, as on CherryPy): no handler is there")

    @framework.expose
    def index(self) -> str:
        return "home"

    @framework.expose(["about_us", "about.html"])
    def about(self) -> str:
        return "about"

    @framework.expose
    def feed_xml(self) -> str:
        return "<rss/>"

    @framework.expose
    def _hidden(self) -> str:
        return "hidden"

    @framework.expose
    @framework.tools.json_out()
    def status(self, **kwargs: str) -> dict[str, str]:
        return {"status": "ok"}

    @framework.expose
    @framework.config(**{"tools.allow.on": True, "tools.allow.methods": ["POST"]})
    def submit(self, text: str = "") -> str:
        return text

    def helper(self) -> str:
        """Not exposed: never listed."""
        return "hidden"


CONFIG = {
    "/api": {"request.dispatch": framework.dispatch.MethodDispatcher()},
    "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(STATIC)},
    "/robots.txt": {
        "tools.staticfile.on": True,
        "tools.staticfile.filename": str(STATIC / "robots.txt"),
    },
}
application = framework.Application(Root(), "/site", CONFIG)
