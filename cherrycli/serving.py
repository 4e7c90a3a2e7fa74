"""Serving an app on cheroot: loading it, the plain ``cherry serve`` path, the error page.

``cherry serve`` without ``--reload`` calls :func:`serve`: load the TARGET (import,
mount on ``framework.tree``, apply ``--config``), bind, print the URL (with the app's
mount point) and serve until Ctrl-C or SIGTERM. Loading comes first so that an address
the command line left open can come from the app: a CherryPy app run with ``--compat``
often sets ``server.socket_port`` at import. Serving goes through the engine and
``framework.server`` handed the bound socket (:func:`serve_app`), so engine plugins and
``server.*`` settings work as in any deployment; a plain WSGI callable, and a request
no mounted app matches, write the access log too. Only the error page uses a bare cheroot server
(:func:`serve_socket`), so it still shows when the framework itself fails to import.

With ``--reload``, :mod:`cherrycli.reloader` runs :func:`load_app`, :func:`serve_app`
and, when the app fails to load, :func:`error_page_app` in its worker processes.
"""

from __future__ import annotations

import html
import importlib
import os
import signal
import socket
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType, SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cherrycli.appconfig import read_config
from cherrycli.errors import CliError

if TYPE_CHECKING:
    from cheroot.wsgi import Server as CherootServer

__all__ = [
    "address_notes",
    "announced_url",
    "bind_listener",
    "error_page_app",
    "load_app",
    "mount_path",
    "serve",
    "serve_app",
    "serve_socket",
    "server_url",
]

WSGIApp = Callable[..., Iterable[bytes]]

