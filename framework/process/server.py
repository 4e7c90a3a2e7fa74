"""HTTP servers on cheroot, driven by the engine: ``framework.server`` and friends.

(This module lives in ``framework.process`` because ``framework.server`` is the default
:class:`Server` instance, which a ``framework/server.py`` submodule would shadow.)

A :class:`Server` holds CherryPy's ``server.*`` settings (host, port, Unix socket,
thread pool, timeouts, size limits, TLS) and, once subscribed, starts a
``cheroot.wsgi.Server`` on the engine's ``start`` channel and stops it on ``stop``.
:data:`server` is the default one (``framework.server``); config keys
``server.<name>.<setting>`` create named extra servers in :data:`servers`, so one app
can listen on several ports (CherryPy's "multiple servers").

``engine.start()`` returns once every server is listening: binding happens inside the
start listener, so a busy port fails at once with a message naming host and port and
the engine shuts down. On ``stop`` a server stops accepting, lets in-flight requests
(streamed ones included) finish for up to ``shutdown_timeout`` seconds, and returns.

A listening socket can also be handed over instead of bound (``socket_fd`` or
:meth:`Server.use_socket`), which is how a supervisor keeps one port across worker
restarts. :func:`quickstart` runs an app in the foreground; :func:`serve_in_thread`
serves any WSGI callable for tests; :func:`embed` and the ``gunicorn_*`` hooks run the
engine's plugins inside another WSGI server.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from framework import _globals
from framework._globals import config as global_config
from framework.process import bus
from framework.process.head import Limits
from framework.process.wspbus import Bus, ChannelFailures, StartError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "Server",
    "configure",
    "embed",
    "gunicorn_post_worker_init",
    "gunicorn_worker_exit",
    "quickstart",
    "serve_in_thread",
    "server",
    "servers",
]


def _default_app() -> WSGIApplication:
    # Read at each start: an app may have replaced the mount tree (cherrypy.tree = ...).
    app: WSGIApplication = _globals.tree
    return app


class Server:
    """One HTTP listener (CherryPy's ``_cpserver.Server``), started by the engine.

    Args:
        wsgi_app: The WSGI callable to serve; ``None`` serves ``framework.tree``.
        engine: The bus to subscribe to and log through (default: the engine).
    """

    socket_port: int = 8080
    socket_file: str | None = None
    socket_fd: int | None = None
    # COMPAT: CherryPy's backlog is 5; a burst of new connections then overflows it and
    # the kernel drops SYNs, which clients retry after 1 s, then 3 s: the "multi-second
    # stall" under load. 128 keeps bursts of a few hundred connections in the queue.
    socket_queue_size: int = 128
    socket_timeout: float = 10
    # COMPAT: CherryPy queues without bound (-1) and blocks its acceptor for up to 10 s
    # on a full queue. Past this many requests waiting for a thread, a new one gets a
    # quick 503 instead of a long wait (and the acceptor never blocks).
    accepted_queue_size: int = 100
    accepted_queue_timeout: float = 0
    shutdown_timeout: float = 5
    protocol_version: str = "HTTP/1.1"
    thread_pool: int = 10
    thread_pool_max: int = -1
    #: Longest request line, in bytes (414 past it).
    max_request_line_size: int = 8 * 1024
    # COMPAT: CherryPy allows 500 KB of headers; 64 KB is plenty (431 past it).
    max_request_header_size: int = 64 * 1024
    #: Most header fields in one request (431 past it).
    max_request_headers: int = 100
    max_request_body_size: int = 100 * 1024 * 1024
    #: Seconds a request head may take from its first byte to its end (then closed).
    header_timeout: float = 10
    #: Seconds a request body may take, plus one per ``body_min_rate`` bytes (then 408).
    body_timeout: float = 30
    body_min_rate: int = 16 * 1024
    #: Idle keep-alive connections kept open at most (cheroot's default is 10).
    keep_alive_conn_limit: int = 256
    nodelay: bool = True
    peercreds: bool = False
    peercreds_resolve: bool = False
    ssl_module: str = "builtin"
    ssl_certificate: str | None = None
    ssl_private_key: str | None = None
    ssl_certificate_chain: str | None = None
    ssl_ciphers: str | None = None
    ssl_context: Any = None
    statistics: bool = False
    #: The HTTP server to run instead of cheroot's: an object with cheroot's server
    #: API (``prepare``, ``serve``, ``stop``, ``ready``, ``bind_addr``), or a class or
    #: dotted name called with this :class:`Server` to make one. ``None``: cheroot.
    instance: Any = None

    def __init__(self, wsgi_app: WSGIApplication | None = None, engine: Bus | None = None) -> None:
        self.wsgi_app = wsgi_app
        self.bus = engine if engine is not None else bus
        self._socket_host = "127.0.0.1"
        self._prebound: socket.socket | None = None
        #: The HTTP server object while running (and after, until the next start). One
        #: assigned before :meth:`start` is the one started (and restarted); otherwise
        #: every start builds one from :attr:`instance` and the settings.
        self.httpserver: Any = None
        #: The server the last start built (rebuilt at the next start, for new settings).
        self._built: Any = None
        self._thread: threading.Thread | None = None

    # -- settings ------------------------------------------------------------------
    @property
    def socket_host(self) -> str:
        """Interface to bind; ``0.0.0.0`` / ``::`` for all (the empty string is refused)."""
        return self._socket_host

    @socket_host.setter
    def socket_host(self, value: str) -> None:
        if value == "":
            raise ValueError(
                "The empty string ('') is not an allowed value. "
                "Use '0.0.0.0' instead to listen on all active interfaces (INADDR_ANY)."
            )
        self._socket_host = value

    @property
    def bind_addr(self) -> tuple[str, int] | str:
        """The configured address: ``socket_file``, else ``(socket_host, socket_port)``."""
        if self.socket_file:
            return self.socket_file
        return (self.socket_host, int(self.socket_port))

    @bind_addr.setter
    def bind_addr(self, value: tuple[str, int] | str) -> None:
        if isinstance(value, str):
            self.socket_file = value
        elif isinstance(value, tuple) and len(value) == 2:
            self.socket_file = None
            self.socket_host, self.socket_port = value[0], int(value[1])
        else:
            raise ValueError(f"bind_addr must be a (host, port) tuple or a path: {value!r}")

    @property
    def bound_addr(self) -> tuple[str, int] | str:
        """The address actually listened on (the real port when 0 was asked).

        While not listening, the configured :attr:`bind_addr` (as CherryPy's).
        """
        if not self.running:
            return self.bind_addr
        addr: tuple[str, int] | str = self.httpserver.bind_addr
        return addr

    @property
    def running(self) -> bool:
        """True while the server is accepting connections."""
        # (A dotted name assigned to ``httpserver`` is not a server yet.)
        return bool(getattr(self.httpserver, "ready", False))

    def use_socket(self, sock: socket.socket) -> None:
        """Serve on an already bound socket instead of binding one (next :meth:`start`).

        The server owns ``sock`` from then on and closes it when stopping.

        Args:
            sock: A bound TCP or Unix stream socket (listening or not).
        """
        self._prebound = sock

    def base(self) -> str:
        """Return the base URL (``http://host:port``), omitting the scheme's default port."""
        addr = self.bound_addr
        if isinstance(addr, str):
            return addr
        host, port = addr[0], int(addr[1])
        if host in ("0.0.0.0", "::"):
            host = socket.gethostname()
        elif ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.ssl_certificate else "http"
        default = 443 if scheme == "https" else 80
        return f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}"

    # -- engine plumbing -------------------------------------------------------------
    def subscribe(self) -> None:
        """Start and stop with the engine."""
        self.bus.subscribe("start", self.start)
        self.bus.subscribe("stop", self.stop)

    def unsubscribe(self) -> None:
        """Detach from the engine (embedded mode: another server does HTTP)."""
        self.bus.unsubscribe("start", self.start)
        self.bus.unsubscribe("stop", self.stop)

    def start(self) -> None:
        """Bind, then serve from a background thread; returns once listening.

        Raises:
            StartError: The address cannot be bound (the message names host and port).
        """
        if self.running:
            self.bus.log(f"Already serving on {self.base()}")
            return
        httpserver = self.httpserver
        if httpserver is None or httpserver is self._built:
            httpserver = self._built = self._make_httpserver(self.instance)
        elif isinstance(httpserver, str | type):
            # COMPAT: CherryPy's test helper assigns the server's dotted name here.
            httpserver = self._built = self._make_httpserver(httpserver)
        # Otherwise the application assigned a server object: it serves (as CherryPy's).
        try:
            httpserver.prepare()
        except OSError as exc:
            raise StartError(f"Cannot listen on {self._describe()}: {_reason(exc)}") from exc
        self.httpserver = httpserver
        self._thread = threading.Thread(
            target=self._serve, args=(httpserver,), name=f"HTTPServer {self.base()}", daemon=True
        )
        self._thread.start()
        self.bus.log(f"Serving on {self.base()}")

    # COMPAT: CherryPy binds late (75) so Daemonizer (65) forks first, and stops
    # servers early (25) so plugins still serve the requests being drained.
    start.priority = 75  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Stop accepting; wait up to ``shutdown_timeout`` for requests in flight."""
        httpserver, thread = self.httpserver, self._thread
        if httpserver is None:
            return
        where = self.base()
        httpserver.stop()
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.shutdown_timeout + 5)
        self._thread = None
        self.bus.log(f"HTTP Server {where} shut down")

    stop.priority = 25  # type: ignore[attr-defined]

    def _serve(self, httpserver: Any) -> None:
        try:
            httpserver.serve()
        except BaseException:
            # A dead listener must not leave a half-running process behind.
            self.bus.log("Error in HTTP server: shutting down", level=40, traceback=True)
            self.bus.exit()

    def _describe(self) -> str:
        if self._prebound is not None or self.socket_fd is not None:
            return "the socket handed over"
        addr = self.bind_addr
        return addr if isinstance(addr, str) else f"{addr[0]}:{addr[1]}"

    def _make_httpserver(self, instance: Any) -> Any:
        if instance is None:
            return self.build_cheroot()
        if isinstance(instance, str):
            module_name, _, attr = instance.rpartition(".")
            instance = getattr(importlib.import_module(module_name), attr)
        if isinstance(instance, type) or (callable(instance) and not hasattr(instance, "serve")):
            return instance(self)
        return instance

    def build_cheroot(self) -> Any:
        """Return the cheroot server for this server's settings (the default HTTP server)."""
        httpserver = _cheroot_class()(
            self.bind_addr,
            self.wsgi_app if self.wsgi_app is not None else _default_app(),
            numthreads=self.thread_pool,
            server_name=self.socket_host,
            max=self.thread_pool_max,
            request_queue_size=self.socket_queue_size,
            timeout=self.socket_timeout,
            shutdown_timeout=self.shutdown_timeout,
            accepted_queue_size=self.accepted_queue_size,
            accepted_queue_timeout=self.accepted_queue_timeout,
            peercreds_enabled=self.peercreds,
            peercreds_resolve_enabled=self.peercreds_resolve,
        )
        httpserver.protocol = self.protocol_version
        httpserver.nodelay = self.nodelay
        httpserver.max_request_header_size = self.max_request_header_size
        httpserver.max_request_body_size = self.max_request_body_size
        httpserver.head_limits = Limits(
            self.max_request_line_size, self.max_request_header_size, self.max_request_headers
        )
        httpserver.header_timeout = self.header_timeout
        httpserver.body_timeout = self.body_timeout
        httpserver.body_min_rate = self.body_min_rate
        httpserver.keep_alive_conn_limit = self.keep_alive_conn_limit
        httpserver.log = self.bus.log
        httpserver.stats["Enabled"] = self.statistics
        # The accept loop notices stop() only between selector polls: poll 5x more
        # often than cheroot's 0.5 s so stop/restart take ~0.1 s (idle cost: nil).
        httpserver.expiration_interval = 0.1
        # cheroot's own force-close after shutdown_timeout only shuts the read side, so a
        # response still streaming would keep stop() waiting forever.
        httpserver.requests._force_close = _force_close
        if self.ssl_certificate:
            from cheroot.server import get_ssl_adapter_class

            adapter = get_ssl_adapter_class(self.ssl_module)(
                self.ssl_certificate,
                self.ssl_private_key,
                self.ssl_certificate_chain,
                self.ssl_ciphers,
            )
            if self.ssl_context is not None:
                adapter.context = self.ssl_context
            httpserver.ssl_adapter = adapter
        sock = self._prebound
        if sock is None and self.socket_fd is not None:
            # A dup, so the same descriptor can serve again after a stop/start.
            sock = socket.socket(fileno=os.dup(self.socket_fd))
        if sock is not None:
            if sock.family == socket.AF_UNIX:
                httpserver.bind_addr = sock.getsockname()
            else:
                httpserver.bind_addr = sock.getsockname()[:2]
            httpserver.prebound = sock  # StrictServer.bind() adopts it
        return httpserver


def _force_close(conn: Any) -> None:
    """Cut a connection still busy after ``shutdown_timeout``: its next write fails."""
    if conn is None:
        return
    try:
        conn.socket.shutdown(socket.SHUT_RDWR)
    except (OSError, TypeError):
        pass  # already closed, or a pyOpenSSL socket (no "how" argument)


def _reason(exc: OSError) -> str:
    # cheroot folds every attempt into one message; the last errno text is the useful part.
    found = re.findall(r"\[Errno \d+\] ([^)]+)", str(exc))
    return found[-1] if found else (exc.strerror or str(exc))


def _cheroot_class() -> Any:
    """Return the strict cheroot server class (imported on first use: cheroot is big)."""
    from framework.process.wsgiserver import StrictServer

    return StrictServer


server = Server()
server.subscribe()

servers: dict[str, Server] = {}
"""Named extra servers created by ``server.<name>.<setting>`` config keys."""

_SETTINGS = frozenset(
    name for name in vars(Server) if not name.startswith("_") and not callable(vars(Server)[name])
) - {"bound_addr", "running"}


def configure(key: str, value: Any) -> None:
    """Apply one ``server.*`` config entry (the ``server.`` prefix already removed).

    ``"socket_port"`` sets the default server; ``"<name>.socket_port"`` sets a named
    server, created and subscribed on first use; ``"<name>.on": False`` (or ``"on"``
    for the default server) unsubscribes it.

    Args:
        key: Config key below the ``server`` namespace.
        value: Config value.

    Raises:
        ValueError: Unknown setting.
    """
    target = server
    if "." in key:
        name, key = key.split(".", 1)
        if name not in servers:
            servers[name] = Server()
            servers[name].subscribe()
        target = servers[name]
    if key == "on":
        if value:
            target.subscribe()
        else:
            target.unsubscribe()
        return
    if key not in _SETTINGS:
        raise ValueError(f"Unknown server setting {key!r}; known: {', '.join(sorted(_SETTINGS))}")
    setattr(target, key, value)


def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
    """Mount ``root``, start the engine with signal handling and serve until stopped.

    Ctrl-C, SIGTERM or ``engine.exit()`` end it after a graceful shutdown, also while
    the engine is still starting; a second Ctrl-C during the shutdown exits at once
    (status 130). Unless the config sets ``log.screen`` (production does), the engine's
    lines ("Bus STARTED", "Serving on http://host:port"), the access log and tracebacks
    show on the screen.

    Args:
        root: The root handler object (None mounts config only).
        script_name: Mount point, e.g. ``""`` or ``"/app"``.
        config: Config dict or file name, applied globally and to the app.

    Raises:
        SystemExit: The engine could not start (the message says why).
    """
    if config:
        global_config.update(config)
    _globals.tree.mount(root, script_name, config)
    bus.signals.subscribe()  # type: ignore[attr-defined]
    try:
        bus.start()
    except ChannelFailures as exc:
        raise SystemExit(f"Engine could not start: {exc}") from None
    except KeyboardInterrupt:
        return  # Ctrl-C during start-up: start() has shut everything down
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
        return  # SIGTERM during start-up: the same clean end as after start-up
    bus.block()


@contextlib.contextmanager
def serve_in_thread(
    app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> Iterator[str]:
    """Serve ``app`` on a real cheroot server in background threads, for tests.

    The server is independent of the engine (no plugins run).

    Args:
        app: Any WSGI callable.
        host: Interface to bind.
        port: Port; 0 picks a free one.
        **settings: Further :class:`Server` attributes (``thread_pool=4``...).

    Yields:
        The base URL, such as ``http://127.0.0.1:54321``.
    """
    live = Server(app, engine=Bus())
    live.socket_host, live.socket_port = host, port
    for name, value in settings.items():
        if name not in _SETTINGS:
            raise ValueError(f"Unknown server setting {name!r}")
        setattr(live, name, value)
    live.start()
    try:
        yield live.base()
    finally:
        live.stop()


def embed(engine: Bus | None = None) -> None:
    """Start the engine inside another WSGI server (gunicorn, uWSGI, mod_wsgi).

    Our HTTP servers are unsubscribed and no signal handler is installed (the host
    server owns signals); ``start`` plugins run now, in this process.

    Args:
        engine: The bus to start (default: the engine).
    """
    engine = engine if engine is not None else bus
    for each in (server, *servers.values()):
        if each.bus is engine:
            each.unsubscribe()
    engine.start()


def gunicorn_post_worker_init(worker: Any) -> None:
    """gunicorn ``post_worker_init`` hook: start the engine in each worker.

    This hook (not ``post_fork``) runs after the worker imported the application, so
    plugins the app module subscribes are started too.
    """
    embed()


def gunicorn_worker_exit(arbiter: Any, worker: Any) -> None:
    """gunicorn ``worker_exit`` hook: run the engine's stop/exit plugins in each worker."""
    bus.exit()
