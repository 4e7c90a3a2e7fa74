"""The ``cherry`` command: a typer app that registers one subcommand per module.

Each ``cherrycli/commands/<name>.py`` defines ``<name>_command`` and imports only typer
and the standard library at module level; everything heavy (the framework, jinja2,
mako, cProfile, rich tables) is imported inside the command body. That keeps
``cherry --help`` instant, which ``tests/cli/test_main.py`` guards.

:func:`main` is the console-script entry point. It turns a
:class:`~cherrycli.errors.CliError` raised anywhere below into one line on stderr and
its exit code (1 for failures, 2 for usage mistakes), so a user never sees a traceback
for their own mistake. The parser's usage errors exit 2.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from typing import Annotated, Any

import typer

from cherrycli import __version__
from cherrycli.errors import USAGE_EXIT, CliError
from cherrycli.lazyrich import import_rich_utils

# PERF: typer's help formatter without rich.markdown and rich.traceback (see lazyrich).
import_rich_utils()
_rich_utils: Any = importlib.import_module("typer.rich_utils")


def _usage_error_line(error: Exception) -> None:
    """Print a parser error (bad option, bad value) as one line, like a CliError."""
    if type(error).__name__ == "NoArgsIsHelpError":
        return  # bare `cherry`: the help is shown instead
    from cherrycli.console import print_error

    ctx = getattr(error, "ctx", None)
    path = getattr(ctx, "command_path", None) or "cherry"
    message = error.format_message()  # type: ignore[attr-defined]
    print_error(CliError(message, hint=f"see '{path} --help'", exit_code=USAGE_EXIT))


# typer draws usage errors in a multi-line panel; every other mistake is one line.
_rich_utils.rich_format_error = _usage_error_line

if os.environ.get("NO_COLOR"):
    # rich alone drops colours but keeps bold and dim; no colour system means no escapes.
    _rich_utils.COLOR_SYSTEM = None

__all__ = ["COMMANDS", "app", "main"]

# Order is the order shown by `cherry --help`.
COMMANDS = ("new", "serve", "routes", "profile", "test")

app = typer.Typer(
    name="cherry",
    help="Cherry's developer toolchain: create, serve, inspect, profile and test apps.",
    epilog="Run 'cherry COMMAND --help' for a command's options and examples.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"cherry {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Cherry's developer toolchain: create, serve, inspect, profile and test apps."""
    command = ctx.command.get_command(ctx, ctx.invoked_subcommand or "")  # type: ignore[attr-defined]
    if command is None:
        return
    from cherrycli.settings import command_defaults, load_settings

    options = {
        param.name: bool(getattr(param, "multiple", False))
        for param in command.params
        if param.name and param.param_type_name == "option"
    }
    defaults = command_defaults(load_settings(), command.name or "", options)
    if defaults:
        ctx.default_map = {command.name: defaults}


def reflow(doc: str) -> str:
    """Join the wrapped lines of each prose paragraph of a docstring.

    The help renderer keeps every newline and also wraps at the terminal width, so a
    docstring wrapped at 88 columns would show ragged breaks in an 80-column terminal.
    Indented blocks (the examples) keep their lines.
    """
    paragraphs = []
    for block in doc.strip().split("\n\n"):
        lines = block.splitlines()
        if any(line.startswith(" ") for line in lines):
            paragraphs.append(block)
        else:
            paragraphs.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs)


def _register() -> None:
    for name in COMMANDS:
        module = importlib.import_module(f"cherrycli.commands.{name}")
        command = getattr(module, f"{name}_command")
        # A command may widen its parsing (`cherry test -k x` passes -k on to pytest).
        settings = getattr(module, "CONTEXT_SETTINGS", None)
        help_text = reflow(inspect.getdoc(command) or "")
        app.command(name, help=help_text, context_settings=settings)(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Run the ``cherry`` command line and exit with its status.

    Args:
        argv: arguments without the program name; ``sys.argv[1:]`` when None.

    Raises:
        SystemExit: always, with 0 on success, 1 on failure, 2 on a usage error.
    """
    try:
        app(args=argv, prog_name="cherry")
    except CliError as error:
        from cherrycli.console import print_error

        print_error(error)
        sys.exit(error.exit_code)
