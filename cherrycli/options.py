"""Arguments and options shared by the commands that load an app (serve, routes, profile).

Each is an ``Annotated`` alias, so a command declares ``target: TargetArgument = None``
and every command spells, documents and validates TARGET, ``--config`` and
``--compat`` the same way. Only typer and the standard library are imported here, which
keeps ``cherry --help`` fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["CompatOption", "ConfigOption", "TargetArgument"]

TargetArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="TARGET",
        help="The app: pkg.module:attr, app.py or app.py:Root. "
        "Default: \\[tool.cherry] app or CHERRY_APP.",
        show_default=False,
    ),
]

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file: \\[global] updates the framework config, path sections the "
        "app's. Default: \\[tool.cherry] config or CHERRY_CONFIG.",
        show_default=False,
    ),
]

CompatOption = Annotated[
    bool,
    typer.Option("--compat", help="Run an unchanged CherryPy app ('import cherrypy')."),
]
