"""The ``cherry`` command: a click group that registers one subcommand per module.

Each ``cherrycli/commands/<name>.py`` defines ``<name>_command`` and imports only click
and the standard library at module level; everything heavy (the framework, rich,
jinja2, mako, cProfile) is imported inside the command body. That keeps ``cherry
--help`` quick, which ``tests/cli/test_main.py`` guards and ``bench/reload_bench.py``
times next to ``uvicorn --help``.

:func:`main` is the console-script entry point. It runs the group in click's
non-standalone mode, so every failure comes back here: a
:class:`~cherrycli.errors.CliError` raised anywhere below, or a parser error (bad
option, bad value, unknown command), is printed as one line on stderr and exits with
its code (1 for failures, 2 for usage mistakes), so a user never sees a traceback for
their own mistake.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, NoReturn

# PERF: the parser is click itself, not typer. typer builds the same click commands from
# type hints at a cost that grows with its releases (its rich help pulls in markdown-it
# and pygments; 0.29 builds every option through pydantic), paid before `--help` prints
# anything. Help is click's plain text; results and errors still go through rich
# (cherrycli.console), imported when used.
import click

from cherrycli import __version__
from cherrycli.errors import USAGE_EXIT, CliError

__all__ = ["COMMANDS", "cli", "main"]

# Order is the order shown by `cherry --help`.
COMMANDS = ("new", "serve", "check", "routes", "profile", "test")


class _Group(click.Group):
    """Lists the commands in :data:`COMMANDS` order (click sorts them by name)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(
    cls=_Group,
    epilog="Run 'cherry COMMAND --help' for a command's options and examples.",
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
)
@click.version_option(
    __version__,
    "--version",
    "-V",
    prog_name="cherry",
    message="%(prog)s %(version)s",
    help="Print the version and exit.",
)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Cherry's developer toolchain: create, serve, inspect, profile and test apps."""
    name = ctx.invoked_subcommand
    command = cli.get_command(ctx, name) if name else None
    if name is None or command is None:
        return
    from cherrycli.settings import command_defaults, load_settings

    params = {
        param.name: param
        for param in command.params
        if param.name and param.param_type_name == "option"
    }
    options = {key: bool(getattr(param, "multiple", False)) for key, param in params.items()}
    settings = load_settings()
    defaults = command_defaults(settings, name, options)
    if defaults:
        _check_defaults(ctx, settings, name, params, defaults)
        ctx.default_map = {name: defaults}


def _check_defaults(
    ctx: click.Context,
    settings: Any,
    command: str,
    params: dict[str, click.Parameter],
    defaults: dict[str, Any],
) -> None:
    """Refuse a bad value from the environment or pyproject.toml, naming where it was set.

    The parser would check it too, but its message names ``--fail-under``, which the
    user never typed.

    Raises:
        CliError: (exit 2) a value the option's type refuses.
    """
    from cherrycli.settings import default_origins

    origins = default_origins(settings, command, defaults)
    for name, value in defaults.items():
        param = params[name]
        try:
            param.type_cast_value(ctx, value)
        except click.BadParameter as error:
            flag = max(param.opts, key=len)
            raise CliError(
                f"{origins[name]} is not a valid {flag}: {error.message}",
                exit_code=USAGE_EXIT,
            ) from None


def _register() -> None:
    for name in COMMANDS:
        module = importlib.import_module(f"cherrycli.commands.{name}")
        cli.add_command(getattr(module, f"{name}_command"), name)


_register()


def _fail(error: CliError) -> NoReturn:
    from cherrycli.console import print_error

    print_error(error)
    sys.exit(error.exit_code)


def main(argv: list[str] | None = None) -> None:
    """Run the ``cherry`` command line and exit with its status.

    Args:
        argv: arguments without the program name; ``sys.argv[1:]`` when None. None
            at all (a bare ``cherry``) shows the help.

    Raises:
        SystemExit: always, with 0 on success, 1 on failure, 2 on a usage error, 130
            after Ctrl-C (quietly: the user asked for it).
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        result: Any = cli.main(args=args or ["--help"], prog_name="cherry", standalone_mode=False)
    except CliError as error:
        _fail(error)
    except click.UsageError as error:
        path = error.ctx.command_path if error.ctx is not None else "cherry"
        hint = f"see '{path} --help'"
        _fail(CliError(error.format_message(), hint=hint, exit_code=USAGE_EXIT))
    except click.ClickException as error:
        _fail(CliError(error.format_message(), exit_code=error.exit_code))
    except click.Abort:
        _fail(CliError("aborted", exit_code=1))
    except KeyboardInterrupt:
        sys.exit(130)
    # Non-standalone click returns the exit code of --help/--version, else the result.
    sys.exit(result if isinstance(result, int) else 0)
