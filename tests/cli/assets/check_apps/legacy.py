"""A CherryPy script with a tool typo, a misspelled key and a MethodDispatcher."""

import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        return "home"


if __name__ == "__main__":
    conf = {
        "/": {"tools.staticdirr.on": True, "request.show_tracebakcs": False},
        "/api": {"request.dispatch": cherrypy.dispatch.MethodDispatcher()},
    }
    cherrypy.quickstart(Root(), "/", conf)
