"""A CherryPy script that starts the engine but never mounts anything."""

import cherrypy

if __name__ == "__main__":
    cherrypy.config.update({"server.socket_port": 9099})
    cherrypy.engine.start()
    cherrypy.engine.block()
