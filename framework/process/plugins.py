"""Engine plugins: CherryPy's ``process.plugins``, typed.

A plugin is an object whose methods are named after bus channels (``start``, ``stop``,
``exit``, ``graceful``, ...); :meth:`SimplePlugin.subscribe` attaches each such method
to its channel, honouring a ``priority`` attribute set on the method. The plugins here:

- :class:`SignalHandler`: SIGTERM exits (also during start-up), SIGHUP restarts
  (daemonized) or exits,
  SIGUSR1 reloads (``graceful``); Ctrl-C is handled by :meth:`Bus.block`.
- :class:`BackgroundTask`, :class:`PerpetualTimer`, :class:`Monitor`: run a callable
  every few seconds while the engine runs.
- :class:`Autoreloader`: restart the process when an imported module's file changes
  (CherryPy's; the ``cherry serve`` supervisor is the better tool).
- :class:`ThreadManager`: per-thread ``start_thread``/``stop_thread`` callbacks.
- :class:`PIDFile`, :class:`Daemonizer`, :class:`DropPrivileges`: classic Unix daemons.
"""

from __future__ import annotations

import os
import re
import signal as _signal
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from framework.process.wspbus import Bus

__all__ = [
    "Autoreloader",
    "BackgroundTask",
    "Daemonizer",
    "DropPrivileges",
    "Monitor",
    "PIDFile",
    "PerpetualTimer",
    "SignalHandler",
    "SimplePlugin",
    "ThreadManager",
]


class SimplePlugin:
    """Base for plugins whose methods are named after the channels they serve.

    Args:
        bus: The engine to attach to.
    """

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def subscribe(self) -> None:
        """Subscribe every method named after a channel the bus knows."""
        for channel in list(self.bus.listeners):
            method = getattr(self, channel, None)
            if callable(method):
                self.bus.subscribe(channel, method)

    def unsubscribe(self) -> None:
        """Undo :meth:`subscribe`."""
        for channel in list(self.bus.listeners):
            method = getattr(self, channel, None)
            if callable(method):
                self.bus.unsubscribe(channel, method)


