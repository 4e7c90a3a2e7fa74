"""An unchanged CherryPy app: `cherry serve --compat` must run it on the framework."""

import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        return "compat " + cherrypy.request.method
