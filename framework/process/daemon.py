"""The ``cherryd`` launcher: start an engine from config files and imports, then block.

CherryPy ships it as ``python -m cherrypy`` (``cherrypy.daemon``); under
:mod:`framework.compat` the same command runs this module, and ``python -m
framework.process.daemon`` runs it directly::

    python -m cherrypy -c site.conf -i myapp -p /run/site.pid -d

``-i`` imports modules (your app mounts itself on import), ``-c`` applies config files
to the global config (and to the one mounted application, if there is exactly one),
``-d`` daemonizes, ``-p`` writes a PID file, ``-e`` picks an environment, ``-P`` adds
import paths. The engine then starts with signal handling and blocks until it exits.
As with CherryPy's launcher, the process re-executes when a loaded module changes,
unless the config or the environment (``-e production``) turns
``engine.autoreload.on`` off.
CherryPy's FastCGI/SCGI/CGI modes (``-f``, ``-s``, ``-x``) need flup and are refused.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from framework._globals import config, tree
from framework.core.application import Application
from framework.process import bus, plugins
from framework.process.wspbus import ChannelFailures

__all__ = ["run", "start"]


def start(
    configfiles: Sequence[str] = (),
    daemonize: bool = False,
    environment: str | None = None,
    pidfile: str | None = None,
    imports: Sequence[str] = (),
) -> None:
    """Import, configure, start the engine and block until it exits.

    Args:
        configfiles: config files applied to the global config, in order (and merged
            into the application when exactly one is mounted).
        daemonize: detach from the terminal first (``Daemonizer``).
        environment: a config environment name (``production``...).
        pidfile: write the process id to this file while running.
        imports: modules to import first (they mount the applications).

    Raises:
        SystemExit: 1 if the engine could not start.
    """
    # COMPAT: as cherryd, the current directory is importable, and the process
    # re-executes when a module's source changes: CherryPy's engine has its autoreloader
    # on unless the config (``engine.autoreload.on``) or an environment (``production``,
    # ``staging``, ``embedded``) turns it off, which the config applied below still does.
    sys.path.insert(0, "")
    bus.autoreload.subscribe()  # type: ignore[attr-defined]
    for name in imports:
        importlib.import_module(name)
    for path in configfiles:
        config.update(path)
        apps = list(tree.apps.values())
        if len(apps) == 1 and isinstance(apps[0], Application):
            apps[0].merge(path)
    if environment is not None:
        config.update({"environment": environment})
    if daemonize:
        # A daemon has no terminal to write to.
        config.update({"log.screen": False})
        plugins.Daemonizer(bus).subscribe()
    if pidfile:
        plugins.PIDFile(bus, pidfile).subscribe()
    bus.signals.subscribe()  # type: ignore[attr-defined]
    try:
        bus.start()
    except ChannelFailures as exc:
        print(f"Engine could not start: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    bus.block()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cherryd", description="Start an engine from config files and imports."
    )
    add = parser.add_argument
    add("-c", "--config", action="append", default=[], help="a config file (repeatable)")
    add("-d", action="store_true", dest="daemonize", help="run as a daemon")
    add("-e", "--environment", help="apply this config environment")
    add("-i", "--import", action="append", default=[], dest="imports", help="import a module")
    add("-p", "--pidfile", help="store the process id in this file")
    add("-P", "--Path", action="append", default=[], dest="paths", help="add to sys.path")
    for flag, mode in (("-f", "FastCGI"), ("-s", "SCGI"), ("-x", "CGI")):
        add(flag, action="store_const", const=mode, dest="gateway", help=f"{mode} (refused)")
    return parser


def run(argv: Sequence[str] | None = None) -> None:
    """Parse cherryd's command line and :func:`start`.

    Raises:
        SystemExit: 2 for bad arguments or a FastCGI/SCGI/CGI mode; 1 if the engine
            could not start.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.gateway:
        parser.error(f"{args.gateway} is not supported: serve over HTTP, behind a proxy")
    for path in reversed(args.paths):
        sys.path.insert(0, path)
    start(args.config, args.daemonize, args.environment, args.pidfile, args.imports)


if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess
    run()