# -- signals ------------------------------------------------------------------------
class SignalHandler:
    """Turn OS signals into bus calls (only possible from the main thread).

    Each handled signal becomes a channel of the same name (``SIGTERM``...); the
    default listeners are ``bus.exit`` for SIGTERM, :meth:`handle_SIGHUP` for SIGHUP
    and ``bus.graceful`` for SIGUSR1. Config ``engine.SIGHUP`` replaces one.

    Args:
        bus: The engine to drive.
    """

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.handlers: dict[str, Callable[[], Any]] = {
            "SIGTERM": self.handle_SIGTERM,
            "SIGHUP": self.handle_SIGHUP,
            "SIGUSR1": bus.graceful,
        }
        self.signals: dict[int, str] = {
            int(num): name
            for name, num in vars(_signal).items()
            if name.startswith("SIG") and not name.startswith("SIG_") and isinstance(num, int)
        }
        self._previous: dict[int, Any] = {}
        # A forked daemon has a new pid and no terminal: that is how SIGHUP tells.
        self._original_pid = os.getpid()

    def subscribe(self) -> None:
        """Install OS handlers and subscribe the default listeners."""
        for name, listener in self.handlers.items():
            try:
                self.set_handler(name, listener)
            except ValueError:  # not the main thread, or unknown on this platform
                pass

    def unsubscribe(self) -> None:
        """Restore the previous OS handlers and drop the default listeners."""
        for signum, previous in list(self._previous.items()):
            name = self.signals[signum]
            self.bus.log(f"Restoring {name} handler {previous!r}.", level=10)
            try:
                _signal.signal(signum, previous)
            except (ValueError, TypeError):
                self.bus.log(f"Unable to restore {name} handler.", level=40)
            self.bus.unsubscribe(name, self.handlers.get(name, _noop))
            del self._previous[signum]

    def set_handler(self, signal: int | str, listener: Callable[[], Any] | None = None) -> None:
        """Route ``signal`` to the bus; subscribe ``listener`` to its channel if given.

        Args:
            signal: A signal number or name (``"SIGTERM"``).
            listener: Callable run when the signal arrives.

        Raises:
            ValueError: Unknown signal, or not called from the main thread.
        """
        if isinstance(signal, str):
            signum = getattr(_signal, signal, None)
            if signum is None:
                raise ValueError(f"No such signal: {signal!r}")
            name = signal
        else:
            if signal not in self.signals:
                raise ValueError(f"No such signal: {signal!r}")
            signum, name = signal, self.signals[signal]
        previous = _signal.signal(signum, self._handle_signal)
        self._previous.setdefault(int(signum), previous)
        if listener is not None:
            self.bus.log(f"Listening for {name}.")
            self.bus.subscribe(name, listener)

    def _handle_signal(self, signum: int, frame: FrameType | None = None) -> None:
        name = self.signals.get(signum, str(signum))
        self.bus.log(f"Caught signal {name}.")
        self.bus.publish(name)

    def _is_daemonized(self) -> bool:
        try:
            tty = os.isatty(sys.stdin.fileno())
        except (AttributeError, OSError, ValueError):  # closed or replaced stdin
            tty = False
        return self._original_pid != os.getpid() and not tty

    def handle_SIGTERM(self) -> None:
        """Exit; during start-up, unwind ``start()`` in the main thread and exit 0.

        Raises:
            SystemExit: (code 0) when the engine is still starting: the signal
                handler runs in the main thread, inside ``engine.start()``, which
                then shuts everything down before the exception leaves it.
        """
        if self.bus.state is self.bus.states.STARTING:
            self.bus.log("SIGTERM during start-up: shutting down")
            raise SystemExit(0)
        self.bus.exit()

    def handle_SIGHUP(self) -> None:
        """Restart when daemonized, else exit (CherryPy's rule)."""
        if self._is_daemonized():
            self.bus.log("SIGHUP caught while daemonized. Restarting.")
            self.bus.restart()
        else:
            self.bus.log("SIGHUP caught but not daemonized. Exiting.")
            self.bus.exit()


def _noop() -> None:
    return None


