"""``cherry serve``: serve an app on cheroot, optionally reloading it on every save.

A thin click command over :func:`cherrycli.serve.server.serve` (one process) and
:func:`cherrycli.reload.supervisor.run_supervisor` (``--reload``: a supervisor holding
the port and a restartable worker). The address follows one precedence, kept with its
notes in :mod:`cherrycli.serve.address`: ``--host`` / ``--port``, then ``CHERRY_HOST`` /
``CHERRY_PORT`` or ``[tool.cherry]``, then the config file's ``server.socket_host`` /
``server.socket_port``, then (without ``--reload``) the app's own settings, then
127.0.0.1:8080.

Other options left unset also come from settings (``config``, ``compat``,
``reload_include``, ``reload_exclude``). A bad value there is a usage error (exit 2), as
a bad option is; a failure of the app itself exits 1. ``--reload-include`` /
``--reload-exclude`` without ``--reload`` only print a warning. Only click, the standard
library and the address defaults are imported at module level so ``cherry --help``
stays quick.
"""

from __future__ import annotations

from pathlib import Path

import click

from cherrycli.options import Command, compat_option, config_option, target_argument
from cherrycli.serve import DEFAULT_GRACE, DEFAULT_HOST, DEFAULT_PORT

__all__ = ["serve_command"]


@click.command("serve", cls=Command)
@target_argument
@click.option("--host", metavar="HOST", help=f"Interface to listen on. [default: {DEFAULT_HOST}]")
@click.option(
    "--port",
    "-p",
    metavar="PORT",
    type=click.IntRange(0, 65535),
    help=f"TCP port (0 picks a free one). [default: {DEFAULT_PORT}]",
)
@config_option
@click.option("--reload", is_flag=True, help="Restart the app when a watched file changes.")
@click.option(
    "--reload-include",
    metavar="GLOB",
    multiple=True,
    help="Also watch files matching GLOB (repeatable).",
)
@click.option(
    "--reload-exclude",
    metavar="GLOB",
    multiple=True,
    help="Never watch files matching GLOB (repeatable).",
)
@click.option(
    "--grace",
    metavar="SECONDS",
    type=click.FloatRange(0, 3600),
    default=DEFAULT_GRACE,
    help="How long requests in flight may take to finish when the server stops or a "
    "reload replaces the worker.",
)
@click.option(
    "--workers",
    "-w",
    metavar="N",
    type=click.IntRange(1, 256),
    help="Production: run N worker processes on gunicorn (the gunicorn extra); "
    "SIGHUP reloads, SIGTERM drains.",
)
@compat_option
def serve_command(
    target: str | None,
    *,
    host: str | None,
    port: int | None,
    config: Path | None,
    reload: bool,
    reload_include: tuple[str, ...],
    reload_exclude: tuple[str, ...],
    grace: float,
    workers: int | None,
    compat: bool,
) -> None:
    """Serve an app on cheroot, printing the URL and the access log.

    With --reload, saving a .py, config or template file restarts the app in a fresh
    worker while the port stays open: new connections go to the new worker and
    requests in flight finish on the old one (up to --grace seconds); a broken save
    shows its traceback in the browser until the next good one.

    With --workers N (production), gunicorn runs N processes, each loading the app;
    SIGHUP reloads code and config without refusing a connection, SIGTERM lets
    requests in flight finish (up to --grace seconds).

    The address: --host/--port, else CHERRY_HOST/CHERRY_PORT or [tool.cherry], else
    server.socket_host/port from the config file, else (without --reload or --workers)
    from the app itself, else 127.0.0.1:8080.

    Examples:

    \b
        cherry serve                 # [tool.cherry] app on 127.0.0.1:8080
        cherry serve app.py --reload
        cherry serve shop.app:Root --port 9000 --config dev.conf
        cherry serve legacy.py --compat --reload --reload-exclude 'data/*'
        cherry serve --workers 4 --host 0.0.0.0 --config config/prod.conf
    """
    from cherrycli.serve.address import choose_address
    from cherrycli.settings import load_settings

    settings = load_settings()
    config = config or settings.path("config")
    address = choose_address(host, port, settings, config)
    compat = compat or bool(settings.get_bool("compat"))
    if workers is not None and reload:
        from cherrycli.errors import USAGE_EXIT, CliError

        raise CliError(
            "--workers and --reload cannot be used together: --reload runs one process "
            "that restarts on each save, --workers is for production",
            hint="drop one of them (workers may come from CHERRY_SERVE_WORKERS or "
            "[tool.cherry.serve])",
            exit_code=USAGE_EXIT,
        )
    if workers is not None:
        from cherrycli.serve.workers import WorkersOptions, serve_workers

        code = serve_workers(WorkersOptions(target, address, config, compat, workers, grace))
    elif not reload:
        for flag, given in (
            ("--reload-include", reload_include),
            ("--reload-exclude", reload_exclude),
        ):
            if given:
                _warn(f"{flag} has no effect without --reload")
        from cherrycli.serve.server import serve

        code = serve(target, address, config, compat, grace)
    else:
        from cherrycli.importer import parse_target
        from cherrycli.reload.supervisor import ReloadOptions, run_supervisor

        if target:
            parse_target(target)  # a bad form or missing file: say so before binding
        code = run_supervisor(
            ReloadOptions(
                target=target,
                address=address,
                config=config,
                compat=compat,
                include=[*settings.get_list("reload_include"), *reload_include],
                exclude=[*settings.get_list("reload_exclude"), *reload_exclude],
                roots=[settings.root],
                grace=grace,
            )
        )
    if code:
        raise SystemExit(code)


def _warn(message: str) -> None:
    from cherrycli.console import escape, stderr

    stderr().print(f"[hint]warning:[/hint] {escape(message)}", soft_wrap=True)
