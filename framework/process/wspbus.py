"""The engine bus: a publish/subscribe hub that drives a process through its life.

A :class:`Bus` owns the process state (``states.STOPPED`` .. ``states.EXITING``) and a set
of named channels. Plugins and servers subscribe callbacks to channels (``start``,
``stop``, ``exit``, ``graceful``, ``main``, ``log`` or any custom name); the bus
publishes to them as the state changes. ``framework.engine`` is the process-wide
instance (``framework.process.wspbus``); tests may build their own ``Bus()``.

Typical use::

    engine.subscribe("start", open_pool, priority=40)
    engine.start()      # publishes 'start'; returns once every listener has run
    engine.block()      # main thread waits here until exit(), SIGTERM or Ctrl-C

Unlike CherryPy's bus, an engine can be started again after ``stop()`` or ``exit()``,
and ``exit()`` never calls ``os._exit``: a failing start listener makes ``start()``
shut the bus down and raise :class:`ChannelFailures`.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback as _traceback
from collections.abc import Callable, Iterable
from typing import Any, Final

__all__ = ["Bus", "ChannelFailures", "StartError", "State", "states"]

DEFAULT_PRIORITY: Final = 50
CHANNELS: Final = ("start", "stop", "exit", "graceful", "log", "main")
Listener = Callable[..., Any]

# os.execv() must run from the directory the process was started in (argv paths).
_STARTUP_CWD: Final = os.getcwd()


class State:
    """One named engine state; compared by identity."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"states.{self.name}"


class _States:
    """The engine's state constants (``bus.states.STARTED`` and so on)."""

    STOPPED: Final = State("STOPPED")
    STARTING: Final = State("STARTING")
    STARTED: Final = State("STARTED")
    STOPPING: Final = State("STOPPING")
    #: The final state: set when exit begins and kept after the ``exit`` listeners ran
    #: (as in CherryPy, so ``bus.wait([states.EXITING])`` returns after ``exit()``).
    EXITING: Final = State("EXITING")


states: Final = _States()


class ChannelFailures(Exception):
    """Raised by :meth:`Bus.publish` after all listeners ran when some of them failed."""

    def __init__(self, errors: list[BaseException] | None = None) -> None:
        super().__init__()
        self._errors: list[BaseException] = list(errors or [])

    def handle_exception(self) -> None:
        """Record the exception currently being handled."""
        error = sys.exc_info()[1]
        if error is not None:
            self._errors.append(error)

    def get_instances(self) -> list[BaseException]:
        """Return the recorded exceptions, in the order the listeners ran."""
        return list(self._errors)

    def __str__(self) -> str:
        return "; ".join(str(e) or type(e).__name__ for e in self._errors)

    def __bool__(self) -> bool:
        return bool(self._errors)


class StartError(RuntimeError):
    """A start listener's own, self-explanatory failure (logged without a traceback)."""


