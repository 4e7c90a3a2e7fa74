"""Cherry's developer toolchain: the ``cherry`` command and the libraries behind it.

The command itself lives in :mod:`cherrycli.main`; each subcommand is a thin click
command in :mod:`cherrycli.commands` over a plain library module or package
(``scaffold``, ``serve``, ``reload``, ``routes``, ``importer``...). Importing this
package is free: it defines only the version, so ``cherry --help`` stays instant.
"""

from __future__ import annotations

__all__ = ["__version__"]

# Kept equal to [project] version in pyproject.toml (a test checks it).
__version__ = "0.1.0"
