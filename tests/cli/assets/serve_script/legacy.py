"""A CherryPy script whose whole setup lives in its __main__ block (mounts, config, port)."""

import os

import cherrypy

HERE = os.path.dirname(os.path.abspath(__file__))


class Root:
    @cherrypy.expose
    def index(self):
        return "legacy home"


class Api:
    @cherrypy.expose
    def ping(self):
        return "pong"


if __name__ == "__main__":
    conf = {
        "/": {"tools.staticdir.root": HERE},
        "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": "static"},
    }
    cherrypy.config.update({"server.socket_port": 9099})
    cherrypy.tree.mount(Api(), "/api")
    cherrypy.quickstart(Root(), "/", conf)
