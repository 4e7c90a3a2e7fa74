"""``cherrypy._cpwsgi_server`` and ``cherrypy._cpnative_server``: the default HTTP server.

CherryPy configs name it (``server.instance = "cherrypy._cpwsgi_server.CPWSGIServer"``,
or ``cherrypy.server.httpserver`` in its test helper); here it builds the same cheroot
server a :class:`framework.process.server.Server` runs by default.

CherryPy's "native" server (``cherrypy._cpnative_server.CPHTTPServer``) runs cheroot
with a gateway that calls the request objects without WSGI. The framework has one
gateway, WSGI, so that name builds the same server: an app that asks for the native
server is served, with the same settings, by the WSGI one.
"""

from __future__ import annotations

from typing import Any

from framework.process.server import Server

__all__ = ["CPHTTPServer", "CPWSGIServer"]


def CPWSGIServer(server: Server | None = None) -> Any:  # CherryPy's name
    """Return cheroot's server configured from ``server`` (default: ``framework.server``)."""
    if server is None:
        from framework.process.server import server as default_server

        server = default_server
    return server.build_cheroot()


#: ``cherrypy._cpnative_server.CPHTTPServer``: the same server (there is one gateway).
CPHTTPServer = CPWSGIServer