class Bus:
    """Process state machine plus channels of prioritised listeners.

    Attributes:
        states: The state constants, as ``bus.states.STARTED``.
        listeners: Channel name -> set of subscribed callables.
        execv: True once :meth:`restart` asked :meth:`block` to re-execute the process.
    """

    states: Final = states

    def __init__(self) -> None:
        # COMPAT: the standard channels exist up front; SimplePlugin subscribes the
        # methods named after any channel present here.
        self.listeners: dict[str, set[Listener]] = {c: set() for c in CHANNELS}
        self._priorities: dict[tuple[str, Listener], int] = {}
        # PERF: each channel's listeners are sorted once, on (un)subscribe, not per publish.
        #: Listeners by channel, in the order publish() calls them. Read it freely
        #: (a tuple per channel, replaced on each change); change it only through
        #: subscribe()/unsubscribe().
        self.ordered: dict[str, tuple[Listener, ...]] = {}
        self._cond = threading.Condition(threading.RLock())
        self._state: State = states.STOPPED
        self.execv = False
        self._exit_watched = False
        self._exit_done = threading.Event()  # set once the exit listeners have run

    # -- state -----------------------------------------------------------------------
    @property
    def state(self) -> State:
        """The current state; setting it wakes every :meth:`wait`."""
        return self._state

    @state.setter
    def state(self, value: State) -> None:
        with self._cond:
            self._state = value
            self._cond.notify_all()

    # -- channels --------------------------------------------------------------------
    def subscribe(
        self, channel: str, callback: Listener | None = None, priority: int | None = None
    ) -> Any:
        """Add ``callback`` to ``channel``; lower priorities run first.

        Args:
            channel: Channel name.
            callback: The listener. When omitted, a decorator is returned (CherryPy style).
            priority: Order within the channel; defaults to the callback's own
                ``priority`` attribute, then to 50.

        Returns:
            The callback, or a decorator when ``callback`` is None.
        """
        if callback is None:
            return lambda func: self.subscribe(channel, func, priority)
        if priority is None:
            priority = getattr(callback, "priority", DEFAULT_PRIORITY)
        self.listeners.setdefault(channel, set()).add(callback)
        self._priorities[(channel, callback)] = int(priority)
        self._reorder(channel)
        return callback

    def unsubscribe(self, channel: str, callback: Listener) -> None:
        """Remove ``callback`` from ``channel``; unknown callbacks are ignored."""
        listeners = self.listeners.get(channel)
        if listeners and callback in listeners:
            listeners.discard(callback)
            del self._priorities[(channel, callback)]
            self._reorder(channel)

    def clear(self, channel: str) -> None:
        """Remove every listener of ``channel``."""
        for callback in list(self.listeners.get(channel, ())):
            self.unsubscribe(channel, callback)

    def _reorder(self, channel: str) -> None:
        listeners = self.listeners.get(channel, set())
        # sorted() is stable, but sets have no order: break ties by name for repeatability.
        self.ordered[channel] = tuple(
            sorted(
                listeners,
                key=lambda cb: (self._priorities[(channel, cb)], getattr(cb, "__qualname__", "")),
            )
        )

    def publish(self, channel: str | None, *args: Any, **kwargs: Any) -> list[Any]:
        """Call every listener of ``channel`` in priority order and collect the results.

        A listener that raises is logged; the others still run, then the failures are
        raised together.

        Args:
            channel: Channel name; ``None`` or an unknown name publishes to nobody.
            *args: Positional arguments for each listener.
            **kwargs: Keyword arguments for each listener.

        Returns:
            The listeners' return values, in call order.

        Raises:
            ChannelFailures: One or more listeners raised an ordinary exception.
        """
        ordered = self.ordered.get(channel) if channel is not None else None
        if not ordered:
            return []
        failures = ChannelFailures()
        output: list[Any] = []
        for listener in ordered:
            try:
                output.append(listener(*args, **kwargs))
            except (KeyboardInterrupt, SystemExit) as exc:
                # COMPAT: an earlier failure must not be hidden by a clean SystemExit(0).
                if isinstance(exc, SystemExit) and failures and exc.code == 0:
                    exc.code = 1
                raise
            except Exception as exc:
                failures.handle_exception()
                if channel != "log":  # a broken logger must not recurse into itself
                    self.log(
                        f"Error in {channel!r} listener {listener!r}: {exc}",
                        level=40,
                        traceback=not isinstance(exc, StartError),
                    )
        if failures:
            raise failures
        return output

    def log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Publish ``msg`` to the ``log`` channel.

        Args:
            msg: The message.
            level: A :mod:`logging` level number.
            traceback: Append the traceback of the exception being handled.
        """
        if traceback:
            msg += "\n" + "".join(_traceback.format_exception(*sys.exc_info()))
        try:
            self.publish("log", msg, level)
        except ChannelFailures:
            pass  # nowhere left to report a failing logger

    # -- life cycle ------------------------------------------------------------------
    def start(self) -> None:
        """Publish ``start``; on any failure stop and exit the bus, then re-raise.

        Raises:
            ChannelFailures: A start listener failed (the bus has exited afterwards).
        """
        self.execv = False
        self._exit_done.clear()
        self._watch_interpreter_exit()
        self.state = states.STARTING
        self.log("Bus STARTING")
        try:
            self.publish("start")
            # Inside the try: a Ctrl-C that lands after the last listener, while these
            # two lines run, must shut down here too, not leave a started server behind.
            self.state = states.STARTED
            self.log("Bus STARTED")
        except ChannelFailures as exc:
            self.log(f"Shutting down due to error in start listener: {exc}", level=40)
            self._shutdown()
            raise
        except (KeyboardInterrupt, SystemExit) as exc:
            # Ctrl-C or SIGTERM while the listeners run (a port just opened, worker
            # threads running): shut everything down before unwinding, so no half
            # started server outlives the interpreter.
            reason = "Keyboard Interrupt" if isinstance(exc, KeyboardInterrupt) else "SystemExit"
            self.log(f"{reason} while starting: shutting down bus")
            self._interrupted_shutdown()
            raise

    def _interrupted_shutdown(self) -> None:
        """Shut down after an interrupt; a second Ctrl-C meanwhile exits at once (130)."""
        try:
            self._shutdown()
        except KeyboardInterrupt:
            self.log("Second Keyboard Interrupt: exiting now", level=30)
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            os._exit(130)

    def _watch_interpreter_exit(self) -> None:
        if self._exit_watched:
            return
        # Python joins non-daemon threads (cheroot's workers) BEFORE atexit handlers
        # run, so CherryPy's atexit safety net came too late: a main thread ended by an
        # early Ctrl-C hung. threading's own pre-join hook (the one concurrent.futures
        # uses) runs in time.
        register = getattr(threading, "_register_atexit", None)
        if register is not None:
            try:
                register(self._clean_exit)
            except RuntimeError:  # the interpreter is already shutting down
                return
            self._exit_watched = True

    def _clean_exit(self) -> None:
        if self.state not in (states.STOPPED, states.EXITING):
            self.log(
                f"The main thread is exiting but the bus is {self.state!r}: exiting it now. "
                "Call bus.block() after start(), or bus.exit() before the program ends.",
                level=30,
            )
            self._shutdown()

    def stop(self) -> None:
        """Publish ``stop`` (servers stop accepting, plugins release resources)."""
        self.state = states.STOPPING
        self.log("Bus STOPPING")
        try:
            self.publish("stop")
        except ChannelFailures:
            pass  # already logged per listener; stopping must go on
        self.state = states.STOPPED
        self.log("Bus STOPPED")

    def exit(self) -> None:
        """Stop, then publish ``exit``; :meth:`block` returns afterwards.

        Called while a start listener is still running (say SIGTERM during a hung
        start), it raises ``SystemExit(70)`` in the calling thread so a stuck
        ``start()`` in the main thread unwinds instead of hanging.
        """
        was_starting = self.state is states.STARTING
        self._shutdown()
        if was_starting:
            # COMPAT: CherryPy calls os._exit(70) here; raising keeps tests alive.
            raise SystemExit(70)

    def _shutdown(self) -> None:
        if self.state is states.EXITING:
            return
        self.stop()
        self.state = states.EXITING
        self.log("Bus EXITING")
        try:
            self.publish("exit")
        except ChannelFailures:
            pass
        self.log("Bus EXITED")
        self._exit_done.set()

    def restart(self) -> None:
        """Exit, and make the thread in :meth:`block` re-execute the process."""
        self.execv = True
        self.exit()

    def graceful(self) -> None:
        """Publish ``graceful``: services reload without stopping the process."""
        self.log("Bus graceful")
        self.publish("graceful")

    def block(self, interval: float = 0.1) -> None:
        """Wait (main thread) until the bus exits, then join non-daemon threads.

        Ctrl-C (KeyboardInterrupt) and SystemExit raised while waiting exit the bus.
        After a :meth:`restart`, the process is re-executed with its original argv.

        Args:
            interval: Seconds between publishes to the ``main`` channel.
        """
        try:
            self.wait(states.EXITING, interval=interval, channel="main")
        except KeyboardInterrupt:
            self.log("Keyboard Interrupt: shutting down bus")
            self._interrupted_shutdown()
        except SystemExit:
            self.log("SystemExit raised: shutting down bus")
            self._interrupted_shutdown()
            raise
        # Exit may still be running in another thread (a signal or a monitor).
        self._exit_done.wait()
        self.log("Waiting for child threads to terminate...")
        current = threading.current_thread()
        for thread in threading.enumerate():
            joinable = not thread.daemon and thread is not threading.main_thread()
            if joinable and thread is not current:
                self.log(f"Waiting for thread {thread.name}.")
                thread.join()
        if self.execv:
            self._do_execv()

    def wait(
        self, state: State | Iterable[State], interval: float = 0.1, channel: str | None = None
    ) -> None:
        """Return once the bus is in ``state`` (or any of several states).

        Args:
            state: One state or an iterable of states.
            interval: Seconds between publishes to ``channel``.
            channel: Channel to publish to while waiting (``block`` uses ``main``).
        """
        wanted = {state} if isinstance(state, State) else set(state)
        while True:
            with self._cond:
                if self._state in wanted:
                    return
                self._cond.wait(interval)
                if self._state in wanted:
                    return
            self.publish(channel)

    def start_with_callback(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> threading.Thread:
        """Start ``func`` in a new thread once the bus has started, then start the bus.

        Returns:
            The thread running ``func``.
        """

        def _run() -> None:
            self.wait(states.STARTED)
            func(*(args or ()), **(kwargs or {}))

        thread = threading.Thread(target=_run, name="Bus Callback", daemon=True)
        thread.start()
        self.start()
        return thread

    def _do_execv(self) -> None:
        """Replace the process with a fresh copy of itself (same interpreter flags)."""
        # sys.orig_argv keeps interpreter options and "-m module", unlike sys.argv.
        args = [sys.executable, *sys.orig_argv[1:]]
        self.log("Re-spawning " + " ".join(args))
        os.chdir(_STARTUP_CWD)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.execv(sys.executable, args)


def __getattr__(name: str) -> Any:
    # COMPAT: CherryPy's wspbus module holds the engine as ``bus``; here the engine is
    # built by framework.process, which imports this module: read it on demand.
    if name == "bus":
        from framework.process import bus

        return bus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
