"""The listening socket and the URL ``cherry serve`` announces for it.

:func:`bind_listener` binds once, before any app is imported, with a large backlog so
connections wait (rather than being refused) while a reload worker restarts. The
socket is then handed to a server (:mod:`cherrycli.serve.server`) or inherited by
reload workers. :func:`announced_url` is the ``Serving on`` text: the URL to open, with
the app's mount point (:func:`mount_path`), and the wildcard address spelled out when
the socket listens on every interface.
"""

from __future__ import annotations

import errno
import socket

from cherrycli.errors import USAGE_EXIT, CliError

__all__ = ["BACKLOG", "announced_url", "bind_listener", "mount_path", "server_url"]

# A large backlog keeps connections queued (not refused) while a worker restarts.
BACKLOG = socket.SOMAXCONN


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host:port`` with SO_REUSEADDR, ready to hand to a server.

    Args:
        host: interface name or address (``127.0.0.1``, ``0.0.0.0``, ``::``, ``localhost``).
        port: TCP port; 0 picks a free one.

    Returns:
        A listening socket.

    Raises:
        CliError: exit 2 when the host is unknown or the port out of range (bad input);
            exit 1 when the port is taken or not allowed.
    """
    if not 0 <= port <= 65535:
        raise CliError(f"port {port} is out of range (0-65535)", exit_code=USAGE_EXIT)
    try:
        infos = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise CliError(
            f"cannot resolve host {host!r}: {exc.strerror}", exit_code=USAGE_EXIT
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
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


def mount_path(app: object) -> str:
    """The path to open first: ``/``, or the mount point when nothing is at the root.

    Args:
        app: what :func:`cherrycli.serve.loading.load_app` returned.

    Returns:
        ``"/"`` or, say, ``"/sub/"`` for an ``Application`` mounted at ``/sub``.
    """
    apps = getattr(app, "apps", None)
    if not isinstance(apps, dict) or not apps or "" in apps:
        return "/"
    first: str = min(apps, key=lambda name: (len(name), name))
    return first + "/"