# -- background work ----------------------------------------------------------------
class BackgroundTask(threading.Thread):
    """A daemon thread calling ``function`` every ``interval`` seconds until cancelled.

    Args:
        interval: Seconds between calls.
        function: The callable.
        args: Its positional arguments.
        kwargs: Its keyword arguments.
        bus: Where failures are logged (the task keeps running after one).
    """

    def __init__(
        self,
        interval: float,
        function: Callable[..., Any],
        args: Iterable[Any] = (),
        kwargs: dict[str, Any] | None = None,
        bus: Bus | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.function = function
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.bus = bus
        self.running = False
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop after the current call (if any); wakes a sleeping task at once."""
        self.running = False
        self._cancelled.set()

    def run(self) -> None:
        """Call the function every interval until cancelled."""
        self.running = True
        while not self._cancelled.wait(self.interval):
            if not self.running:
                return
            try:
                self.function(*self.args, **self.kwargs)
            except Exception:
                if self.bus is not None:
                    self.bus.log(
                        f"Error in background task function {self.function!r}.",
                        level=40,
                        traceback=True,
                    )


class PerpetualTimer(threading.Timer):
    """A :class:`threading.Timer` that repeats until cancelled.

    Args:
        interval: Seconds between calls.
        function: The callable.
        bus: Where failures are logged (keyword only).
    """

    def __init__(self, *args: Any, bus: Bus | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bus = bus
        self.daemon = True

    def run(self) -> None:
        """Call the function every interval until cancelled."""
        while not self.finished.wait(self.interval):
            try:
                self.function(*self.args, **self.kwargs)
            except Exception:
                if self.bus is not None:
                    self.bus.log(
                        f"Error in perpetual timer thread function {self.function!r}.",
                        level=40,
                        traceback=True,
                    )


class Monitor(SimplePlugin):
    """Run ``callback`` every ``frequency`` seconds while the engine is started.

    Args:
        bus: The engine.
        callback: Called with no arguments from a background thread.
        frequency: Seconds between calls; 0 or less disables the monitor.
        name: Thread name (defaults to the class name).
    """

    def __init__(
        self,
        bus: Bus,
        callback: Callable[[], Any],
        frequency: float = 60,
        name: str | None = None,
    ) -> None:
        super().__init__(bus)
        self.callback = callback
        self.frequency = frequency
        self.name = name
        self.thread: BackgroundTask | None = None

    def start(self) -> None:
        """Start the background thread (once)."""
        if self.frequency <= 0:
            return
        name = self.name or type(self).__name__
        if self.thread is None:
            self.thread = BackgroundTask(self.frequency, self.callback, bus=self.bus)
            self.thread.name = name
            self.thread.start()
            self.bus.log(f"Started monitor thread {name!r}.")
        else:
            self.bus.log(f"Monitor thread {name!r} already started.")

    start.priority = 70  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Cancel and join the background thread."""
        thread, self.thread = self.thread, None
        if thread is None:
            self.bus.log(f"No thread running for {self.name or type(self).__name__}.")
            return
        thread.cancel()
        if thread is not threading.current_thread():
            thread.join()
        self.bus.log(f"Stopped thread {thread.name!r}.")

    def graceful(self) -> None:
        """Restart the background thread."""
        self.stop()
        self.start()


class Autoreloader(Monitor):
    """Restart the process when a file of an imported module (or of ``files``) changes.

    A changed Python file that does not compile (a syntax error saved mid-edit) does
    not restart the process: the error is logged once and the old code keeps serving
    until the file compiles again, then the process re-executes. (CherryPy's restarts
    into the syntax error and the process exits.)

    Args:
        bus: The engine.
        frequency: Seconds between checks.
        match: Regex; only modules whose name matches are watched.
    """

    def __init__(self, bus: Bus, frequency: float = 1, match: str = ".*") -> None:
        self.mtimes: dict[str, float | None] = {}
        self.files: set[str] = set()
        #: Changed files that do not compile -> the error (the restart waits for them).
        self.broken: dict[str, str] = {}
        self._changed: str | None = None
        self.match = match
        super().__init__(bus, self.run, frequency)

    def start(self) -> None:
        """Forget recorded times and start polling."""
        if self.thread is None:
            self.mtimes = {}
        super().start()

    start.priority = 70  # type: ignore[attr-defined]

    def sysfiles(self) -> set[str]:
        """Return the source files of the loaded modules whose name matches ``match``."""
        pattern = re.compile(self.match)
        found: set[str] = set()
        for name, module in list(sys.modules.items()):
            if not pattern.match(name):
                continue
            filename = self._file_for_file_module(module) or self._archive_for_zip_module(module)
            if filename:
                found.add(filename[:-1] if filename.endswith(".pyc") else filename)
        return found

    # COMPAT: CherryPy's names for the two ways a module has a file to watch.
    @staticmethod
    def _file_for_file_module(module: Any) -> str | None:
        """The module's ``__file__``, or None (built-in, namespace or ``__file__ = None``)."""
        filename = getattr(module, "__file__", None)
        return filename if isinstance(filename, str) and filename else None

    @staticmethod
    def _archive_for_zip_module(module: Any) -> str | None:
        """The zip archive a zipimported module came from, or None."""
        archive = getattr(getattr(module, "__loader__", None), "archive", None)
        return archive if isinstance(archive, str) else None

    def run(self) -> None:
        """Check every watched file once; restart once changed files all compile."""
        for filename in self.sysfiles() | self.files:
            try:
                mtime: float | None = os.stat(filename).st_mtime
            except OSError:
                mtime = None
            if filename not in self.mtimes:
                self.mtimes[filename] = mtime
                continue
            old = self.mtimes[filename]
            if old is None:
                continue  # missing from the start (a zip member, a generated module)
            if mtime is None or mtime > old:
                self.mtimes[filename] = mtime
                self._changed = filename
                self._check_compiles(filename, mtime is not None)
        if self._changed is None or self.broken:
            return
        self.bus.log(f"Restarting because {self._changed} changed.")
        if self.thread is not None:
            self.thread.cancel()
        self.bus.restart()

    def _check_compiles(self, filename: str, exists: bool) -> None:
        error = _compile_error(filename) if exists and filename.endswith(".py") else None
        if error is None:
            if self.broken.pop(filename, None) is not None:
                self.bus.log(f"{filename} compiles again.")
            return
        self.broken[filename] = error
        self.bus.log(
            f"Not restarting: {filename} does not compile ({error}); "
            "the running code keeps serving until it does.",
            level=30,
        )


def _compile_error(filename: str) -> str | None:
    """The syntax error of a Python file, as one line, or None if it compiles."""
    try:
        with open(filename, "rb") as handle:
            source = handle.read()
        compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg}, line {exc.lineno}"
    except (OSError, ValueError) as exc:  # unreadable now, or a NUL byte
        return str(exc)
    return None


