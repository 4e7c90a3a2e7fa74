"""The ``cherry serve --reload`` supervisor: one socket, restartable workers, no mess.

:func:`run_supervisor` binds the listening socket once and never closes it until it
exits, so a restart never refuses a connection: connections wait in the listen backlog
until the next worker accepts them. The app runs in a worker process that inherits the
socket and lives in its own session and process group, so Ctrl-C in the terminal
reaches only the supervisor, which then stops the whole group.

A thread watches the project with watchfiles (the app's ``.py``, config and template
files; never virtualenvs, caches, ``.git``, editor swap files or logs) and queues changes.
The main thread turns a change into a restart: SIGTERM to the worker's group, SIGKILL
after :data:`KILL_AFTER` seconds, then a go to the warm spare worker, which already has
Python, cheroot and the framework loaded. It prints which file changed and how long the
new worker took to answer. The supervisor imports neither the framework nor the app.

A worker is this module run as a script (:func:`worker_main`)::

    python -m cherrycli.reloader --fd 5 --control-fd 6 --ready-fd 7 [--config F] TARGET

It first preloads the heavy modules every app needs (cheroot, the framework), then waits
on its control pipe: the supervisor keeps one such warm spare, so a reload costs only
importing the app, not starting Python. On ``G`` the worker loads the app
(:func:`cherrycli.serving.load_app`), serves it on the inherited socket and writes
``R`` and the app's mount point (``R/sub/``) on its ready pipe. If the app cannot be
loaded (syntax error, import error, exception at mount) it prints the traceback, serves
:func:`cherrycli.serving.error_page_app` on the same socket and writes ``E``: the
supervisor lives on and the next good save recovers. The first worker runs ``--strict``:
when TARGET itself is wrong (no such module, not an app) it exits with the error's exit
status, which the supervisor returns. End of file on the control pipe means the
supervisor is gone, so the worker stops instead of becoming an orphan.

The address is fixed before any worker imports the app, so with ``--reload`` an app's
own ``server.socket_host`` / ``server.socket_port`` set at import are not honoured
(a ``--config`` file's are: ``cherry serve`` reads them before starting). When the
address came from the config file or the defaults, the supervisor hands it to each
worker (``--expect-host`` / ``--expect-port``), which prints a one-line note when the
loaded app (or the edited config file) asks for another one.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import importlib.util
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import FrameType

from cherrycli import serving
from cherrycli.errors import CliError

__all__ = ["KILL_AFTER", "ReloadOptions", "WatchFilter", "run_supervisor", "worker_main"]

# Seconds a worker gets to finish in-flight requests before SIGKILL.
KILL_AFTER = 5.0
# Seconds to wait for a worker to load the app and start accepting.
READY_TIMEOUT = 60.0
# Readiness bytes a worker writes on its ready pipe.
READY_OK = b"R"
READY_ERROR = b"E"
# Modules every worker needs whatever the app; imported while the spare waits.
PRELOAD = ("cheroot.wsgi", "framework", "framework.process", "framework.process.server")

# fmt: off
# What a save can change: code, config and templates.
WATCHED_PATTERNS = (
    "*.py", "*.ini", "*.conf", "*.cfg", "*.toml", "*.html", "*.htm",
    "*.jinja", "*.jinja2", "*.j2", "*.mako", "*.tmpl", "*.tpl",
)
# Tool, cache, dependency and build folders: never the app's own files.
IGNORED_DIRS = frozenset({
    "__pycache__", ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".idea", ".vscode",
    ".cache", "htmlcov", "build", "dist", "log", "logs", "site-packages",
})
# fmt: on
IGNORED_FILES = (
    "*.sw?",  # vim swap files
    "*~",  # backups (vim, emacs)
    ".#*",  # emacs lock files
    "#*#",  # emacs auto-save files
    "4913",  # vim's probe for a writable directory
    "*.tmp",
    "*.log",
    "*.py[cod]",
    "*___jb_???___",  # JetBrains safe-write temporaries
    ".DS_Store",
)


@lru_cache(maxsize=4096)
def _is_virtualenv(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, "pyvenv.cfg"))


def _ignored_dir(path: str) -> bool:
    name = os.path.basename(path)
    return name in IGNORED_DIRS or name.endswith(".egg-info") or _is_virtualenv(path)


@dataclass(frozen=True)
class WatchFilter:
    """Decides which changed paths restart the worker.

    Args:
        roots: directories watched recursively.
        files: single files always watched (the config file), wherever they are.
        include: extra glob patterns to watch (``--reload-include``).
        exclude: glob patterns never watched (``--reload-exclude``); they win over all.
    """

    roots: tuple[Path, ...]
    files: tuple[Path, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __call__(self, path: str) -> bool:
        """True when a change to ``path`` should restart the worker."""
        target = Path(path)
        if target in self.files:
            return True
        for root in self.roots:
            if target.is_relative_to(root):
                relative = target.relative_to(root)
                break
        else:
            return False
        names = [relative.as_posix(), target.name]
        if self._matches(names, self.exclude):
            return False
        parent = root
        for part in relative.parts[:-1]:
            parent = parent / part
            if _ignored_dir(str(parent)):
                return False
        if self._matches(names, self.include):
            return True
        return self._matches(names, WATCHED_PATTERNS) and not self._matches(
            [target.name], IGNORED_FILES
        )

    @staticmethod
    def _matches(names: Iterable[str], patterns: Iterable[str]) -> bool:
        return any(fnmatch.fnmatchcase(n, p) for p in patterns for n in names)

    def directories(self) -> list[str]:
        """Every directory to watch: the roots' trees without ignored directories,
        and the folders holding the single files."""
        found: list[str] = []
        for root in self.roots:
            for current, dirs, _files in os.walk(root):
                found.append(current)
                dirs[:] = [d for d in dirs if not _ignored_dir(os.path.join(current, d))]
        found.extend(str(f.parent) for f in self.files if f.parent.is_dir())
        return sorted(set(found))


@dataclass(frozen=True)
class ReloadOptions:
    """What the supervisor runs and watches.

    Args:
        target: TARGET as given (None: the project default).
        host: interface to bind.
        port: TCP port (0 picks a free one).
        config: the ``--config`` file, or None.
        compat: run the worker with the ``cherrypy`` aliases installed.
        include: ``--reload-include`` globs.
        exclude: ``--reload-exclude`` globs.
        roots: directories to watch (default: the current directory).
        follow_host: ``host`` came from the config file or the default, so a worker
            notes when the config file or the app asks for another one.
        follow_port: the same for ``port``.
    """

    target: str | None
    host: str
    port: int
    config: Path | None = None
    compat: bool = False
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    roots: Sequence[Path] = field(default_factory=lambda: [Path.cwd()])
    follow_host: bool = False
    follow_port: bool = False

    def watch_filter(self) -> WatchFilter:
        """The :class:`WatchFilter` for these options (the app file's folder included)."""
        roots = {root.resolve() for root in self.roots}
        script = (self.target or "").partition(":")[0]
        if script.endswith(".py") and Path(script).parent.is_dir():
            app_dir = Path(script).parent.resolve()
            if not any(app_dir.is_relative_to(root) for root in roots):
                roots.add(app_dir)
        files = (self.config.resolve(),) if self.config else ()
        return WatchFilter(tuple(sorted(roots)), files, tuple(self.include), tuple(self.exclude))


class _Worker:
    """One worker process: its Popen, control pipe (write end) and ready pipe (read end)."""

    def __init__(self, options: ReloadOptions, sock: socket.socket, *, strict: bool) -> None:
        control_read, self.control = os.pipe()
        self.ready, ready_write = os.pipe()
        command = [
            sys.executable,
            "-m",
            "cherrycli.reloader",
            "--fd",
            str(sock.fileno()),
            "--control-fd",
            str(control_read),
            "--ready-fd",
            str(ready_write),
        ]
        if options.config is not None:
            command += ["--config", str(options.config)]
        if options.compat:
            command.append("--compat")
        if strict:
            command.append("--strict")
        if options.follow_host:
            command += ["--expect-host", options.host]
        if options.follow_port:
            command += ["--expect-port", str(options.port)]
        if options.target is not None:
            command += ["--", options.target]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command,
            pass_fds=(sock.fileno(), control_read, ready_write),
            start_new_session=True,
            env=env,
        )
        os.close(control_read)
        os.close(ready_write)

    def go(self, deadline: float, stop: threading.Event) -> tuple[bytes, str]:
        """Tell the worker to load the app; wait until it serves.

        Returns:
            :data:`READY_OK` with the app's mount point, :data:`READY_ERROR` with ``""``,
            or ``(b"", "")`` if the worker exited (or the supervisor is stopping) first.
        """
        try:
            os.write(self.control, b"G")
        except BrokenPipeError:
            return b"", ""
        while not stop.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([self.ready], [], [], 0.1)
            if readable:
                # The worker writes its status and mount point in one write (< PIPE_BUF).
                answer = os.read(self.ready, 4096)
                return answer[:1], answer[1:].decode("utf-8", "replace")
        return b"", ""

    def stop(self) -> None:
        """SIGTERM the worker's process group, SIGKILL it after :data:`KILL_AFTER`."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            if not _wait_exit(self.process, KILL_AFTER):
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for fd in (self.control, self.ready):
            try:
                os.close(fd)
            except OSError:
                pass


def _wait_exit(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Reap ``process`` within ``timeout`` seconds; False if it is still running.

    PERF: ``Popen.wait(timeout)`` polls with sleeps of up to 50 ms, which is most of
    a restart; a pidfd (Linux) wakes up the moment the process exits.
    """
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        select.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)
    try:
        process.wait(0.5)
    except subprocess.TimeoutExpired:
        return False
    return True


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


