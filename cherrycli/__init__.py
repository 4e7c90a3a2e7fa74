"""Cherry's developer toolchain: the ``cherry`` command and the libraries behind it.

The command itself lives in :mod:`cherrycli.main`; each subcommand is a thin click
command in :mod:`cherrycli.commands` over a plain library module or package
(``scaffold``, ``serve``, ``reload``, ``routes``, ``importer``...). Importing this
package is free: it defines only the version and :func:`run`, the console script,
so ``cherry --help`` stays instant.
"""

from __future__ import annotations

__all__ = ["__version__", "run"]

# Kept equal to [project] version in pyproject.toml (a test checks it).
__version__ = "0.1.0"


def run() -> None:
    """The ``cherry`` console script: :func:`cherrycli.main.main`, started quietly.

    The command line library loads while :mod:`cherrycli.main` imports, a few tenths of
    a second in which Ctrl-C would otherwise print a traceback of import machinery:
    here it exits with status 130 (killed by SIGINT), as it does once running.

    Raises:
        SystemExit: always, with the command's status.
    """
    try:
        from cherrycli.main import main
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    main()
