"""A ``cherry serve --reload`` worker process, and the pipe protocol it speaks.

The supervisor (:mod:`cherrycli.reload.supervisor`) starts each worker with
:func:`worker_command`::

    python -m cherrycli.reload.worker --fd 5 --control-fd 6 --ready-fd 7 [--config F] TARGET

The worker inherits the listening socket (``--fd``) and two pipes:

1. It first preloads the heavy modules every app needs (:data:`PRELOAD`: cheroot, the
   framework), then waits on the control pipe: the supervisor keeps one such warm
   spare, so a reload costs only importing the app, not starting Python.
2. On :data:`GO` it loads the app (:func:`cherrycli.serve.loading.load_app`), serves
   it on the inherited socket and writes :data:`READY_OK` and the app's mount point
   (``R/sub/``) on the ready pipe once serving. The first worker (``--announce``)
   prints "Serving on ..." at that moment itself, before any request is answered, so
   the line always comes before the first access line.
3. If the app cannot be loaded (syntax error, import error, exception at mount) it
   prints the traceback, serves :func:`cherrycli.serve.loading.error_page_app` on the
   same socket and writes :data:`READY_ERROR`: the supervisor lives on and the next
   good save recovers. Either way everything is served through
   :class:`~cherrycli.reload.live.LiveReload`, so an error page in a browser reloads
   itself once another worker answers. The first worker runs ``--strict``: when
   TARGET itself is wrong (no such module, not an app) it exits with the error's exit
   status instead.
4. SIGTERM (a reload, or the supervisor stopping) stops accepting at once, so the
   next worker gets every new connection, and lets requests in flight finish for up
   to ``--grace`` seconds; their responses are logged only once delivered.
5. End of file on the control pipe means the supervisor is gone, so the worker stops
   instead of becoming an orphan.

With ``--expect-host`` / ``--expect-port`` (the address came from the config file or
the defaults), the worker prints :func:`cherrycli.serve.address.address_notes` when the
loaded app asks for another address than the one bound.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from cherrycli.errors import CliError
from cherrycli.reload.live import LiveReload
from cherrycli.serve import DEFAULT_GRACE, loading
from cherrycli.serve.address import address_notes, app_address, pinned_notes
from cherrycli.serve.listen import announced_url, mount_path
from cherrycli.serve.server import serve_app, serve_socket

__all__ = [
    "GO",
    "PRELOAD",
    "READY_ERROR",
    "READY_OK",
    "WORKER_MODULE",
    "worker_command",
    "worker_main",
]

WORKER_MODULE = "cherrycli.reload.worker"
# The supervisor's byte on the control pipe: load the app now.
GO = b"G"
# Readiness bytes a worker writes on its ready pipe (followed by the mount point).
READY_OK = b"R"
READY_ERROR = b"E"
# Modules every worker needs whatever the app; imported while the spare waits.
PRELOAD = ("cheroot.wsgi", "framework", "framework.process", "framework.process.server")


def worker_command(
    target: str | None,
    *,
    fd: int,
    control_fd: int,
    ready_fd: int,
    config: Path | None = None,
    compat: bool = False,
    strict: bool = False,
    expected: Mapping[str, str | None] | None = None,
    grace: float = DEFAULT_GRACE,
    announce: bool = False,
    pinned: Mapping[str, str | None] | None = None,
) -> list[str]:
    """The command line that starts a worker.

    Args:
        target: TARGET as given (None: the project default).
        fd: the listening socket's descriptor.
        control_fd: the control pipe's read end.
        ready_fd: the ready pipe's write end.
        config: the config file, or None.
        compat: install the ``cherrypy`` aliases first.
        strict: exit when TARGET itself is wrong (the first worker).
        expected: :meth:`cherrycli.serve.address.Address.expected`: the bound host
            and port to compare the loaded app with, None where nothing can move them.
        grace: seconds requests in flight get to finish once the worker is told to stop.
        announce: print "Serving on ..." when ready (the first worker).
        pinned: :meth:`cherrycli.serve.address.Address.pinned`: the values an option
            or a setting chose, which the app cannot move (a note says so when it tries).

    Returns:
        The argv, starting with the running interpreter.
    """
    command = [
        sys.executable,
        "-m",
        WORKER_MODULE,
        "--fd",
        str(fd),
        "--control-fd",
        str(control_fd),
        "--ready-fd",
        str(ready_fd),
        "--grace",
        f"{grace:g}",
    ]
    if announce:
        command.append("--announce")
    if config is not None:
        command += ["--config", str(config)]
    if compat:
        command.append("--compat")
    if strict:
        command.append("--strict")
    for key, value in (expected or {}).items():
        if value is not None:
            command += [f"--expect-{key.removeprefix('socket_')}", value]
    for key, value in (pinned or {}).items():
        if value is not None:
            command += [f"--pin-{key.removeprefix('socket_')}", value]
    if target is not None:
        command += ["--", target]
    return command


def _preload() -> None:
    """Import the modules every app needs while the spare waits for work."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            # A broken framework shows its real error later, when the app loads.
            pass