class ThreadManager(SimplePlugin):
    """Give each request thread ``start_thread`` / ``stop_thread`` callbacks.

    Request threads publish ``acquire_thread`` at the start of each request; the first
    time a thread does so, ``start_thread`` is published with its number (from 1).
    ``release_thread`` (or engine stop) publishes ``stop_thread``.

    Args:
        bus: The engine.
    """

    def __init__(self, bus: Bus) -> None:
        super().__init__(bus)
        self.threads: dict[int, int] = {}
        self._lock = threading.Lock()
        for channel in ("acquire_thread", "start_thread", "release_thread", "stop_thread"):
            bus.listeners.setdefault(channel, set())

    def acquire_thread(self) -> None:
        """Register the calling thread, publishing ``start_thread`` the first time."""
        ident = threading.get_ident()
        if ident in self.threads:  # PERF: the per-request path is one dict lookup
            return
        with self._lock:
            number = len(self.threads) + 1
            self.threads[ident] = number
        self.bus.publish("start_thread", number)

    def release_thread(self) -> None:
        """Forget the calling thread and publish ``stop_thread``."""
        with self._lock:
            number = self.threads.pop(threading.get_ident(), None)
        if number is not None:
            self.bus.publish("stop_thread", number)

    def stop(self) -> None:
        """Publish ``stop_thread`` for every known thread."""
        with self._lock:
            numbers, self.threads = list(self.threads.values()), {}
        for number in numbers:
            self.bus.publish("stop_thread", number)

    graceful = stop


# -- daemons ------------------------------------------------------------------------
class PIDFile(SimplePlugin):
    """Write the process id to ``pidfile`` on start; remove the file on exit.

    Args:
        bus: The engine.
        pidfile: Path of the file.
    """

    def __init__(self, bus: Bus, pidfile: str) -> None:
        super().__init__(bus)
        self.pidfile = pidfile
        self.finalized = False

    def start(self) -> None:
        """Write the pid (once per process)."""
        pid = os.getpid()
        if self.finalized:
            self.bus.log(f"PID {pid} already written to {self.pidfile!r}.")
            return
        with open(self.pidfile, "w", encoding="ascii") as fh:
            fh.write(f"{pid}\n")
        self.bus.log(f"PID {pid} written to {self.pidfile!r}.")
        self.finalized = True

    start.priority = 70  # type: ignore[attr-defined]

    def exit(self) -> None:
        """Remove the file; a missing file is fine."""
        try:
            os.remove(self.pidfile)
        except OSError:
            return
        self.bus.log(f"PID file removed: {self.pidfile!r}.")


