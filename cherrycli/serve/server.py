"""Serving a loaded app on a bound socket, and ``cherry serve`` without ``--reload``.

:func:`serve` is the whole plain path: load the TARGET (:mod:`cherrycli.serve.loading`),
settle the address (loading comes first so that an address the command line left open
can come from the app: a CherryPy app run with ``--compat`` often sets
``server.socket_port`` at import), bind, print the URL with the app's mount point and
serve until Ctrl-C or SIGTERM, which stop accepting at once and give requests in flight
``grace`` seconds to finish.

Two ways to serve a socket:

- :func:`serve_app` goes through the engine and ``framework.server`` handed the bound
  socket, so engine plugins and ``server.*`` settings work as in any deployment; a
  request no mounted app matches writes the access log too. Its ``on_ready`` runs once
  the engine has started, and requests that arrive before it has run wait for it, so
  "Serving on" always comes before the first access line, piped or not;
- :func:`serve_socket` uses a bare cheroot server, for the load-error page, so it still
  shows when the framework itself fails to import.

With ``--reload``, :mod:`cherrycli.reload.worker` calls both in its worker processes.
"""

from __future__ import annotations

import math
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from cherrycli.errors import CliError
from cherrycli.serve import DEFAULT_GRACE
from cherrycli.serve.address import Address, app_address, pinned_notes
from cherrycli.serve.listen import BACKLOG, announced_url, bind_listener, mount_path
from cherrycli.serve.loading import WSGIApp, load_app, summarize_load_error

if TYPE_CHECKING:
    from cheroot.wsgi import Server as CherootServer

__all__ = ["Wrapper", "serve", "serve_app", "serve_socket"]

#: Middleware a caller puts around what is served (``--reload``'s live refresh). When
#: the wrapped app has a ``stop()`` method, it is called as the server stops, before
#: the requests in flight drain (a stream must end for the drain to finish).
Wrapper = Callable[[WSGIApp], WSGIApp]


def serve(
    target: str | None,
    address: Address,
    config: Path | None,
    compat: bool,
    grace: float = DEFAULT_GRACE,
) -> int:
    """Run ``cherry serve`` without reloading: load, bind, print the URL, serve.

    Args:
        target: TARGET as given on the command line (None: project default).
        address: what the options, settings and config file chose
            (:func:`~cherrycli.serve.address.choose_address`); the app's own
            ``server.socket_host`` / ``server.socket_port``, else the defaults, fill the rest.
        config: config file or None.
        compat: install the ``cherrypy`` aliases first.
        grace: seconds requests in flight get to finish after Ctrl-C or SIGTERM.

    Returns:
        The exit status (0 after a clean stop).

    Raises:
        CliError: the port is taken, TARGET or the config file is bad, or the app fails
            to load (the message names the file and line) or to start.
    """
    try:
        app = load_app(target, config, compat=compat)
    except (Exception, SystemExit) as exc:
        if isinstance(exc, CliError):
            raise
        raise CliError(
            f"the app failed to load: {summarize_load_error(exc)}",
            hint="run with --reload to see the full traceback in the browser",
        ) from None
    asked = app_address()
    sock = bind_listener(*address.after_loading(asked))
    notes = pinned_notes(address.pinned(), asked, config)
    if notes:
        from cherrycli.console import say

        for note in notes:
            say(note, "hint")
    try:
        url = announced_url(sock, mount_path(app))
        from cherrycli.console import stdout

        announce = f"[ok]Serving on {url}[/ok] (press Ctrl+C to stop)"
        try:
            serve_app(app, sock, lambda: stdout().print(announce, soft_wrap=True), grace)
        except Exception as exc:  # ChannelFailures: the engine already logged it
            raise CliError(f"the app failed to start: {exc}") from None
    finally:
        sock.close()
    return 0