# A large backlog keeps connections queued (not refused) while a worker restarts.
BACKLOG = socket.SOMAXCONN
# How long a stopping worker lets in-flight requests finish before closing them.
SHUTDOWN_TIMEOUT = 2
# Frames from these files are loading machinery, not the app: hidden from tracebacks.
_MACHINERY = (
    os.path.dirname(__file__),
    os.path.dirname(importlib.__file__),
    "<frozen importlib",
    "<frozen runpy",
)


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host:port`` with SO_REUSEADDR, ready to hand to a server.

    Args:
        host: interface name or address (``127.0.0.1``, ``0.0.0.0``, ``::``, ``localhost``).
        port: TCP port; 0 picks a free one.

    Returns:
        A listening, inheritable-on-request socket.

    Raises:
        CliError: exit 2 when the host is unknown or the port out of range (bad input);
            exit 1 when the port is taken or not allowed.
    """
    if not 0 <= port <= 65535:
        raise CliError(f"port {port} is out of range (0-65535)", exit_code=2)
    try:
        infos = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise CliError(f"cannot resolve host {host!r}: {exc.strerror}", exit_code=2) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == 98 or "in use" in str(exc).lower():
            raise CliError(
                f"port {port} on {host} is already in use",
                hint="stop the other server or pick another port with --port",
            ) from None
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def server_url(sock: socket.socket) -> str:
    """The ``http://`` URL a person can open for a listening socket.

    Args:
        sock: a bound socket.

    Returns:
        The URL; a wildcard address is shown as the loopback address.
    """
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def announced_url(sock: socket.socket, path: str = "/") -> str:
    """What ``Serving on`` shows: the URL to open, or the wildcard address and that URL.

    Args:
        sock: a bound socket.
        path: the mount point (:func:`mount_path`).

    Returns:
        ``http://127.0.0.1:8080/sub/``, or ``http://0.0.0.0:8080/sub/ (all interfaces;
        open http://127.0.0.1:8080/sub/)`` for a socket on every interface.
    """
    shown = "" if path == "/" else path
    host, port = sock.getsockname()[:2]
    if host not in ("0.0.0.0", "::"):
        return server_url(sock) + shown
    bound = f"[{host}]" if ":" in host else host
    return f"http://{bound}:{port}{shown} (all interfaces; open {server_url(sock)}{path})"


def address_notes(expected: dict[str, str | None], config: Path | None) -> list[str]:
    """Lines for a reload worker whose loaded app wants another address than the bound one.

    Args:
        expected: ``{"socket_host": ..., "socket_port": ...}`` as bound; None where an
            option or a setting chose it (they outrank the config file and the app).
        config: the ``--config`` file (it outranks the app), or None.

    Returns:
        One line per value that differs now, empty when none does.
    """
    import framework

    try:
        sections = read_config(config).get("global", {})
    except CliError:
        return []  # it loaded a moment ago; an edit since then gets its own reload
    notes = []
    for key, bound in expected.items():
        name = f"server.{key}"
        value = sections.get(name, getattr(framework.server, key))
        if bound is None or str(value) == bound:
            continue
        option = "--host" if key == "socket_host" else "--port"
        notes.append(
            f"note: {name} changed to {value} in {config}; the address is fixed while "
            "cherry serve runs: restart it to move"
            if name in sections
            else f"note: {name} is {value} once the app is loaded, but --reload keeps the "
            f"address it bound first: pass {option} {value} to use it"
        )
    return notes


def load_app(target: str | None, config: Path | None, *, compat: bool = False) -> WSGIApp:
    """Import TARGET, mount it on ``framework.tree`` and apply the config file.

    A root object or class is mounted with the file's path sections as app config, an
    ``Application`` is mounted as is (at its own script name), any other WSGI callable is
    grafted behind :func:`access_logged`. The file's ``[global]`` section updates
    ``framework.config``. The screen log is on by default (development), so the access
    log shows in the terminal.

    Args:
        target: ``pkg.mod:attr``, ``app.py[:attr]`` or None for the project default.
        config: path of an INI config file, or None.
        compat: install the ``cherrypy`` aliases before importing the app.

    Returns:
        The WSGI callable to serve (``framework.tree``).

    Raises:
        CliError: TARGET or the config file cannot be found or read, TARGET is not an
            app, or a root class's instance publishes nothing.
    """
    if compat:
        from framework import compat as compat_layer

        compat_layer.install()
    import framework
    import framework.process.server  # the config's server.* keys are applied to it
    from cherrycli.importer import load_target, require_app

    sections = read_config(config)
    # Development default first, so the file can override it.
    framework.config.update({"log.screen": True})
    framework.config.update(dict(sections.get("global", {})))
    # The supervisor reloads; the engine's own reloader would re-exec the worker.
    framework.config.update({"engine.autoreload.on": False})
    app_config = {path: values for path, values in sections.items() if path != "global"}

    loaded = load_target(target)
    if loaded.kind == "tree":
        app: WSGIApp = loaded.obj
        warn_unknown_tools(app)
        return app
    if loaded.kind == "wsgi":
        framework.tree.graft(access_logged(loaded.obj), "")
    elif loaded.kind == "application":
        framework.tree.mount(loaded.obj, "", app_config or None)
    else:
        root = loaded.obj
        if loaded.kind == "class":
            root = loaded.obj()
            require_app(root, f"{loaded.spec}()")
        framework.tree.mount(root, "", app_config or None)
    warn_unknown_tools(framework.tree)
    return framework.tree


def unknown_tools(tree: Any) -> dict[str, list[str]]:
    """Tools switched on by the config of ``tree``'s apps that the toolbox lacks.

    Args:
        tree: a ``framework.Tree`` (anything with ``apps``).

    Returns:
        ``{tool name: [paths where it is on]}``, empty when every tool exists.
    """
    import framework
    from cherrycli.routes import routes_of_app

    known = set(framework.tools.names())
    missing: dict[str, list[str]] = {}
    for application in getattr(tree, "apps", {}).values():
        if not isinstance(application, framework.Application):
            continue
        for route in routes_of_app(application.root, application.script_name, application.config):
            for name in route.tools:
                if name not in known and route.path not in missing.setdefault(name, []):
                    missing[name].append(route.path)
    return missing


def warn_unknown_tools(tree: Any) -> None:
    """Print one warning line per unknown tool, before any request fails on it."""
    from cherrycli.console import escape, stderr

    for name, paths in sorted(unknown_tools(tree).items()):
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        stderr().print(
            f"[hint]warning:[/hint] tools.{escape(name)} is switched on for {escape(shown)} "
            f"but no such tool exists: those requests will answer 500",
            soft_wrap=True,
        )


def mount_path(app: WSGIApp) -> str:
    """The path to open first: ``/``, or the mount point when nothing is at the root.

    Args:
        app: what :func:`load_app` returned.

    Returns:
        ``"/"`` or, say, ``"/sub/"`` for an ``Application`` mounted at ``/sub``.
    """
    apps = getattr(app, "apps", None)
    if not isinstance(apps, dict) or not apps or "" in apps:
        return "/"
    first: str = min(apps, key=lambda name: (len(name), name))
    return first + "/"


def access_logged(app: WSGIApp) -> WSGIApp:
    """Wrap a plain WSGI callable so each response writes ``framework.log``'s access line.

    A grafted callable bypasses the framework's request pipeline, which is what writes
    the access log for mounted roots; without this, development serving prints nothing
    per request. The line has the framework's format (bytes from ``Content-Length``, as
    for mounted roots) and obeys ``log.screen`` and ``log.access_file``.

    Args:
        app: the WSGI callable.

    Returns:
        The wrapping WSGI callable.
    """
    import framework

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            framework.log.access(*_exchange(environ, status, headers))
            return start_response(status, headers, *exc_info)

        return app(environ, start)

    return logged


def _unmounted_logged(tree: Any) -> WSGIApp:
    """Wrap a ``framework.Tree`` so a request no mounted app matches writes an access line
    too: the tree answers those 404 itself, outside every app's pipeline (which logs)."""
    logged = access_logged(tree)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if tree.script_name(path or "/") is None:
            return logged(environ, start_response)
        result: Iterable[bytes] = tree(environ, start_response)
        return result

    return app


