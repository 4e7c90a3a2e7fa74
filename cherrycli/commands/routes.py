"""``cherry routes``: list every URL an app publishes.

A thin signature over :func:`cherrycli.importer.load_target` and
:func:`cherrycli.routes.collect_routes`; output is a rich table or, with ``--json``, a
JSON array of route objects (path, handler, location, methods, params, tools).
"""

from __future__ import annotations

from typing import Annotated

import typer


def routes_command(
    target: Annotated[
        str | None,
        typer.Argument(
            help="App to inspect: pkg.module:attr, app.py or app.py:Root. "
            "Default: CHERRY_APP or \\[tool.cherry] app.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the routes as a JSON array.")
    ] = False,
) -> None:
    """List every published URL with its handler, methods, parameters and tools.

    A root object or class is read with the config file named by \\[tool.cherry]
    config (or CHERRY_CONFIG), as 'cherry serve' would mount it.

    Examples:

        cherry routes

        cherry routes myapp.app:Root

        cherry routes app.py --json
    """
    import json

    from cherrycli.console import escape, stdout
    from cherrycli.importer import load_target
    from cherrycli.routes import ANY_METHOD, collect_routes, load_app_config
    from cherrycli.settings import load_settings

    settings = load_settings()
    loaded = load_target(target, settings)
    config_path = settings.path("config")
    config = load_app_config(config_path) if config_path is not None else None
    routes = collect_routes(loaded.obj, config)
    if as_json:
        typer.echo(json.dumps([route.to_dict() for route in routes], indent=2))
        return

    from rich.table import Table

    console = stdout()
    if not routes:
        console.print(f"{escape(loaded.spec)} publishes no URL (nothing is exposed).")
        return
    table = Table(title=f"{escape(loaded.spec)}: {len(routes)} routes", title_justify="left")
    table.add_column("Path", style="path", no_wrap=True)
    table.add_column("Methods", style="method")
    table.add_column("Handler")
    table.add_column("Parameters")
    table.add_column("Tools")
    for route in routes:
        methods = "any" if route.methods == (ANY_METHOD,) else ", ".join(route.methods)
        handler = escape(route.handler)
        if route.location:
            handler += f"\n[muted]{escape(route.location)}[/muted]"
        table.add_row(
            escape(route.path),
            methods,
            handler,
            escape(", ".join(route.params)),
            escape(", ".join(route.tools)),
        )
    console.print(table)
