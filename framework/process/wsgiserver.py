"""The cheroot WSGI server Cherry runs: strict connections, deadlines, and a quick 503.

:class:`StrictServer` is cheroot's ``wsgi.Server`` with its connection, request and
gateway classes replaced by the strict ones (:class:`StrictConnection`,
:class:`~framework.process.http.StrictRequest`,
:class:`~framework.process.http.StrictGateway`), and three changes to how threads are
spent, so that the server stays responsive for everyone while some clients misbehave:

- **No thread waits for a head.** cheroot hands a new connection to a worker at once,
  and the worker blocks until the request line arrives (up to ``socket_timeout``): a
  few dozen silent or slow-drip connections stall everyone. Here a new connection
  is parked in cheroot's selector (as idle keep-alive connections are) until its
  whole head has arrived; only then does it take a worker. A head that does not
  complete within ``header_timeout`` seconds of its first byte is closed.
- **Bodies have a deadline** (``body_timeout`` plus ``body_min_rate``; see
  :mod:`framework.process.stream`): a body that trickles in gets 408.
- **A saturated pool answers 503 at once.** When ``accepted_queue_size`` requests
  already wait for a worker, a new one is answered ``503 Service Unavailable``
  instead of queuing (and the selector never blocks on a full queue).

Server log lines (cheroot's ``error_log``) go to the engine's log, as in CherryPy.
A listening socket can be handed over instead of bound (``prebound``).
"""

from __future__ import annotations

import logging
import queue
import select
import socket
import time
from typing import Any

from cheroot import connections, wsgi
from cheroot.makefile import MakeFile
from cheroot.server import HTTPConnection

from framework.process.head import Limits
from framework.process.http import StrictGateway, StrictRequest
from framework.process.stream import SocketReader

__all__ = ["StrictConnection", "StrictServer"]

_monotonic = time.monotonic


class StrictConnection(HTTPConnection):
    """A client connection whose worker never waits for a request head."""

    RequestHandlerClass = StrictRequest
    rfile: SocketReader
    #: Waiting in the selector (between requests, or while its head arrives).
    parked = False
    #: At least one request was answered on this connection.
    served = False

    def __init__(self, server: Any, sock: Any, makefile: Any = MakeFile) -> None:
        limits: Limits = server.head_limits

        def files(sock: Any, mode: str = "r", bufsize: int = -1) -> Any:
            if "r" in mode:
                return SocketReader(sock, server.timeout, limits.line, limits.head)
            return makefile(sock, mode, bufsize)

        super().__init__(server, sock, files)

    def communicate(self) -> bool:
        """Serve one request if its head is complete; else read what came and wait.

        Returns:
            True to keep the connection (in the selector), False to close it.
        """
        reader = self.rfile
        if not reader.head_ready():
            if not reader.fill_nowait():
                return False  # the client went away
            if not reader.head_ready():
                if not self.server.ready:  # stopping: no selector to wait in any more
                    return self._last_head()
                if reader.head_expired(self.server.header_timeout):
                    StrictRequest(self.server, self).simple_response("408 Request Timeout")
                    return False
                return True  # back to the selector until more bytes arrive
        self.served = True
        return bool(super().communicate())  # type: ignore[no-untyped-call]

    def _last_head(self) -> bool:
        """While the server stops, wait (bounded) for the head of a client never answered.

        Such a client connected before the server stopped accepting; like a request
        already queued, it is served (within ``shutdown_timeout``), not dropped.
        """
        server = self.server
        reader = self.rfile
        deadline = time.monotonic() + min(server.header_timeout, server.shutdown_timeout)
        while not reader.head_ready():
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.socket], [], [], left)[0]:
                return False
            if not reader.fill_nowait():
                return False
        self.served = True
        return bool(super().communicate())  # type: ignore[no-untyped-call]

    def close(self) -> None:
        """Close; a head that timed out in the selector is told so first (408).

        The selector closes a parked connection once it has been silent for
        ``socket_timeout`` or its head took longer than ``header_timeout``. A client
        that never got an answer on it then gets a 408 (as from cheroot, whose
        worker would have timed out reading), one idle after a response does not.
        """
        if self.parked and self.server.ready and (self.rfile.head_started or not self.served):
            self.parked = False
            try:
                StrictRequest(self.server, self).simple_response("408 Request Timeout")
            except OSError:
                pass
        super().close()