def _stale_modules(since: float) -> bool:
    """True when a module imported during preload changed on disk after ``since``."""
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path:
            try:
                if os.stat(path).st_mtime > since:
                    return True
            except OSError:
                continue
    return False


def _watch_control(control_fd: int) -> None:
    """Stop this worker when the supervisor's end of the control pipe closes."""
    while os.read(control_fd, 64):
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {WORKER_MODULE}")
    parser.add_argument("--fd", type=int, required=True, help="listening socket")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--ready-fd", type=int, required=True)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--compat", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit if TARGET is wrong")
    parser.add_argument("--go", action="store_true", help="start at once, without waiting")
    parser.add_argument("--grace", type=float, default=DEFAULT_GRACE)
    parser.add_argument("--announce", action="store_true", help="print Serving on when ready")
    parser.add_argument("--expect-host", help="the bound host, if the config may change it")
    parser.add_argument("--expect-port", help="the bound port, if the config may change it")
    parser.add_argument("--pin-host", help="the host an option or a setting chose")
    parser.add_argument("--pin-port", help="the port an option or a setting chose")
    parser.add_argument("target", nargs="?")
    return parser


def _load(args: argparse.Namespace) -> tuple[loading.WSGIApp, bytes] | int:
    """Load the app; on failure, an error page app (or, with --strict, an exit status)."""
    expected = {"socket_host": args.expect_host, "socket_port": args.expect_port}
    try:
        app = loading.load_app(args.target, args.config, compat=args.compat)
        asked = app_address()
        pinned = {"socket_host": args.pin_host, "socket_port": args.pin_port}
        notes = address_notes(expected, args.config, asked)
        notes += pinned_notes(pinned, asked, args.config)
        if notes:
            from cherrycli.console import say

            for note in notes:
                say(note, "hint")
        return app, READY_OK
    except CliError as exc:
        cause = loading.user_code_error(exc)
        if cause is None:
            from cherrycli.console import print_error

            print_error(exc)
            if args.strict:
                return exc.exit_code  # the supervisor exits with it: 2 usage, 1 failure
        else:
            sys.stderr.write(loading.format_load_error(cause))
        return loading.error_page_app(cause or exc), READY_ERROR
    except (Exception, SystemExit) as exc:
        sys.stderr.write(loading.format_load_error(exc))
        sys.stderr.flush()
        return loading.error_page_app(exc), READY_ERROR


def worker_main(argv: list[str] | None = None) -> int:
    """Entry point of a reload worker (see the module docstring for the protocol).

    Args:
        argv: command-line arguments; ``sys.argv[1:]`` when None.

    Returns:
        The process exit status.
    """
    args = _parser().parse_args(argv)
    started = time.time()
    _preload()
    if not args.go:
        if os.read(args.control_fd, 1) != GO:
            return 0  # the supervisor went away before using this spare
        if _stale_modules(started):
            # A preloaded module was edited while the spare waited: start afresh.
            os.execv(sys.executable, [sys.executable, "-m", WORKER_MODULE, "--go", *sys.argv[1:]])
    threading.Thread(target=_watch_control, args=(args.control_fd,), daemon=True).start()

    sock = socket.socket(fileno=args.fd)
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    app, status = loaded
    ready = _Ready(args, sock)
    if status == READY_OK:
        try:
            serve_app(app, sock, lambda: ready(READY_OK, mount_path(app)), args.grace, LiveReload)
            return 0
        except Exception as exc:  # a start listener failed; the engine logged why
            failures: list[BaseException] = getattr(exc, "get_instances", list)() or [exc]
            app = loading.error_page_app(failures[0])
    serve_socket(app, sock, lambda: ready(READY_ERROR, "/"), args.grace, LiveReload)
    return 0


class _Ready:
    """Tells the supervisor (once) that this worker serves, and announces the URL."""

    def __init__(self, args: argparse.Namespace, sock: socket.socket) -> None:
        self.fd: int | None = args.ready_fd
        self.announce: bool = args.announce
        self.sock = sock

    def __call__(self, status: bytes, path: str) -> None:
        if self.fd is None:
            return  # told already (a start listener failed after the announcement)
        if self.announce:
            from cherrycli.console import say

            url = announced_url(self.sock, path)
            say(f"Serving on {url} with reload (press Ctrl+C to stop)", "ok")
        # One write below PIPE_BUF: the supervisor reads status and path in one go.
        os.write(self.fd, status + (path if status == READY_OK else "").encode())
        os.close(self.fd)
        self.fd = None


if __name__ == "__main__":
    sys.exit(worker_main())
