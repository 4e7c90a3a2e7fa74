"""``cherry check``: load an app or a CherryPy script without serving it, and say what
would go wrong.

A thin click command over :func:`cherrycli.serve.loading.load_app` (the same loading
as ``cherry serve``: TARGET forms, ``--config``, ``--compat``, a script's ``__main__``
block) and :mod:`cherrycli.check` (the compatibility table, the config checker, the
route model), printing one table.

When the app fails to load (often because of a CherryPy name Cherry lacks), the table
still lists what the compatibility table says about the names its source uses, with
the load failure as an error.

Exit codes: 0 nothing would break at runtime (warnings may be listed); 1 something
would (an error in the table, or the app fails to load); 2 a usage error.
"""

from __future__ import annotations

from pathlib import Path

import click

from cherrycli.options import Command, compat_option, config_option, target_argument

__all__ = ["check_command"]


@click.command("check", cls=Command)
@target_argument
@config_option
@compat_option
def check_command(target: str | None, *, config: Path | None, compat: bool) -> None:
    """Check an app before serving it: a migration doctor for CherryPy apps.

    Loads TARGET as cherry serve would, without serving it, and lists in one table:
    CherryPy names and config keys it uses that Cherry does not provide or treats
    differently (with the compatibility table's reason), config-checker warnings
    (unknown keys and tools, wrong types, static paths), and routes that can never
    be reached. cherry serve prints the same warnings at start-up.

    Exit codes: 0 nothing would break (warnings may be listed); 1 something would;
    2 usage error.

    Examples:

    \b
        cherry check
        cherry check legacy.py --compat
        cherry check shop.app:Root --config config/prod.conf
    """
    from cherrycli.check import ERROR, find_problems, load_failure, print_table
    from cherrycli.errors import USAGE_EXIT, CliError
    from cherrycli.serve.loading import load_app
    from cherrycli.settings import load_settings

    settings = load_settings()
    config = config or settings.path("config")
    compat = compat or bool(settings.get_bool("compat"))
    try:
        tree = load_app(target, config, compat=compat, report=False)
        findings = find_problems(tree)
    except (Exception, SystemExit) as exc:
        if isinstance(exc, CliError) and exc.exit_code == USAGE_EXIT:
            raise  # TARGET itself is wrong: nothing was loaded to check
        findings = load_failure(exc, target or settings.get_str("app"))
    print_table(findings, target or settings.get_str("app") or "the app")
    if any(finding.severity == ERROR for finding in findings):
        raise SystemExit(1)
