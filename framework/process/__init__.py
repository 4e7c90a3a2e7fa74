"""The process layer: the engine singleton, its default plugins and ``engine.*`` config.

``framework.engine`` is :data:`bus`. Importing this package attaches CherryPy's default
plugins to it:

- ``bus.signal_handler`` (:class:`~framework.process.plugins.SignalHandler`), installed
  by ``bus.signals.subscribe()`` (``quickstart`` does it; embedded servers such as
  gunicorn keep their own signal handling);
- ``bus.thread_manager`` (subscribed), for ``start_thread``/``stop_thread`` listeners;
- the config checker (:mod:`framework.checker`), run on ``start`` unless ``checker.on``
  is false;
- ``bus.autoreload`` (:class:`~framework.process.plugins.Autoreloader`), present but
  NOT subscribed: turn it on with ``engine.autoreload.on: True``. ``cherry serve``'s
  supervisor reloads more reliably (it survives import errors).

Bus messages go to ``framework.log`` (context ``ENGINE``). In development the engine
shows them: :data:`bus` is an :class:`Engine`, whose ``start()`` first turns
``framework.log.screen`` on unless the config set ``log.screen`` (the ``production``,
``embedded`` and ``test_suite`` environments set it off), so ``quickstart`` and
``engine.start()`` print the bus states, "Serving on http://host:port", the access log
and error tracebacks, as CherryPy's default ``log.screen = True`` does, while
production stays quiet unless configured.
"""

from __future__ import annotations

import threading
from typing import Any

from framework._globals import config as site_config
from framework._globals import log as site_log
from framework.process import plugins
from framework.process.wspbus import Bus, ChannelFailures, StartError, states

__all__ = [
    "Bus",
    "ChannelFailures",
    "Engine",
    "StartError",
    "announce_thread",
    "bus",
    "configure",
    "plugins",
    "screen_by_default",
    "states",
    "thread_manager",
]


class _SignalsPlugin:
    """``engine.signals``: subscribes the signal handler (CherryPy's helper)."""

    def __init__(self, engine: Bus) -> None:
        self.bus = engine

    def subscribe(self) -> None:
        """Install the engine's signal handlers (main thread only); in development the
        "Listening for SIGTERM." lines show (see :func:`screen_by_default`)."""
        screen_by_default()
        handler = getattr(self.bus, "signal_handler", None)
        if handler is not None:
            handler.subscribe()

    def unsubscribe(self) -> None:
        """Restore the previous signal handlers."""
        handler = getattr(self.bus, "signal_handler", None)
        if handler is not None:
            handler.unsubscribe()


def _log_listener(msg: str, level: int) -> None:
    """Forward a bus message to the site's error log."""
    site_log.error(msg, "ENGINE", severity=level)


def _run_checker() -> None:
    """Warn about config that cannot work, as the engine starts (``checker.on``)."""
    from framework.checker import run_at_engine_start

    run_at_engine_start()


def screen_by_default() -> None:
    """Turn the screen log on unless the config decided (``log.screen`` is set).

    # COMPAT: CherryPy's log starts with ``screen = True``, so a script run from a
    terminal shows its engine lines, access log and tracebacks; the production and
    embedded environments turn it off. Cherry's log starts silent (importing the
    framework in a test or under gunicorn prints nothing) and turns the screen on when
    the engine starts or ``quickstart`` runs, which is when CherryPy's would show.
    """
    if "log.screen" not in site_config:
        site_log.screen = True


class Engine(Bus):
    """The site's bus (``framework.engine``): a :class:`Bus` that shows itself in
    development (see :func:`screen_by_default`)."""

    def start(self) -> None:
        """Turn the screen log on unless configured, then start (see :meth:`Bus.start`)."""
        screen_by_default()
        super().start()


def _build_engine() -> Bus:
    engine = Engine()
    engine.subscribe("log", _log_listener)
    engine.subscribe("start", _run_checker)
    engine.signal_handler = plugins.SignalHandler(engine)  # type: ignore[attr-defined]
    engine.signals = _SignalsPlugin(engine)  # type: ignore[attr-defined]
    engine.autoreload = plugins.Autoreloader(engine)  # type: ignore[attr-defined]
    return engine


bus: Bus = _build_engine()
#: ``bus.thread_manager``: start_thread/stop_thread callbacks per request thread.
thread_manager = plugins.ThreadManager(bus)
thread_manager.subscribe()
bus.thread_manager = thread_manager  # type: ignore[attr-defined]

_MANAGER_ONLY = (thread_manager.acquire_thread,)


def announce_thread() -> None:
    """Publish ``acquire_thread`` for the request thread calling (once per request).

    # COMPAT: CherryPy publishes it at the start of every request, so the
    ThreadManager can run ``start_thread`` listeners once per server thread.
    # PERF: when the ThreadManager is the only listener and already knows this thread,
    publishing would do nothing: it is skipped (a dict lookup instead of a publish).
    """
    listeners = bus.ordered.get("acquire_thread")
    if not listeners:
        return
    if listeners == _MANAGER_ONLY and threading.get_ident() in thread_manager.threads:
        return
    bus.publish("acquire_thread")


def configure(key: str, value: Any) -> None:
    """Apply one ``engine.*`` config entry (the ``engine.`` prefix already removed).

    - ``"SIGHUP"`` / ``"SIGTERM"``: ``value`` becomes that signal's listener; None
      removes the listeners (the ``embedded`` environment does this).
    - ``"<plugin>.on"``: subscribe (truthy) or unsubscribe (falsy) ``bus.<plugin>``.
    - ``"<plugin>.<attr>"``: set the attribute on ``bus.<plugin>``
      (``"autoreload.frequency": 2``).
    - ``"<attr>"``: set the attribute on the bus itself.

    Args:
        key: Config key below the ``engine`` namespace.
        value: Config value.

    Raises:
        ValueError: ``key`` names a plugin the engine does not have.
    """
    if key in ("SIGHUP", "SIGTERM"):
        if value is None:
            # COMPAT: CherryPy's subscribe(k, None) was a silent no-op; the intent of
            # the embedded environment ("leave this signal alone") is honoured instead.
            bus.clear(key)
        else:
            bus.subscribe(key, value)
        return
    if "." not in key:
        setattr(bus, key, value)
        return
    name, attr = key.split(".", 1)
    plugin = getattr(bus, name, None)
    if plugin is None:
        raise ValueError(f"Unknown engine plugin {name!r} in config key 'engine.{key}'")
    if attr == "on" and callable(getattr(plugin, "subscribe", None)):
        if value:
            plugin.subscribe()
        else:
            plugin.unsubscribe()
        return
    setattr(plugin, attr, value)
