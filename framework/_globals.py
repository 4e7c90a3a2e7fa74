"""The process-wide singletons: the global config, the site log, the mount tree, the tools.

Every module that needs one imports it from here (never from the package facade,
which only re-exports). This module imports nothing above the leaf modules that
define the classes, so importing it can never form a cycle. The other singletons
live with their layer: the context-locals (``request``, ``response``, ``serving``)
in :mod:`framework.context`, the engine in :mod:`framework.process` and the HTTP
server in :mod:`framework.process.server`, both loaded on first use.
"""

from __future__ import annotations

from typing import Any

from framework.core import config as _config
from framework.core.config import Config
from framework.core.log import LogManager
from framework.core.tools import Toolbox
from framework.core.tree import Tree

__all__ = ["config", "log", "tools", "tree"]

#: The global configuration (``framework.config``).
config = Config()
#: The site's error and access logs (``framework.log``).
log = LogManager()
#: The mount table (``framework.tree``): a WSGI callable serving every mounted app.
tree = Tree()
#: The toolbox (``framework.tools``); :mod:`framework.toolbox` adds the built-in tools.
tools = Toolbox("tools")


def _log_namespace(key: str, value: Any) -> None:
    setattr(log, key, value)


def _tree_namespace(key: str, value: Any) -> None:
    # ``tree.<any> = Application(...)`` mounts it at its own script name;
    # ``tree.<any> = {"/path": wsgi_app}`` grafts each (CherryPy's ``tree`` namespace).
    if isinstance(value, dict):
        for script_name, app in value.items():
            tree.graft(app, script_name)
    else:
        tree.graft(value, value.script_name)


# ``log.*`` keys of the global config configure the site log; ``tree.*`` mount apps.
_config.namespace_handlers["log"] = _log_namespace
_config.namespace_handlers["tree"] = _tree_namespace