def _exchange(
    env: dict[str, Any], status: str, headers: list[tuple[str, str]]
) -> tuple[SimpleNamespace, SimpleNamespace]:
    """Request and response stand-ins holding what ``LogManager.access`` reads."""
    uri = env.get("REQUEST_URI") or quote(env.get("SCRIPT_NAME", "") + env.get("PATH_INFO", ""))
    if "REQUEST_URI" not in env and env.get("QUERY_STRING"):
        uri += "?" + env["QUERY_STRING"]
    method, protocol = env.get("REQUEST_METHOD", "-"), env.get("SERVER_PROTOCOL", "-")
    request = SimpleNamespace(
        remote=SimpleNamespace(ip=env.get("REMOTE_ADDR", "-"), name=""),
        request_line=f"{method} {uri} {protocol}",
        headers={
            name: env[key]
            for name, key in (("Referer", "HTTP_REFERER"), ("User-Agent", "HTTP_USER_AGENT"))
            if key in env
        },
    )
    length = [value for name, value in headers if name.lower() == "content-length"]
    response = SimpleNamespace(
        status=status, headers={"Content-Length": length[-1] if length else None}
    )
    return request, response


def user_code_error(exc: CliError) -> BaseException | None:
    """The exception from the app's own code behind ``exc``, if that is what it was.

    The importer reports both "TARGET does not exist" and "TARGET's code raised" as a
    :class:`CliError` whose context is the original exception; only the second carries a
    frame of the app's code (or is a SyntaxError).

    Args:
        exc: an error from loading the app.

    Returns:
        The original exception, or None when TARGET itself is wrong.
    """
    cause = exc.__context__
    if cause is None:
        return None
    if isinstance(cause, SyntaxError):
        return cause
    for frame in traceback.extract_tb(cause.__traceback__):
        if not frame.filename.startswith(_MACHINERY):
            return cause
    return None


def error_page_app(exc: BaseException) -> WSGIApp:
    """A WSGI app answering every request with a 500 page showing ``exc``'s traceback.

    Args:
        exc: the exception that stopped the app from loading.

    Returns:
        The WSGI callable.
    """
    text = format_load_error(exc)
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        "<title>500 - the app failed to load</title>"
        "<style>body{font-family:sans-serif;margin:2em}"
        "pre{background:#fdf2f2;padding:1em;overflow:auto}</style></head>"
        "<body><h1>The app failed to load</h1>"
        "<p>Fix the error and save: the server reloads by itself.</p>"
        f"<pre>{html.escape(text)}</pre></body></html>\n"
    ).encode()

    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", f"{len(page)}")]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("500 Internal Server Error", [*headers, ("Cache-Control", "no-store")])
        return [page]

    return app


def format_load_error(exc: BaseException) -> str:
    """The traceback of ``exc`` without this package's and importlib's frames.

    Args:
        exc: an exception raised while loading the app.

    Returns:
        The traceback text, ending with a newline.
    """
    info = traceback.TracebackException.from_exception(exc)
    kept = [frame for frame in info.stack if not frame.filename.startswith(_MACHINERY)]
    info.stack = traceback.StackSummary.from_list(kept)
    return "".join(info.format())


