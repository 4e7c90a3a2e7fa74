"""``cherry serve``: serve an app on cheroot, optionally reloading it on every save.

A thin typer signature over :func:`cherrycli.serving.serve` (one process) and
:func:`cherrycli.reloader.run_supervisor` (``--reload``: a supervisor holding the port and
a restartable worker). Options left unset come from ``[tool.cherry]`` in pyproject.toml
or ``CHERRY_*`` variables (``host``, ``port``, ``config``, ``compat``,
``reload_include``, ``reload_exclude``), then from the config file's
``server.socket_host`` / ``server.socket_port``, then from the defaults below. Only
typer and the standard library are imported at module level so ``cherry --help`` stays
quick.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cherrycli.options import CompatOption, ConfigOption, TargetArgument

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

    Examples:

        cherry serve                 # \\[tool.cherry] app on 127.0.0.1:8080

        cherry serve app.py --reload

        cherry serve shop.app:Root --port 9000 --config dev.conf

        cherry serve legacy.py --compat --reload --reload-exclude 'data/*'
    """
    from cherrycli.serving import read_config
    from cherrycli.settings import load_settings

    settings = load_settings()
    config = config or settings.path("config")
    # COMPAT: a CherryPy config file's server.socket_host/port still choose the address.
    server = read_config(config).get("global", {})
    host = host or settings.get_str("host") or server.get("server.socket_host") or DEFAULT_HOST
    if port is None:
        port = settings.get_int("port")
    if port is None:
        port = int(server.get("server.socket_port", DEFAULT_PORT))
    compat = compat or bool(settings.get_bool("compat"))

    if reload:
        from cherrycli.reloader import ReloadOptions, run_supervisor

        options = ReloadOptions(
            target=target,
            host=host,
            port=port,
            config=config,
            compat=compat,
            include=[*settings.get_list("reload_include"), *(reload_include or [])],
            exclude=[*settings.get_list("reload_exclude"), *(reload_exclude or [])],
            roots=[settings.root],
        )
        code = run_supervisor(options)
    else:
        from cherrycli.serving import serve

        code = serve(target, host, port, config, compat)
    if code:
        raise typer.Exit(code)
