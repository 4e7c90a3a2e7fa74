"""``cherrypy.lib.reprconf``: CherryPy's config-file helpers, on :mod:`framework.configfile`.

While the compat layer is installed, config files are read with CherryPy's rules
(interpolation, any expression); these are the module-level helpers CherryPy apps
and its test suite call: :func:`unrepr`, :func:`modules`, :func:`attributes` and
:class:`Parser` (``dict_from_file``).
"""

from __future__ import annotations

import importlib
import types
from typing import IO, Any

from framework.configfile import parse, unrepr

__all__ = ["Parser", "attributes", "modules", "unrepr"]


def modules(module_path: str) -> types.ModuleType:
    """Import ``module_path`` and return the module.

    Raises:
        ImportError: no such module.
    """
    return importlib.import_module(module_path)


def attributes(full_attribute_name: str) -> Any:
    """Return the object a dotted name ``package.module.attribute`` names.

    Raises:
        ImportError: the module part cannot be imported.
        AttributeError: the module has no such attribute.
    """
    module_path, _, attr = full_attribute_name.rpartition(".")
    return getattr(modules(module_path), attr)


class Parser:
    """Read a config file into ``{section: {key: value}}`` (CherryPy's ``Parser``)."""

    def dict_from_file(self, file: str | IO[str] | IO[bytes]) -> dict[str, dict[str, Any]]:
        """Parse a file name or open file.

        Raises:
            framework.configfile.ConfigError: the file is malformed.
        """
        return parse(file)
