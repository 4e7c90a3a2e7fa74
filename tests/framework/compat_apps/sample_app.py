"""A small CherryPy 18 application, written against CherryPy's API only.

It is served twice by ``tests/framework/test_compat.py``: unchanged on the framework
(through ``framework.compat``) and on the real CherryPy (through
``cherrypy_driver.py`` in a subprocess), and both must answer alike. It exercises
``@cherrypy.popargs``, ``cherrypy.dispatch.MethodDispatcher``,
``cherrypy.tools.json_out``, ``cherrypy.HTTPRedirect``, ``cherrypy.config.update``
with a file, ``cherrypy.lib.httputil``, a Tool subclass overriding ``_setup()`` and
``cherrypy.request.hooks.attach``.
"""

import os.path

import cherrypy
from cherrypy.lib import httputil

HERE = os.path.dirname(os.path.abspath(__file__))
SITE_CONF = os.path.join(HERE, "site.conf")


class StampTool(cherrypy.Tool):
    """Stamps responses with a header; attaches itself per request, as old tools do."""

    def __init__(self):
        super().__init__("before_finalize", self.stamp, priority=60)

    def _setup(self):
        conf = self._merged_args()
        conf.pop("priority", None)
        cherrypy.request.hooks.attach(self._point, self.callable, priority=60, **conf)

    def stamp(self, label="stamp"):
        cherrypy.response.headers["X-Stamp"] = f"{label}:{cherrypy.request.method}"


cherrypy.tools.stamp = StampTool()


def add_header(name, value):
    cherrypy.response.headers[name] = value


@cherrypy.popargs("year", "month")
class Archive:
    @cherrypy.expose
    def index(self, year=None, month=None):
        return f"archive {year}/{month}"

    @cherrypy.expose
    def count(self, year=None, month=None):
        return f"count for {year}-{month}"


@cherrypy.expose
class Items:
    """A REST resource: one method per HTTP verb (MethodDispatcher)."""

    def __init__(self):
        self.names = {"1": "apple", "2": "pear"}

    @cherrypy.tools.json_out()
    def GET(self, id=None):
        if id is None:
            return sorted(self.names.items())
        if id not in self.names:
            raise cherrypy.HTTPError(404, f"No item {id}")
        return {"id": id, "name": self.names[id]}

    def POST(self, name):
        new_id = str(len(self.names) + 1)
        self.names[new_id] = name
        raise cherrypy.HTTPRedirect("/api/items/" + new_id)

    def DELETE(self, id):
        self.names.pop(id, None)
        cherrypy.response.status = 202
        return f"deleted {id}"


class Api:
    def __init__(self):
        self.items = Items()


class Root:
    _cp_config = {"tools.stamp.on": True, "tools.stamp.label": "sample"}

    def __init__(self):
        self.archive = Archive()
        self.api = Api()

    @cherrypy.expose
    def index(self):
        return "Sample home"

    @cherrypy.expose
    @cherrypy.tools.json_out()
    def stats(self, verbose="0"):
        return {"pages": 3, "verbose": verbose == "1", "method": cherrypy.request.method}

    @cherrypy.expose
    def old(self):
        raise cherrypy.HTTPRedirect("/archive/2024/01/", 301)

    @cherrypy.expose
    def back(self):
        raise cherrypy.HTTPRedirect("archive/", 302)

    @cherrypy.expose
    def status(self, code):
        number, reason, message = httputil.valid_status(code)
        return f"{number}|{reason}|{message}"

    @cherrypy.expose
    def query(self, **params):
        parsed = httputil.parse_query_string(cherrypy.request.query_string)
        return repr(sorted(parsed.items()))

    @cherrypy.expose
    def late(self):
        cherrypy.request.hooks.attach("before_finalize", add_header, name="X-Late", value="yes")
        return "hook attached"

    @cherrypy.expose
    def fail(self):
        raise ValueError("hidden detail")


APP_CONFIG = {
    "/api/items": {"request.dispatch": cherrypy.dispatch.MethodDispatcher()},
}


def mount():
    """Configure and mount the application the CherryPy way."""
    cherrypy.config.update(SITE_CONF)
    return cherrypy.tree.mount(Root(), "", APP_CONFIG)
