"""``cherry routes``: list every URL an app publishes.

A thin signature over :func:`cherrycli.importer.load_target` and
:func:`cherrycli.routes.collect_routes`; output is a rich table or, with ``--json``, a
JSON array of route objects (path, handler, location, methods, params, tools, kind).
"""

from __future__ import annotations

from pathlib import Path

import click

from cherrycli.options import Command, compat_option, config_option, target_argument


@click.command("routes", cls=Command)
@target_argument
@click.option("--json", "as_json", is_flag=True, help="Print the routes as a JSON array.")
@config_option
@compat_option
def routes_command(target: str | None, as_json: bool, config: Path | None, compat: bool) -> None:
    """List every URL that dispatches, with its handler, methods, parameters and tools.

    A root object or class is read with its config file (--config, else
    [tool.cherry] config or CHERRY_CONFIG), as 'cherry serve' would mount it.
    An index takes its parameters from the query string (listed as /path/), feed_xml
    is listed as feed.xml, and static sections (tools.staticdir, tools.staticfile)
    are listed with the directory or file they serve.

    Examples:

    \b
        cherry routes
        cherry routes myapp.app:Root
        cherry routes app.py --json
        cherry routes legacy.py --compat
    """
    import json

    from cherrycli.appconfig import read_config
    from cherrycli.console import escape, stdout
    from cherrycli.importer import load_target
    from cherrycli.routes import ANY_METHOD, collect_routes
    from cherrycli.settings import load_settings

    settings = load_settings()
    if compat or settings.get_bool("compat"):
        from framework import compat as compat_layer

        compat_layer.install()
    loaded = load_target(target, settings)
    routes = collect_routes(loaded.obj, read_config(config or settings.path("config")))
    if as_json:
        click.echo(json.dumps([route.to_dict() for route in routes], indent=2))
        return

    from rich.table import Table

    console = stdout()
    if not routes:
        console.print(f"{escape(loaded.spec)} publishes no URL (nothing is exposed).")
        return
    count = f"{len(routes)} route" if len(routes) == 1 else f"{len(routes)} routes"
    table = Table(title=f"{escape(loaded.spec)}: {count}", title_justify="left")
    table.add_column("Path", style="path", overflow="fold")
    table.add_column("Methods", style="method")
    table.add_column("Handler", overflow="fold")
    table.add_column("Parameters", overflow="fold")
    table.add_column("Tools")
    table.add_column("Kind")
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
            route.kind,
        )
    console.print(table)
