"""``cherry serve --workers N``: the app in production, on gunicorn with N processes.

gunicorn (the ``gunicorn`` extra) runs an arbiter that binds the address and keeps N
worker processes; :class:`WorkersOptions` says how, and :func:`serve_workers` runs it:

- each worker loads the app itself (:func:`cherrycli.serve.loading.load_app`, so the
  TARGET forms, ``--config``, ``--compat`` and a script's ``__main__`` block work as
  in ``cherry serve``; the first one prints what ``cherry check`` would find), then
  starts the engine's plugins once
  (:func:`framework.process.server.gunicorn_post_worker_init`) and stops them when it
  exits; the arbiter never imports the app, so SIGHUP reloads it;
- workers are threaded (gunicorn's ``gthread``), with ``server.thread_pool`` threads
  each (the config file's ``[global]``, else the framework's default);
- SIGTERM drains: the arbiter stops accepting and lets requests in flight finish for
  up to ``grace`` seconds; SIGHUP starts fresh workers with the code and config as
  they are now, then retires the old ones gracefully, the listening socket never
  closing; SIGINT stops at once.

The output stays cherry serve's: one ``Serving on`` line (gunicorn's own log shows
warnings and errors only); access lines come from the framework's log as configured
(production is quiet unless ``log.screen`` or ``log.access_file`` say otherwise).
"""

from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cherrycli.errors import USAGE_EXIT, CliError
from cherrycli.serve import DEFAULT_GRACE
from cherrycli.serve.address import Address

__all__ = ["DEFAULT_THREADS", "WorkersOptions", "gunicorn_settings", "serve_workers"]

#: Threads per worker when the config file does not set ``server.thread_pool``
#: (``framework.server``'s own default).
DEFAULT_THREADS = 10


@dataclass(frozen=True)
class WorkersOptions:
    """What ``cherry serve --workers`` runs.

    Attributes:
        target: TARGET as given (None: the project default).
        address: what the options, settings and config file chose (the defaults fill
            the rest: the address is bound before any worker loads the app).
        config: the config file, or None.
        compat: install the ``cherrypy`` aliases in each worker first.
        workers: how many worker processes.
        grace: seconds requests in flight get to finish on SIGTERM or SIGHUP.
    """

    target: str | None
    address: Address
    config: Path | None
    compat: bool
    workers: int
    grace: float = DEFAULT_GRACE


def gunicorn_settings(options: WorkersOptions) -> dict[str, Any]:
    """The gunicorn settings for ``options`` (hooks excluded).

    Args:
        options: what to run.

    Returns:
        ``{setting: value}`` in gunicorn's names.

    Raises:
        CliError: the config file cannot be read, or its ``server.thread_pool`` is not a
            positive integer.
    """
    from cherrycli.appconfig import read_config

    host, port = options.address.before_loading()
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    threads = read_config(options.config).get("global", {}).get("server.thread_pool")
    if threads is None:
        threads = DEFAULT_THREADS
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise CliError(f"server.thread_pool in {options.config} must be a positive integer")
    return {
        "bind": [bind],
        "workers": options.workers,
        "worker_class": "gthread",
        "threads": threads,
        # gunicorn counts whole seconds; round up so no request gets less than asked.
        "graceful_timeout": math.ceil(options.grace),
        "preload_app": False,  # each worker imports the app: SIGHUP reloads it
        "accesslog": None,  # the framework's access log, as configured
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": f"cherry {options.target or 'app'}",
    }


def serve_workers(options: WorkersOptions) -> int:
    """Run the app on gunicorn until SIGTERM or SIGINT (see the module docstring).

    Args:
        options: what to run.

    Returns:
        The exit status (0 after a clean stop).

    Raises:
        CliError: gunicorn is not installed (exit 2), or the config file is bad.
    """
    if importlib.util.find_spec("gunicorn") is None:
        raise CliError(
            "cherry serve --workers runs the app on gunicorn, which is not installed",
            hint="pip install 'cherrycli[gunicorn]'",
            exit_code=USAGE_EXIT,
        )
    from gunicorn.errors import HaltServer

    settings = gunicorn_settings(options)
    application = _application_class()(options, settings)
    arbiter = os.getpid()
    try:
        application.run()
    except HaltServer:
        # gunicorn halting while it halts (two workers failing to load at once): the
        # workers have said why, the failure is the exit status.
        return 1
    except SystemExit as exit_:
        if os.getpid() != arbiter:
            raise  # a forked worker ending: its status is for the arbiter to read
        # gunicorn exits 3 or 4 when workers cannot boot or load the app: a failure.
        return 0 if exit_.code in (0, None) else 1
    return 0


def _application_class() -> Any:
    """gunicorn's ``BaseApplication`` for cherry serve (gunicorn imported on first use)."""
    from gunicorn.app.base import BaseApplication

    class CherryApplication(BaseApplication):  # type: ignore[misc]
        """The arbiter's view of the app: settings in, the loaded app per worker out."""

        def __init__(self, options: WorkersOptions, settings: dict[str, Any]) -> None:
            self.options = options
            self.settings = settings
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.settings.items():
                self.cfg.set(key, value)
            self.cfg.set("when_ready", _announce(self.options))
            self.cfg.set("post_worker_init", _worker_started)
            self.cfg.set("worker_exit", _worker_exited)

        def load(self) -> Any:
            return _load_in_worker(self.options)

    return CherryApplication


def _announce(options: WorkersOptions) -> Any:
    def when_ready(arbiter: Any) -> None:
        from cherrycli.console import say
        from cherrycli.serve.listen import announced_url

        sock = arbiter.LISTENERS[0].sock
        say(
            f"Serving on {announced_url(sock)} with {options.workers} workers (gunicorn, "
            f"pid {arbiter.pid}; SIGHUP reloads, SIGTERM stops)",
            "ok",
        )

    return when_ready


def _load_in_worker(options: WorkersOptions) -> Any:
    """Load the app in a worker. A failure is gunicorn's "app failed to load": the
    worker prints the reason in one line and the arbiter stops (it would only fail
    again in every new worker)."""
    from gunicorn.errors import AppImportError

    from cherrycli.serve.loading import load_app, summarize_load_error

    try:
        return load_app(
            options.target, options.config, compat=options.compat, development=False, report=False
        )
    except CliError as error:
        raise AppImportError(f"error: {error}") from None
    except Exception as exc:  # SystemExit: gunicorn stopping the worker while it loads
        reason = summarize_load_error(exc)
        raise AppImportError(f"error: the app failed to load: {reason}") from None


def _worker_started(worker: Any) -> None:
    import framework
    from cherrycli.serve.loading import report_problems
    from framework.process.server import gunicorn_post_worker_init

    if getattr(worker, "age", 0) == 1:  # the first worker says what cherry check would
        report_problems(framework.tree)
    gunicorn_post_worker_init(worker)


def _worker_exited(arbiter: Any, worker: Any) -> None:
    from framework.process.server import gunicorn_worker_exit

    gunicorn_worker_exit(arbiter, worker)
