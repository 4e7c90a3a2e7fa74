"""Running an HTTP server of your own with the engine: ``cherrypy.process.servers``.

:class:`ServerAdapter` is CherryPy's way to start more than one server, or a server
object built elsewhere, with the engine::

    from framework.process.adapter import ServerAdapter

    extra = ServerAdapter(framework.engine, my_cheroot_server, ("127.0.0.1", 8443))
    extra.subscribe()          # starts and stops with the engine

The server object needs cheroot's server API (``prepare``, ``serve``, ``stop``); the
adapter is a :class:`~framework.process.server.Server` whose ``instance`` it is, so it
binds, logs and shuts down as the default server does. The flup servers of CherryPy
(CGI, FastCGI, SCGI) are not provided: serve over HTTP behind the front-end server.
"""

from __future__ import annotations

from typing import Any

from framework.process.server import Server
from framework.process.wspbus import Bus

__all__ = ["ServerAdapter", "Timeouts"]


class Timeouts:
    """Seconds CherryPy waits for a port to be taken (``occupied``) or released (``free``)."""

    occupied = 5
    free = 1


class ServerAdapter(Server):
    """Start and stop ``httpserver`` with ``bus`` (CherryPy's ``ServerAdapter``).

    Args:
        bus: the engine to subscribe to.
        httpserver: the server object (cheroot's API), or None for a cheroot server
            serving ``framework.tree``.
        bind_addr: ``(host, port)`` or a Unix socket path, reported by :meth:`base`.
    """

    def __init__(
        self, bus: Bus, httpserver: Any = None, bind_addr: tuple[str, int] | str | None = None
    ) -> None:
        super().__init__(None, bus)
        self.instance = httpserver
        if bind_addr is not None:
            self.bind_addr = bind_addr

    @property
    def description(self) -> str:
        """The server and where it listens, for log lines."""
        return f"{type(self.instance).__name__ if self.instance else 'cheroot'} on {self.base()}"

    def wait(self) -> None:
        """Return once the server listens (``start`` returns only then)."""
        if not self.running:
            raise RuntimeError(f"{self.description} is not running; start it first.")

    def restart(self) -> None:
        """Stop the server and start it again."""
        self.stop()
        self.start()
