"""``cherry serve``: serve an app on cheroot, optionally reloading it on every save.

A thin typer signature over :func:`cherrycli.serving.serve` (one process) and
:func:`cherrycli.reloader.run_supervisor` (``--reload``: a supervisor holding the port and
a restartable worker). The address comes from, highest first:

1. ``--host`` / ``--port``;
2. ``CHERRY_HOST`` / ``CHERRY_PORT``, then ``host`` / ``port`` in ``[tool.cherry]``;
3. the ``--config`` file's ``[global]`` ``server.socket_host`` / ``server.socket_port``;
4. without ``--reload`` only: what the app sets itself at import (a CherryPy app's
   ``cherrypy.config.update({"server.socket_port": ...})``); with ``--reload`` the
   supervisor binds before any worker imports the app, so this level is skipped (and
   a worker prints a note when the app, or an edited config file, wants another one);
5. the defaults below (``framework.server``'s own).

Other options left unset also come from settings (``config``, ``compat``,
``reload_include``, ``reload_exclude``). A bad value there is a usage error (exit 2), as
a bad option is; a failure of the app itself exits 1. ``--reload-include`` /
``--reload-exclude`` without ``--reload`` only print a warning. Only typer and the standard
library are imported at module level so ``cherry --help`` stays quick.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from cherrycli.errors import USAGE_EXIT, CliError
from cherrycli.options import CompatOption, ConfigOption, TargetArgument

T = TypeVar("T")

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "serve_command"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def serve_command(
    target: TargetArgument = None,
    *,
    host: Annotated[
        str | None,
        typer.Option(help=f"Interface to listen on. [default: {DEFAULT_HOST}]", show_default=False),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            "-p",
            min=0,
            max=65535,
            help=f"TCP port (0 picks a free one). [default: {DEFAULT_PORT}]",
            show_default=False,
        ),
    ] = None,
    config: ConfigOption = None,
    reload: Annotated[
        bool, typer.Option("--reload", help="Restart the app when a watched file changes.")
    ] = False,
    reload_include: Annotated[
        list[str] | None,
        typer.Option(
            metavar="GLOB",
            help="Also watch files matching GLOB (repeatable).",
            show_default=False,
        ),
    ] = None,
    reload_exclude: Annotated[
        list[str] | None,
        typer.Option(
            metavar="GLOB",
            help="Never watch files matching GLOB (repeatable).",
            show_default=False,
        ),
    ] = None,
    compat: CompatOption = False,
) -> None:
    """Serve an app on cheroot, printing the URL and the access log.

    With --reload, saving a .py, config or template file restarts the app in a fresh
    worker while the port stays open; a broken save shows its traceback in the browser
    until the next good one.

    The address: --host/--port, else CHERRY_HOST/CHERRY_PORT or \\[tool.cherry], else
    server.socket_host/port from the config file, else (without --reload) from the app
    itself, else 127.0.0.1:8080.

    Examples:

        cherry serve                 # \\[tool.cherry] app on 127.0.0.1:8080

        cherry serve app.py --reload

        cherry serve shop.app:Root --port 9000 --config dev.conf

        cherry serve legacy.py --compat --reload --reload-exclude 'data/*'
    """
    from cherrycli.appconfig import read_config
    from cherrycli.settings import load_settings

    settings = load_settings()
    config = config or _setting(settings.path, "config")
    # COMPAT: a CherryPy config file's server.socket_host/port still choose the address.
    server = read_config(config).get("global", {})
    # Options and settings pin the address; the config file and the defaults may be
    # overridden by the app (only without --reload: with it, a worker notes the change).
    host = host or _setting(settings.get_str, "host")
    follow_host = not host
    host = host or server.get("server.socket_host")
    if port is None:
        port = _setting(settings.get_int, "port")
    follow_port = port is None
    if port is None and "server.socket_port" in server:
        port = _config_port(server["server.socket_port"], config)
    compat = compat or bool(_setting(settings.get_bool, "compat"))

    if not reload:
        for flag, given in (
            ("--reload-include", reload_include),
            ("--reload-exclude", reload_exclude),
        ):
            if given:
                _warn(f"{flag} has no effect without --reload")
    if reload:
        from cherrycli.importer import parse_target
        from cherrycli.reloader import ReloadOptions, run_supervisor

        if target:
            parse_target(target)  # a bad form or missing file: say so before binding

        options = ReloadOptions(
            target=target,
            host=host or DEFAULT_HOST,
            port=DEFAULT_PORT if port is None else port,
            config=config,
            compat=compat,
            include=[*_setting(settings.get_list, "reload_include"), *(reload_include or [])],
            exclude=[*_setting(settings.get_list, "reload_exclude"), *(reload_exclude or [])],
            roots=[settings.root],
            follow_host=follow_host,
            follow_port=follow_port,
        )
        code = run_supervisor(options)
    else:
        from cherrycli.serving import serve

        # Unset host/port: the app's own server.socket_* settings, else the defaults.
        code = serve(target, host, port, config, compat)
    if code:
        raise typer.Exit(code)


def _setting(read: Callable[[str], T], key: str) -> T:
    """Read a setting; a value of the wrong type is a usage error, like a bad option."""
    try:
        return read(key)
    except CliError as error:
        raise CliError(error.message, hint=error.hint, exit_code=USAGE_EXIT) from None


def _warn(message: str) -> None:
    from cherrycli.console import escape, stderr

    stderr().print(f"[hint]warning:[/hint] {escape(message)}", soft_wrap=True)


def _config_port(value: Any, config: Path | None) -> int:
    """The config file's ``server.socket_port`` as an int (the file is the app's: exit 1)."""
    if isinstance(value, bool):
        value = None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CliError(
            f"server.socket_port in {config} must be an integer, got {value!r}"
        ) from None
