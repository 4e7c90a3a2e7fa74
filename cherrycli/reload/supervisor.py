"""The ``cherry serve --reload`` supervisor: it holds the socket and restarts workers.

:func:`run_supervisor` binds the listening socket once and never closes it until it
exits, so a restart never refuses a connection: connections wait in the listen backlog
until the next worker accepts them. The app runs in a worker process
(:mod:`cherrycli.reload.worker`) that inherits the socket and lives in its own session
and process group, so Ctrl-C in the terminal reaches only the supervisor, which then
stops the whole group.

A thread watches the project (:func:`cherrycli.reload.watch.watch`) and queues changes.
The main thread turns a change into a reload without dropping a request:

1. SIGTERM to the old worker: it stops accepting at once and lets its requests in
   flight finish (``grace`` seconds, then the supervisor kills its process group);
   their responses are delivered, and logged only once delivered;
2. at the same moment, a go to the warm spare worker, which already has Python,
   cheroot and the framework loaded: it imports the app and takes every new
   connection (those arriving meanwhile wait in the socket's backlog, never refused);
3. a new spare starts warming up.

It prints which file changed and how long the new worker took to answer. The old
workers drain in the background; Ctrl-C stops every worker the same graceful way, and
a second Ctrl-C kills them at once. The supervisor imports neither the framework nor
the app.

The address is fixed before any worker imports the app, so with ``--reload`` an app's
own ``server.socket_host`` / ``server.socket_port`` set at import are not honoured
(a config file's are: :func:`cherrycli.serve.address.choose_address` reads them first);
workers print a note when the app asks for another address.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from cherrycli.reload.watch import WatchFilter, watch
from cherrycli.reload.worker import GO, READY_ERROR, READY_OK, worker_command
from cherrycli.serve import DEFAULT_GRACE
from cherrycli.serve.address import Address
from cherrycli.serve.listen import bind_listener

__all__ = ["KILL_MARGIN", "READY_TIMEOUT", "ReloadOptions", "run_supervisor"]

# Seconds a stopping worker gets beyond its grace period (its engine stops its plugins,
# its threads end) before SIGKILL.
KILL_MARGIN = 5.0
# Seconds to wait for a worker to load the app and start accepting.
READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class ReloadOptions:
    """What the supervisor runs and watches.

    Args:
        target: TARGET as given (None: the project default).
        address: the address the options, settings and config file chose; the
            defaults fill the rest (see :meth:`Address.before_loading`).
        config: the config file, or None.
        compat: run the worker with the ``cherrypy`` aliases installed.
        include: ``--reload-include`` globs.
        exclude: ``--reload-exclude`` globs.
        roots: directories to watch (default: the current directory).
        grace: seconds a replaced worker's requests in flight get to finish.
    """

    target: str | None
    address: Address = field(default_factory=Address)
    config: Path | None = None
    compat: bool = False
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    roots: Sequence[Path] = field(default_factory=lambda: [Path.cwd()])
    grace: float = DEFAULT_GRACE

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
        self.grace = options.grace
        self.kill_at: float | None = None
        command = worker_command(
            options.target,
            fd=sock.fileno(),
            control_fd=control_read,
            ready_fd=ready_write,
            config=options.config,
            compat=options.compat,
            strict=strict,
            expected=options.address.expected(),
            pinned=options.address.pinned(),
            grace=options.grace,
            announce=strict,  # the first worker prints "Serving on"
        )
        self.process = subprocess.Popen(
            command,
            pass_fds=(sock.fileno(), control_read, ready_write),
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
            os.write(self.control, GO)
        except BrokenPipeError:
            return b"", ""
        while not stop.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([self.ready], [], [], 0.1)
            if readable:
                # The worker writes its status and mount point in one write (< PIPE_BUF).
                answer = os.read(self.ready, 4096)
                return answer[:1], answer[1:].decode("utf-8", "replace")
        return b"", ""

    def begin_stop(self) -> None:
        """SIGTERM the worker's process group: it stops accepting and drains (no wait)."""
        if self.kill_at is None:
            self.kill_at = time.monotonic() + self.grace + KILL_MARGIN
            if self.process.poll() is None:
                _signal_group(self.process.pid, signal.SIGTERM)

    def reap(self, *, force: bool = False) -> bool:
        """Collect a stopping worker; SIGKILL it once its time is up (or ``force``).

        Returns:
            True once the process is gone (its pipes closed).
        """
        self.begin_stop()
        assert self.kill_at is not None
        if self.process.poll() is None:
            if not force and time.monotonic() < self.kill_at:
                return False
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for fd in (self.control, self.ready):
            try:
                os.close(fd)
            except OSError:
                pass
        return True

    def stop(self) -> None:
        """SIGTERM the worker's process group and wait; SIGKILL it when its time is up."""
        self.begin_stop()
        assert self.kill_at is not None
        _wait_exit(self.process, max(0.0, self.kill_at - time.monotonic()))
        self.reap()


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
        self.forced = threading.Event()  # a second Ctrl-C: kill instead of draining
        self.changes: queue.Queue[list[str]] = queue.Queue()
        self.worker: _Worker | None = None
        self.spare: _Worker | None = None
        self.draining: list[_Worker] = []

    def run(self) -> int:
        sock = bind_listener(*self.options.address.before_loading())
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        watcher = threading.Thread(
            target=watch,
            args=(self.filter, self.stopping, self.changes, self._on_watching),
            name="cherry-watch",
            daemon=True,
        )
        watcher.start()
        self.worker = self.spare = None
        try:
            first = self._first_start(sock)
            if first is not None:
                return first
            self._reload_until_stopped(sock)
            return 0
        finally:
            self.stopping.set()
            self._stop_all()
            sock.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            watcher.join(timeout=2)

    def _stop_all(self) -> None:
        """Stop every worker at once, draining, until all are gone (or a second signal)."""
        workers = [w for w in (self.worker, self.spare, *self.draining) if w is not None]
        for worker in workers:
            worker.begin_stop()
        told = time.monotonic() + 0.5  # say why it waits, unless it is over by then
        while workers:
            workers = [w for w in workers if not w.reap(force=self.forced.is_set())]
            if workers and told and time.monotonic() > told and not self.forced.is_set():
                _say(
                    f"Waiting up to {self.options.grace:g} s for requests in flight "
                    "(press Ctrl+C again to stop now)"
                )
                told = 0.0
            if workers:
                time.sleep(0.02)
        self.worker = self.spare = None
        self.draining = []

    def _first_start(self, sock: socket.socket) -> int | None:
        """Start the first worker (strict: a wrong TARGET ends everything); it prints
        "Serving on" itself, right before it accepts."""
        self.worker = worker = _Worker(self.options, sock, strict=True)
        status, _path = worker.go(time.monotonic() + READY_TIMEOUT, self.stopping)
        if not status and not self.stopping.is_set():
            try:
                code = worker.process.wait(KILL_MARGIN)
            except subprocess.TimeoutExpired:
                code = None
            if code is not None:
                # The worker already printed why; its status says what kind of error.
                return max(code, 1)
        self._report_start(status, None)
        if not self.stopping.is_set():
            self.spare = _Worker(self.options, sock, strict=False)
        return None

    def _reload_until_stopped(self, sock: socket.socket) -> None:
        """On each batch of changes, swap in the warm spare and warm up the next one."""
        reported_exit = False
        while not self.stopping.is_set():
            self.draining = [w for w in self.draining if not w.reap()]
            try:
                changed = self.changes.get(timeout=0.2)
            except queue.Empty:
                assert self.worker is not None
                code = self.worker.process.poll()
                if code is not None and not reported_exit:
                    _say(f"The worker exited with status {code}; waiting for the next save")
                    reported_exit = True
                continue
            reported_exit = False
            while not self.changes.empty():
                changed += self.changes.get_nowait()
            _say(f"Detected a change in {self._describe(changed)}; reloading", "path")
            self._reload(sock, changed)

    def _reload(self, sock: socket.socket, changed: list[str]) -> None:
        started = time.monotonic()
        _forget_bytecode(changed)
        assert self.worker is not None
        # The old worker stops accepting now and drains in the background.
        self.worker.begin_stop()
        self.draining.append(self.worker)
        worker, self.spare = self.spare, None
        if worker is None or worker.process.poll() is not None:
            if worker is not None:
                worker.stop()  # the spare died while waiting: start afresh
            worker = _Worker(self.options, sock, strict=False)
        self.worker = worker
        status, _path = worker.go(started + READY_TIMEOUT, self.stopping)
        self._report_start(status, started)
        self.spare = _Worker(self.options, sock, strict=False)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            self.forced.set()  # a second Ctrl-C: no more waiting for requests in flight
        self.stopping.set()

    def _on_watching(self) -> None:
        roots = ", ".join(_relative(str(root)) for root in self.filter.roots)
        _say(f"Watching {roots} for changes")

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
    from cherrycli.console import say

    say(message, style)


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
