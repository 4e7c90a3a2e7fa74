"""``cherry routes``: list every URL an app publishes.

A thin signature over :func:`cherrycli.importer.load_target` and
:func:`cherrycli.routes.collect_routes`; output is a rich table (one block per route
in a terminal narrower than :data:`NARROW` columns, where six columns would fold every
cell) or, with ``--json``, a JSON array of route objects (path, handler, location,
methods, params, tools, kind).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cherrycli.options import Command, compat_option, config_option, target_argument


@click.command("routes", cls=Command)
@target_argument
@click.option("--json", "as_json", is_flag=True, help="Print the routes as a JSON array.")
@config_option
@compat_option
def routes_command(target: str | None, as_json: bool, config: Path | None, compat: bool) -> None:
    """List every URL that dispatches, with its handler, methods, parameters and tools.

    What 'cherry check' would report (misspelt config keys, unknown tools, CherryPy
    names Cherry lacks, handlers no URL reaches) is printed first, on stderr.

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
    from cherrycli.routes import Route, routes_subject
    from cherrycli.serve.loading import report_problems
    from cherrycli.settings import load_settings
    from framework.core.tree import Tree
    from framework.introspect import classify
    from framework.introspect import routes as app_routes

    settings = load_settings()
    if compat or settings.get_bool("compat"):
        from framework import compat as compat_layer

        compat_layer.install()
    loaded = load_target(target, settings)
    subject = routes_subject(loaded.obj, read_config(config or settings.path("config")))
    routes = [Route.of(route) for route in app_routes(subject)]
    # What `cherry check` finds (config checker, compat table, unreachable handlers)
    # goes to stderr before the listing, as `cherry serve` prints it before serving.
    if classify(subject) == "application":
        tree = Tree()
        tree.mount(subject, subject.script_name)
        report_problems(tree)
    else:
        report_problems(subject)
    if as_json:
        click.echo(json.dumps([route.to_dict() for route in routes], indent=2))
        return

    console = stdout()
    if not routes:
        console.print(f"{escape(loaded.spec)} publishes no URL (nothing is exposed).")
        return
    count = f"{len(routes)} route" if len(routes) == 1 else f"{len(routes)} routes"
    title = f"{escape(loaded.spec)}: {count}"
    if console.width < NARROW:
        _print_list(console, title, routes)
    else:
        _print_table(console, title, routes)


#: Below this many columns a table of six would fold every cell: routes are listed
#: one block each instead.
NARROW = 100


def _methods(route: Any) -> str:
    from cherrycli.routes import ANY_METHOD

    return "any" if route.methods == (ANY_METHOD,) else ", ".join(route.methods)


def _print_table(console: Any, title: str, routes: list[Any]) -> None:
    from rich.table import Table

    from cherrycli.console import escape

    table = Table(title=title, title_justify="left")
    table.add_column("Path", style="path", overflow="fold")
    table.add_column("Methods", style="method")
    table.add_column("Handler", overflow="fold")
    table.add_column("Parameters", overflow="fold")
    table.add_column("Tools")
    table.add_column("Kind")
    for route in routes:
        handler = escape(route.handler)
        if route.location:
            handler += f"\n[muted]{escape(route.location)}[/muted]"
        table.add_row(
            escape(route.path),
            _methods(route),
            handler,
            escape(", ".join(route.params)),
            escape(", ".join(route.tools)),
            route.kind,
        )
    console.print(table)


def _print_list(console: Any, title: str, routes: list[Any]) -> None:
    """One block per route for a narrow terminal: the path line, then what answers it."""
    from cherrycli.console import escape

    console.print(title)
    for route in routes:
        console.print(
            f"\n[path]{escape(route.path)}[/path]  [method]{_methods(route)}[/method]"
            f"  [muted]{route.kind}[/muted]"
        )
        console.print(f"  {escape(route.handler)}")
        if route.location:
            console.print(f"  [muted]{escape(route.location)}[/muted]")
        details = [("params", route.params), ("tools", route.tools)]
        for label, values in details:
            if values:
                console.print(f"  [muted]{label}:[/muted] {escape(', '.join(values))}")
