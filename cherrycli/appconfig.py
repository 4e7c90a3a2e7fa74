"""The app config file (``--config`` / ``[tool.cherry] config``): the toolchain's one reader.

Every command that loads an app (``serve``, ``routes``, ``profile``, the handler table
of ``test``) reads the file through :func:`read_config`, so a missing or malformed file
is worded, and exits, the same way everywhere. The format itself (INI sections whose
values are Python literals) is :mod:`framework.configfile`'s; this module only turns
its errors into :class:`~cherrycli.errors.CliError`.

It sits below every other toolchain module that reads the file (:mod:`cherrycli.routes`,
:mod:`cherrycli.serve`), so none of them needs another to read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cherrycli.errors import USAGE_EXIT, CliError

__all__ = ["read_config"]


def read_config(config: Path | None) -> dict[str, dict[str, Any]]:
    """Parse an app config file into ``{section: {key: value}}``.

    Args:
        config: the file, or None.

    Returns:
        The sections (empty without a file).

    Raises:
        CliError: the file is missing (exit 2, a usage error) or malformed (exit 1).
    """
    if config is None:
        return {}
    if not config.is_file():
        raise CliError(f"config file not found: {config}", exit_code=USAGE_EXIT)
    # Imported here: ``cherry --help`` must not import the framework.
    from framework.configfile import ConfigError, load

    try:
        return {str(section): dict(values) for section, values in load(str(config)).items()}
    except ConfigError as exc:
        raise CliError(str(exc)) from None