class _Connections(connections.ConnectionManager):
    """cheroot's connection manager; at shutdown it hands on clients never answered."""

    def close(self) -> None:
        """Queue parked connections that never got an answer, then close the others.

        A client that connected just before the server stopped accepting may not have
        sent its head yet: with cheroot it would be queued for a worker already, so it
        is queued here too (workers finish the queue before they stop).
        """
        server = self.server
        selector = self._selector  # type: ignore[attr-defined]
        for fd, conn in list(selector.connections):
            if conn is server or conn.served:
                continue
            selector.unregister(fd)
            conn.parked = False
            try:
                server.requests.put(conn)
            except queue.Full:
                conn.close()
        super().close()


class StrictServer(wsgi.Server):
    """cheroot's WSGI server with strict framing and bounded waits (module docstring)."""

    ConnectionClass = StrictConnection
    #: Request-head limits (``server.max_request_line_size`` and friends).
    head_limits = Limits()
    #: Seconds a request head may take from its first byte (``server.header_timeout``).
    header_timeout = 10.0
    #: Seconds a request body may take before rate credit (``server.body_timeout``).
    body_timeout = 30.0
    #: Bytes per second that earn a body one more second (``server.body_min_rate``).
    body_min_rate = 16 * 1024
    #: A bound socket to serve on instead of binding ``bind_addr``.
    prebound: socket.socket | None = None
    #: Where ``error_log`` writes: ``log(msg, level, traceback)`` (the engine's).
    log: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gateway = StrictGateway

    def prepare(self) -> None:
        """Bind and start the workers, with our connection manager in cheroot's place."""
        super().prepare()
        stock = self._connections  # type: ignore[has-type]
        self._connections = _Connections(self)
        stock._selector.close()  # it only watched the listening socket so far

    # -- connections ---------------------------------------------------------------------
    def process_conn(self, conn: Any) -> None:
        """Queue a connection whose head is complete; park a new one until it is.

        Called by the selector thread for new connections and readable idle ones.
        """
        conn.parked = False
        if conn.last_used is None:  # just accepted: never dispatched, never parked
            reader = conn.rfile
            if not reader.fill_nowait():
                conn.close()
                return
            if not reader.head_ready():
                self._park(conn)
                return
        try:
            self.requests.put(conn)
        except queue.Full:
            # Answered here (a short write into an empty send buffer never blocks)
            # rather than by cheroot's 503 thread, whose answer keeps the socket open.
            busy = StrictRequest(self, conn)
            try:
                busy.simple_response(
                    "503 Service Unavailable", "The server is busy; try again shortly."
                )
            except OSError:
                pass
            conn.close()

    def put_conn(self, conn: Any) -> None:
        """Park a connection between requests (or while its head arrives)."""
        if self.ready:
            self._park(conn)
        else:
            conn.close()

    def _park(self, conn: Any) -> None:
        conn.parked = True
        self._connections.put(conn)
        started = conn.rfile.head_started
        if started:
            # The selector closes a connection once last_used is `timeout` seconds
            # old (silence): date it back so that this happens `header_timeout`
            # after the head's first byte at the latest.
            deadline = time.time() - (_monotonic() - started) + self.header_timeout
            conn.last_used = min(conn.last_used, deadline - self.timeout)

    # -- logging -------------------------------------------------------------------------
    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        """Write a server message to the engine's log (stderr if there is none)."""
        if self.log is None:
            super().error_log(msg, level, traceback)
        else:
            self.log(msg, level, traceback)

    # -- binding ---------------------------------------------------------------------------
    def bind(self, family: int, type: int, proto: int = 0) -> socket.socket:
        """Bind ``bind_addr``, or adopt the ``prebound`` socket."""
        sock = self.prebound
        if sock is None:
            sock = self.prepare_socket(
                self.bind_addr, family, type, proto, self.nodelay, self.ssl_adapter, self.reuse_port
            )
            try:
                sock = self.bind_socket(sock, self.bind_addr)  # type: ignore[no-untyped-call]
            except OSError:
                sock.close()  # cheroot would leak it (a ResourceWarning)
                raise
        else:
            if self.nodelay and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_adapter is not None:
                sock = self.ssl_adapter.bind(sock)
        self.socket = sock
        self.bind_addr = self.resolve_real_bind_addr(sock)  # type: ignore[no-untyped-call]
        return sock

    def bind_unix_socket(self, bind_addr: str) -> socket.socket:
        """Bind a Unix socket, or adopt the ``prebound`` one."""
        if self.prebound is None:
            bound: socket.socket = super().bind_unix_socket(bind_addr)  # type: ignore[no-untyped-call]
            return bound
        self.socket = self.prebound
        return self.prebound
