"""``cherrypy._cpwsgi_server``: the default HTTP server, by CherryPy's name.

CherryPy configs name it (``server.instance = "cherrypy._cpwsgi_server.CPWSGIServer"``,
or ``cherrypy.server.httpserver`` in its test helper); here it builds the same cheroot
server a :class:`framework.process.server.Server` runs by default.
"""

from __future__ import annotations

from typing import Any

from framework.process.server import Server

__all__ = ["CPWSGIServer"]


def CPWSGIServer(server: Server | None = None) -> Any:  # CherryPy's name
    """Return cheroot's server configured from ``server`` (default: ``framework.server``)."""
    if server is None:
        from framework.process.server import server as default_server

        server = default_server
    return server.build_cheroot()