class _Supervisor:
    def __init__(self, options: ReloadOptions) -> None:
        self.options = options
        self.filter = options.watch_filter()
        self.stopping = threading.Event()
        self.changes: queue.Queue[list[str]] = queue.Queue()

    def run(self) -> int:
        sock = serving.bind_listener(self.options.host, self.options.port)
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        watcher = threading.Thread(target=self._watch, name="cherry-watch", daemon=True)
        watcher.start()
        worker = spare = None
        try:
            worker = _Worker(self.options, sock, strict=True)
            status, path = worker.go(time.monotonic() + READY_TIMEOUT, self.stopping)
            if not status and not self.stopping.is_set():
                try:
                    code = worker.process.wait(KILL_AFTER)
                except subprocess.TimeoutExpired:
                    code = None
                if code is not None:
                    # The worker already printed why; its status says what kind of error.
                    return max(code, 1)
            url = serving.announced_url(sock, path or "/")
            _say(f"Serving on {url} with reload (press Ctrl+C to stop)", "ok")
            self._report_start(status, None)
            spare = _Worker(self.options, sock, strict=False)
            reported_exit = False
            while not self.stopping.is_set():
                try:
                    changed = self.changes.get(timeout=0.2)
                except queue.Empty:
                    code = worker.process.poll()
                    if code is not None and not reported_exit:
                        _say(f"The worker exited with status {code}; waiting for the next save")
                        reported_exit = True
                    continue
                reported_exit = False
                while not self.changes.empty():
                    changed += self.changes.get_nowait()
                _say(f"Detected a change in {self._describe(changed)}; reloading", "path")
                started = time.monotonic()
                _forget_bytecode(changed)
                worker.stop()
                worker, spare = spare, None
                if worker.process.poll() is not None:
                    worker.stop()  # the spare died while waiting: start afresh
                    worker = _Worker(self.options, sock, strict=False)
                status, _path = worker.go(started + READY_TIMEOUT, self.stopping)
                self._report_start(status, started)
                spare = _Worker(self.options, sock, strict=False)
            return 0
        finally:
            self.stopping.set()
            for process in (worker, spare):
                if process is not None:
                    process.stop()
            sock.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            watcher.join(timeout=2)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()

    def _report_start(self, status: bytes, started: float | None) -> None:
        if status == READY_OK:
            if started is not None:
                _say(f"Reloaded in {(time.monotonic() - started) * 1000:.0f} ms", "ok")
        elif status == READY_ERROR:
            _say("The app failed to load; serving the error page until the next save", "error")
        elif not self.stopping.is_set():
            _say("The worker exited before serving; waiting for the next save")

    def _describe(self, paths: list[str]) -> str:
        shown = sorted(set(paths))
        first = _relative(shown[0])
        return first if len(shown) == 1 else f"{first} (and {len(shown) - 1} more)"

    def _watch(self) -> None:
        """Watcher thread: queue relevant changes; re-scan when a directory appears."""
        import watchfiles

        announced = False
        while not self.stopping.is_set():
            directories = self.filter.directories()
            rescan = False
            for batch in watchfiles.watch(
                *directories,
                recursive=False,
                stop_event=self.stopping,
                step=30,
                # Timeouts yield an empty batch: the first proves the watches are set.
                rust_timeout=250,
                yield_on_timeout=True,
                raise_interrupt=False,
                ignore_permission_denied=True,
                watch_filter=None,
            ):
                if not announced:
                    roots = ", ".join(_relative(str(root)) for root in self.filter.roots)
                    _say(f"Watching {roots} for changes")
                    announced = True
                relevant = [path for _, path in batch if self.filter(path)]
                if relevant:
                    self.changes.put(relevant)
                rescan = any(
                    change == watchfiles.Change.added
                    and os.path.isdir(path)
                    and not _ignored_dir(path)
                    for change, path in batch
                )
                if rescan:
                    break
            if not rescan:
                return