class Daemonizer(SimplePlugin):
    """Detach the process from its terminal (double fork) when the engine starts.

    Args:
        bus: The engine.
        stdin: File the new stdin reads from.
        stdout: File stdout is appended to.
        stderr: File stderr is appended to.
    """

    def __init__(
        self,
        bus: Bus,
        stdin: str = "/dev/null",
        stdout: str = "/dev/null",
        stderr: str = "/dev/null",
    ) -> None:
        super().__init__(bus)
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.finalized = False

    def start(self) -> None:
        """Fork twice, start a new session and redirect the standard streams."""
        if self.finalized:
            self.bus.log("Already daemonized.")
            return
        if threading.active_count() != 1:
            self.bus.log(
                f"There are {threading.active_count()} active threads. "
                "Daemonizing now may cause strange failures.",
                level=30,
            )
        sys.stdout.flush()
        sys.stderr.flush()
        # The first parent and the session leader leave at once: no atexit, no flush.
        if os.fork():
            os._exit(0)
        os.setsid()
        if os.fork():
            os._exit(0)
        os.umask(0)
        os.chdir("/")
        for path, stream, mode in (
            (self.stdin, sys.stdin, os.O_RDONLY),
            (self.stdout, sys.stdout, os.O_WRONLY | os.O_APPEND | os.O_CREAT),
            (self.stderr, sys.stderr, os.O_WRONLY | os.O_APPEND | os.O_CREAT),
        ):
            fd = os.open(path, mode, 0o644)
            os.dup2(fd, stream.fileno())
            os.close(fd)
        self.bus.log(f"Daemonized to PID: {os.getpid()}")
        self.finalized = True

    start.priority = 65  # type: ignore[attr-defined]


class DropPrivileges(SimplePlugin):
    """Switch to an unprivileged user/group (and umask) once servers have bound.

    Args:
        bus: The engine.
        umask: New umask, or None to keep it.
        uid: User id or name, or None.
        gid: Group id or name, or None.
    """

    def __init__(
        self,
        bus: Bus,
        umask: int | None = None,
        uid: int | str | None = None,
        gid: int | str | None = None,
    ) -> None:
        super().__init__(bus)
        self.finalized = False
        self.uid = uid
        self.gid = gid
        self.umask = umask

    @property
    def uid(self) -> int | None:
        """The user id to switch to (names are resolved on assignment)."""
        return self._uid

    @uid.setter
    def uid(self, value: int | str | None) -> None:
        if isinstance(value, str):
            import pwd

            value = pwd.getpwnam(value).pw_uid
        self._uid = value

    @property
    def gid(self) -> int | None:
        """The group id to switch to (names are resolved on assignment)."""
        return self._gid

    @gid.setter
    def gid(self, value: int | str | None) -> None:
        if isinstance(value, str):
            import grp

            value = grp.getgrnam(value).gr_gid
        self._gid = value

    def start(self) -> None:
        """Apply gid, then uid (a non-root process cannot change its group), then umask."""
        if self.finalized:
            self.bus.log("Already running as the requested user.", level=10)
            return
        if self.uid is None and self.gid is None:
            self.bus.log("uid/gid not set", level=10)
        else:
            if self.gid is not None:
                os.setgroups([])
                os.setgid(self.gid)
            if self.uid is not None:
                os.setuid(self.uid)
            self.bus.log(f"Running as uid {os.getuid()} gid {os.getgid()}.")
        if self.umask is not None:
            old = os.umask(self.umask)
            self.bus.log(f"umask old: {old:03o}, new: {self.umask:03o}")
        self.finalized = True

    # Servers bind at priority 75: privileged ports first, then drop.
    start.priority = 77  # type: ignore[attr-defined]
