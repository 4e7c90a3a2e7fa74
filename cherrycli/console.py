"""Shared rich consoles for the toolchain's output, with one theme.

Commands print results on :func:`stdout` and diagnostics on :func:`stderr`. Both honour
``NO_COLOR`` (any non-empty value turns colour off, see https://no-color.org) and fall
back to plain text when the stream is not a terminal, so output piped to a file or
captured by tests is free of escape codes. :func:`print_error` is how a
:class:`~cherrycli.errors.CliError` reaches the user: a single line on stderr.

rich is imported here, so modules on the ``cherry --help`` path import this one lazily.
"""

from __future__ import annotations

import os
from functools import cache

from rich.console import Console
from rich.markup import escape
from rich.theme import Theme

from cherrycli.errors import CliError

__all__ = ["PIPE_WIDTH", "THEME", "escape", "print_error", "say", "stderr", "stdout"]

#: Width of tables written to a pipe or file.
PIPE_WIDTH = 160

THEME = Theme(
    {
        "error": "bold red",
        "hint": "yellow",
        "ok": "green",
        "path": "cyan",
        "muted": "dim",
        "method": "magenta",
    }
)


def _no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))


def _console(*, stderr: bool) -> Console:
    """A themed console; with NO_COLOR, no escape code at all (not even bold or dim).

    Output that is not a terminal (a pipe, a file) gets 160 columns unless COLUMNS says
    otherwise: tables keep whole handler names and file:line there instead of cutting
    them at rich's default of 80.
    """
    no_color = _no_color()
    console = Console(
        theme=THEME,
        no_color=no_color,
        color_system=None if no_color else "auto",
        highlight=False,
        stderr=stderr,
    )
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = PIPE_WIDTH
    return console


@cache
def stdout() -> Console:
    """The console for a command's results.

    Returns:
        A rich Console on standard output.
    """
    return _console(stderr=False)


@cache
def stderr() -> Console:
    """The console for diagnostics and errors.

    Returns:
        A rich Console on standard error.
    """
    return _console(stderr=True)


def print_error(error: CliError) -> None:
    """Print ``error`` as one line on stderr: ``error: message (hint: ...)``.

    Args:
        error: the failure to show.
    """
    text = f"[error]error:[/error] {escape(error.message)}"
    if error.hint:
        text += f" [hint](hint: {escape(error.hint)})[/hint]"
    # soft_wrap: a long message stays one line instead of being folded at the width.
    stderr().print(text, soft_wrap=True)


def say(message: str, style: str = "muted") -> None:
    """Print one status line on stderr in a theme style, never wrapped.

    Args:
        message: plain text (markup in it is escaped).
        style: a :data:`THEME` style name.
    """
    stderr().print(f"[{style}]{escape(message)}[/{style}]", soft_wrap=True)