def _forget_bytecode(paths: Iterable[str]) -> None:
    """Delete the cached bytecode of changed modules.

    Python trusts a ``.pyc`` whose recorded source mtime (whole seconds) and size match,
    so two same-size saves within a second would otherwise run the older code.
    """
    for path in paths:
        if path.endswith(".py"):
            try:
                os.unlink(importlib.util.cache_from_source(path))
            except (OSError, ValueError, NotImplementedError):
                pass


def _relative(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _say(message: str, style: str = "muted") -> None:
    from cherrycli.console import escape, stderr

    stderr().print(f"[{style}]{escape(message)}[/{style}]", soft_wrap=True)


def run_supervisor(options: ReloadOptions) -> int:
    """Serve with reload until Ctrl-C or SIGTERM; leave no worker behind.

    Args:
        options: what to serve and watch.

    Returns:
        The exit status: 0 after a clean stop; when the first worker cannot resolve
        TARGET, that worker's status (2 for a usage error, 1 otherwise).

    Raises:
        CliError: the port is taken (1) or the address is invalid (2).
    """
    return _Supervisor(options).run()


# -- the worker process ------------------------------------------------------------


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


def worker_main(argv: list[str] | None = None) -> int:
    """Entry point of a reload worker (see the module docstring for the protocol).

    Args:
        argv: command-line arguments; ``sys.argv[1:]`` when None.

    Returns:
        The process exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m cherrycli.reloader")
    parser.add_argument("--fd", type=int, required=True, help="listening socket")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--ready-fd", type=int, required=True)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--compat", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit if TARGET is wrong")
    parser.add_argument("--go", action="store_true", help="start at once, without waiting")
    parser.add_argument("--expect-host", help="the bound host, if the config may change it")
    parser.add_argument("--expect-port", help="the bound port, if the config may change it")
    parser.add_argument("target", nargs="?")
    args = parser.parse_args(argv)

    started = time.time()
    _preload()
    if not args.go:
        if os.read(args.control_fd, 1) != b"G":
            return 0  # the supervisor went away before using this spare
        if _stale_modules(started):
            # A preloaded module was edited while the spare waited: start afresh.
            argv = [sys.executable, "-m", "cherrycli.reloader", "--go", *sys.argv[1:]]
            os.execv(sys.executable, argv)
    threading.Thread(target=_watch_control, args=(args.control_fd,), daemon=True).start()

    sock = socket.socket(fileno=args.fd)
    status = READY_OK
    expected = {"socket_host": args.expect_host, "socket_port": args.expect_port}
    try:
        app = serving.load_app(args.target, args.config, compat=args.compat)
        for note in serving.address_notes(expected, args.config):
            _say(note, "hint")
    except CliError as exc:
        cause = serving.user_code_error(exc)
        if cause is None:
            from cherrycli.console import print_error

            print_error(exc)
            if args.strict:
                return exc.exit_code  # the supervisor exits with it: 2 usage, 1 failure
        else:
            sys.stderr.write(serving.format_load_error(cause))
        app, status = serving.error_page_app(cause or exc), READY_ERROR
    except (Exception, SystemExit) as exc:
        app, status = serving.error_page_app(exc), READY_ERROR
        sys.stderr.write(serving.format_load_error(exc))
        sys.stderr.flush()

    def ready() -> None:
        # One write below PIPE_BUF: the supervisor reads status and path in one go.
        path = serving.mount_path(app) if status == READY_OK else ""
        os.write(args.ready_fd, status + path.encode())
        os.close(args.ready_fd)

    if status == READY_OK:
        try:
            serving.serve_app(app, sock, ready)
            return 0
        except Exception as exc:  # a start listener failed; the engine logged why
            failures: list[BaseException] = getattr(exc, "get_instances", list)() or [exc]
            app, status = serving.error_page_app(failures[0]), READY_ERROR
    serving.serve_socket(app, sock, ready)
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())
