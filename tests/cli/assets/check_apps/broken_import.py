"""A CherryPy script importing a module Cherry does not provide."""

import cherrypy
from cherrypy.lib import covercp


class Root:
    @cherrypy.expose
    def index(self):
        return covercp.__name__