def summarize_load_error(exc: BaseException) -> str:
    """One line for ``exc``: the innermost app location, the type and the message."""
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{exc.filename}:{exc.lineno}: "
    else:
        frames = traceback.extract_tb(exc.__traceback__)
        if frames:
            where = f"{frames[-1].filename}:{frames[-1].lineno}: "
    message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    return f"{where}{type(exc).__name__}: {message}"


class _Stop(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT/SIGHUP to leave the serve loop."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def serve_app(app: WSGIApp, sock: socket.socket, on_ready: Callable[[], None]) -> None:
    """Serve ``app`` through the engine and ``framework.server`` until the engine exits.

    The engine's plugins start and stop as in any deployment (so ``engine.subscribe``
    listeners of a CherryPy app run); SIGTERM and Ctrl-C exit it. The server adopts a
    duplicate of ``sock``'s descriptor, so ``sock`` stays usable afterwards. Engine
    messages below WARNING are dropped: the toolchain prints its own one-line status.

    Args:
        app: the WSGI callable (usually ``framework.tree``).
        sock: a bound, listening socket.
        on_ready: called once the server accepts connections.

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
    server.wsgi_app = _unmounted_logged(app) if hasattr(app, "script_name") else app
    server.socket_fd = sock.fileno()
    server.socket_queue_size = BACKLOG
    server.shutdown_timeout = SHUTDOWN_TIMEOUT
    engine.signals.subscribe()  # type: ignore[attr-defined]
    engine.start()
    on_ready()
    # Poll often: stopping a worker is on the reload critical path.
    engine.block(interval=0.02)


def _warnings_only(listener: Callable[[str, int], Any]) -> Callable[[str, int], Any]:
    def forward(msg: str, level: int = 20) -> None:
        if level >= 30:
            listener(msg, level)

    return forward


def serve_socket(app: WSGIApp, sock: socket.socket, on_ready: Callable[[], None]) -> None:
    """Serve ``app`` on ``sock`` with a bare cheroot server until SIGTERM/SIGINT/SIGHUP.

    Used for the error page, so it works even when the framework itself cannot load.
    In-flight requests get :data:`SHUTDOWN_TIMEOUT` seconds to finish; connections still
    waiting in the listen backlog are left for the next process sharing the socket.

    Args:
        app: the WSGI callable.
        sock: a bound, listening socket (inherited or from :func:`bind_listener`).
        on_ready: called once the server accepts connections.
    """
    server = _make_server(app, sock)
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
        server.stop()


def _make_server(app: WSGIApp, sock: socket.socket) -> CherootServer:
    """A cheroot server that adopts ``sock`` instead of binding its own."""
    from cheroot.wsgi import Server

    class _AdoptingServer(Server):
        # cheroot's prepare() asks bind() for a socket; hand it ours instead.
        def bind(self, family: int, type: int, proto: int = 0) -> None:
            self.socket = sock

    server = _AdoptingServer(sock.getsockname()[:2], app, shutdown_timeout=SHUTDOWN_TIMEOUT)
    server.request_queue_size = BACKLOG
    return server


def serve(
    target: str | None, host: str | None, port: int | None, config: Path | None, compat: bool
) -> int:
    """Run ``cherry serve`` without reloading: load, bind, print the URL, serve.

    Args:
        target: TARGET as given on the command line (None: project default).
        host: interface to bind; None takes the app's own ``server.socket_host``
            (set at import or by the config file), else ``framework.server``'s default.
        port: TCP port (0 picks a free one); None works as ``host`` does.
        config: config file or None.
        compat: install the ``cherrypy`` aliases first.

    Returns:
        The exit status (0 after a clean stop).

    Raises:
        CliError: the port is taken, TARGET or the config file is bad, or the app fails
            to load (the message names the file and line).
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
    import framework

    # COMPAT: a CherryPy app picks its own address with server.socket_host/port.
    host = host or framework.server.socket_host
    if port is None:
        try:
            port = int(framework.server.socket_port)
        except (TypeError, ValueError):
            wrong = framework.server.socket_port
            raise CliError(f"server.socket_port must be an integer, got {wrong!r}") from None
    sock = bind_listener(host, port)
    try:
        url = announced_url(sock, mount_path(app))
        from cherrycli.console import stdout

        announce = f"[ok]Serving on {url}[/ok] (press Ctrl+C to stop)"
        try:
            serve_app(app, sock, lambda: stdout().print(announce, soft_wrap=True))
        except Exception as exc:  # ChannelFailures: the engine already logged it
            raise CliError(f"the app failed to start: {exc}") from None
    finally:
        sock.close()
    return 0
