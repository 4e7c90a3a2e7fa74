"""``cherry profile``: placeholder until the profiling work lands.

Kept so :mod:`cherrycli.main` can register every command; it is replaced by the real
implementation written separately.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cherrycli.errors import CliError


def profile_command(
    target: Annotated[
        str | None, typer.Argument(help="App to profile: pkg.mod:attr or app.py[:attr].")
    ] = None,
) -> None:
    """Profile requests against an app in process (not implemented yet).

    Examples:

        cherry profile

        cherry profile myapp.app:Root / /about -n 500
    """
    raise CliError("cherry profile is not implemented yet")
