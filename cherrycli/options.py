"""How the commands declare their parameters: the shared ones, and documented arguments.

click documents options but not positional arguments, so :class:`Argument` takes a
``help`` text and :class:`Command` lists those under "Arguments" in ``--help``, before
the options. Every command is declared with them (``@click.command(cls=Command)``).

The parameters several commands share are defined once here, as decorators: a command
that loads an app (serve, routes, profile) takes :func:`target_argument`,
:func:`config_option` and :func:`compat_option`, so TARGET, ``--config`` and
``--compat`` are spelled, documented and checked the same way everywhere. Only click and
the standard library are imported here, which keeps ``cherry --help`` fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = [
    "Argument",
    "Command",
    "argument",
    "compat_option",
    "config_option",
    "target_argument",
]

F = TypeVar("F", bound=Callable[..., Any])


class Argument(click.Argument):
    """A positional argument with a help text, shown by :class:`Command`'s ``--help``.

    Args:
        param_decls: as for ``click.Argument`` (the parameter's name).
        help: one or two sentences on what the argument is.
        **attrs: passed to ``click.Argument`` (``metavar``, ``nargs``, ``required``...).
    """

    def __init__(self, param_decls: list[str], *, help: str, **attrs: Any) -> None:
        super().__init__(param_decls, **attrs)
        self.help = help


class Command(click.Command):
    """A command whose ``--help`` lists its arguments (with their help) before its options."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write usage, description, arguments, options and epilog, in that order.

        click 8.5 has this order and a section of its own for arguments; before 8.5
        there is none, so the sequence is spelled out here for every version.
        """
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        self.format_arguments(ctx, formatter)
        self.format_options(ctx, formatter)
        self.format_epilog(ctx, formatter)

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the "Arguments" section: each :class:`Argument` with its help."""
        rows = [
            (_label(param), param.help or "")
            for param in self.get_params(ctx)
            if isinstance(param, Argument)
        ]
        if rows:
            with formatter.section("Arguments"):
                formatter.write_dl(rows)


def _label(argument: Argument) -> str:
    """The argument's name in the help table: its metavar without the optional brackets."""
    metavar = argument.metavar or (argument.name or "").upper()
    if metavar.startswith("[") and metavar.endswith("]"):
        return metavar[1:-1]
    return metavar


def argument(name: str, *, help: str, **attrs: Any) -> Callable[[F], F]:
    """``click.argument`` for an :class:`Argument` with a help text.

    Args:
        name: the parameter's name (the command function's argument).
        help: what the argument is, for ``--help``.
        **attrs: other ``click.Argument`` settings.

    Returns:
        The decorator adding the argument to a command.
    """
    return click.argument(name, cls=Argument, help=help, **attrs)


# Each shared parameter is a function building a new decorator per use: click before
# 8.1 pops settings out of a decorator's own arguments when it runs, so one decorator
# object applied to two commands would lose them the second time.


def target_argument(command: F) -> F:
    """Add TARGET, the app to load (``pkg.module:attr``, ``app.py``, ``app.py:Root``)."""
    return argument(
        "target",
        metavar="[TARGET]",
        required=False,
        help="The app: pkg.module:attr, app.py or app.py:Root. "
        "Default: [tool.cherry] app or CHERRY_APP.",
    )(command)


def config_option(command: F) -> F:
    """Add ``--config``/``-c``, the config file to mount the app with."""
    return click.option(
        "--config",
        "-c",
        metavar="FILE",
        type=click.Path(path_type=Path),
        help="Config file: [global] updates the framework config, path sections the app's. "
        "Default: [tool.cherry] config or CHERRY_CONFIG.",
    )(command)


def compat_option(command: F) -> F:
    """Add ``--compat``, which installs the CherryPy compatibility layer first."""
    return click.option(
        "--compat", is_flag=True, help="Run an unchanged CherryPy app ('import cherrypy')."
    )(command)
