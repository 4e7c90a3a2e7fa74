"""A CherryPy 18 application using the tools of the tools/dispatchers work, CherryPy API only.

Served twice, unchanged: on the framework (through ``framework.compat``) and on the
real CherryPy (``cherrypy_driver.py``); the tests of each tool replay a session on
both and compare the answers (``side_by_side.assert_app_answers_as_cherrypy``).
"""

import cherrypy
import cherrypy.lib.cptools
from cherrypy.lib import auth_basic


class Greeter:
    @cherrypy.expose
    def index(self):
        return f"Hello {cherrypy.request.login}"


class Proxied:
    @cherrypy.expose
    def index(self):
        raise cherrypy.HTTPRedirect("dummy")

    @cherrypy.expose
    def remoteip(self):
        return cherrypy.request.remote.ip

    @cherrypy.expose
    def base(self):
        return cherrypy.request.base

    @cherrypy.expose
    def newurl(self):
        return f"Browse to <a href='{cherrypy.url('/this/new/page')}'>this page</a>."


class Plain:
    @cherrypy.expose
    def index(self):
        return "ok"


class Negotiated:
    @cherrypy.expose
    def index(self):
        return "negotiated"

    @cherrypy.expose
    def choose(self):
        return cherrypy.lib.cptools.accept(["text/html", "application/json"])


class Varied:
    @cherrypy.expose
    def index(self):
        return cherrypy.request.headers.get("Accept-Language", "en")


class Members:
    @cherrypy.expose
    def index(self, **kwargs):
        return f"Hi {cherrypy.request.login}, you are logged in"


def check_member(username, password):
    if username != "test" or password != "password":
        return "Wrong login/password"
    return None


class Root:
    @cherrypy.expose
    def index(self):
        return "public"


def mount():
    root = Root()
    root.basic = Greeter()
    root.proxy = Proxied()
    root.referer = Plain()
    root.accept = Negotiated()
    root.autovary = Varied()
    root.members = Members()
    config = {
        "/basic": {
            "tools.auth_basic.on": True,
            "tools.auth_basic.realm": "wonderland",
            "tools.auth_basic.checkpassword": auth_basic.checkpassword_dict({"xuser": "xpassword"}),
        },
        "/proxy": {"tools.proxy.on": True},
        "/referer": {
            "tools.referer.on": True,
            "tools.referer.pattern": r"http://www\.example\.test/",
        },
        "/accept": {
            "tools.accept.on": True,
            "tools.accept.media": ["text/html", "application/json"],
        },
        "/accept/choose": {"tools.accept.on": False},
        "/autovary": {"tools.autovary.on": True},
        "/members": {
            "tools.sessions.on": True,
            "tools.session_auth.on": True,
            "tools.session_auth.check_username_and_password": check_member,
        },
    }
    cherrypy.tree.mount(root, "", config)
