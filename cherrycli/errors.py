"""The one exception type the toolchain shows to users.

Library code (importer, scaffold, routes...) raises :class:`CliError` with a message
that says what went wrong and, where possible, a hint saying what to do next. The entry
point in :mod:`cherrycli.main` catches it and prints a single line, never a traceback::

    raise CliError("module 'shop' not found", hint="run cherry from your project directory")

Usage mistakes that the argument parser cannot see (a bad NAME, a bad TARGET form) use
``exit_code=2`` so they exit like the parser's own usage errors.
"""

from __future__ import annotations

__all__ = ["USAGE_EXIT", "CliError"]

USAGE_EXIT = 2


class CliError(Exception):
    """A user-facing failure: one readable line and a non-zero exit.

    Args:
        message: what went wrong, in plain words.
        hint: optional advice on how to fix it.
        exit_code: process exit status (1 for failures, 2 for usage errors).
    """

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (hint: {self.hint})"
        return self.message