def serve_app(
    app: WSGIApp,
    sock: socket.socket,
    on_ready: Callable[[], None],
    grace: float = DEFAULT_GRACE,
    wrap: Wrapper | None = None,
) -> None:
    """Serve ``app`` through the engine and ``framework.server`` until the engine exits.

    The engine's plugins start and stop as in any deployment (so ``engine.subscribe``
    listeners of a CherryPy app run); SIGTERM and Ctrl-C exit it: the server stops
    accepting at once (connections wait in the socket's backlog for whoever serves it
    next) and requests in flight get ``grace`` seconds to finish. The server adopts a
    duplicate of ``sock``'s descriptor, so ``sock`` stays usable afterwards. Engine
    messages below WARNING are dropped: the toolchain prints its own one-line status.

    Args:
        app: the WSGI callable (usually ``framework.tree``).
        sock: a bound, listening socket.
        on_ready: called once the engine has started; requests wait for it to return.
        grace: seconds requests in flight get to finish when the engine stops.
        wrap: middleware around everything served (see :data:`Wrapper`).

    Raises:
        ChannelFailures: a start listener failed (the engine has exited).
    """
    import framework

    engine = framework.engine
    for listener in list(engine.listeners.get("log", ())):
        engine.unsubscribe("log", listener)
        engine.subscribe("log", _warnings_only(listener))
    server = framework.server
    # Development serving: a 404 outside every mount point of a Tree is logged too.
    served = _unmounted_logged(app) if hasattr(app, "script_name") else app
    if wrap is not None:
        served = wrap(served)
        stop = getattr(served, "stop", None)
        if stop is not None:
            engine.subscribe("stop", stop, priority=1)  # before the server drains (25)
    gate = threading.Event()
    server.wsgi_app = _gated(served, gate)
    server.socket_fd = sock.fileno()
    server.socket_queue_size = BACKLOG
    server.shutdown_timeout = grace
    # A start that fails shuts the engine down: what waits at the gate is served then.
    engine.subscribe("stop", gate.set, priority=1)
    engine.signals.subscribe()  # type: ignore[attr-defined]
    engine.start()
    try:
        on_ready()
    finally:
        gate.set()
    # Poll often: a reload worker's SIGTERM must stop its accepting at once.
    engine.block(interval=0.02)


def _gated(app: WSGIApp, gate: threading.Event) -> WSGIApp:
    """``app``, whose requests wait until ``gate`` opens (the URL has been announced)."""

    def gated(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not gate.is_set():
            gate.wait()
        return app(environ, start_response)

    return gated


def _unmounted_logged(tree: Any) -> WSGIApp:
    """Wrap a ``framework.Tree`` so a request no mounted app matches writes an access line
    too: the tree answers those 404 itself, outside every app's pipeline (which logs)."""
    import framework
    from framework.core.log import AccessLogMiddleware

    logged = AccessLogMiddleware(tree, framework.log)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if tree.script_name(path or "/") is None:
            return logged(environ, start_response)
        result: Iterable[bytes] = tree(environ, start_response)
        return result

    return app


def _warnings_only(listener: Callable[[str, int], Any]) -> Callable[[str, int], Any]:
    def forward(msg: str, level: int = 20) -> None:
        if level >= 30:
            listener(msg, level)

    return forward


class _Stop(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT/SIGHUP to leave the serve loop."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def serve_socket(
    app: WSGIApp,
    sock: socket.socket,
    on_ready: Callable[[], None],
    grace: float = DEFAULT_GRACE,
    wrap: Wrapper | None = None,
) -> None:
    """Serve ``app`` on ``sock`` with a bare cheroot server until SIGTERM/SIGINT/SIGHUP.

    Used for the error page, so it works even when the framework itself cannot load.
    In-flight requests get ``grace`` seconds to finish; connections still waiting in the
    listen backlog are left for the next process sharing the socket.

    Args:
        app: the WSGI callable.
        sock: a bound, listening socket (inherited or from
            :func:`~cherrycli.serve.listen.bind_listener`).
        on_ready: called once, right before the server accepts connections.
        grace: seconds requests in flight get to finish when a signal stops it.
        wrap: middleware around ``app`` (see :data:`Wrapper`).
    """
    served = app if wrap is None else wrap(app)
    server = _make_server(served, sock, grace)
    stop_signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    for signum in stop_signals:
        signal.signal(signum, _raise_stop)
    try:
        server.prepare()
        on_ready()
        server.serve()
    except _Stop:
        pass
    finally:
        # A second signal while draining ends the process the ordinary way.
        for signum in stop_signals:
            signal.signal(signum, signal.SIG_DFL)
        stop = getattr(served, "stop", None)
        if stop is not None:
            stop()
        server.stop()


def _make_server(app: WSGIApp, sock: socket.socket, grace: float) -> CherootServer:
    """A cheroot server that adopts ``sock`` instead of binding its own."""
    from cheroot.wsgi import Server

    class _AdoptingServer(Server):
        # cheroot's prepare() asks bind() for a socket; hand it ours instead.
        def bind(self, family: int, type: int, proto: int = 0) -> None:
            self.socket = sock

    # cheroot takes whole seconds here; round up so no request gets less than asked.
    server = _AdoptingServer(sock.getsockname()[:2], app, shutdown_timeout=math.ceil(grace))
    server.request_queue_size = BACKLOG
    return server
