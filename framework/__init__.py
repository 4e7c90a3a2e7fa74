"""Cherry: a compact, typed, CherryPy-compatible object-publishing web framework.

This module is the public facade: the names a CherryPy application expects
(``expose``, ``tree``, ``config``, ``tools``, ``request``, ``response``,
``HTTPError``...) and the process singletons. Import cost is kept low: the engine,
the HTTP server (cheroot), sessions and the test client load on first use.

A minimal application::

    import framework

    class Root:
        @framework.expose
        def index(self):
            return "Hello world!"

    framework.quickstart(Root())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framework import dispatch, httputil, lib, toolbox
from framework._globals import config, log, tools, tree
from framework._version import __version__
from framework.context import request, response, serving, session
from framework.core.application import Application
from framework.core.config import Config
from framework.core.log import LogManager
from framework.core.tools import ErrorTool, HandlerTool, HandlerWrapperTool, Tool, Toolbox
from framework.core.tree import Tree
from framework.errors import HTTPError, HTTPRedirect, InternalRedirect, NotFound, TimeoutError
from framework.helpers import expose, popargs, url

if TYPE_CHECKING:
    from framework import process
    from framework.process.server import Server
    from framework.process.wspbus import Bus

__all__ = [
    "Application",
    "Config",
    "ErrorTool",
    "HTTPError",
    "HTTPRedirect",
    "HandlerTool",
    "HandlerWrapperTool",
    "InternalRedirect",
    "LogManager",
    "NotFound",
    "TimeoutError",
    "Tool",
    "Toolbox",
    "Tree",
    "__version__",
    "config",
    "dispatch",
    "engine",
    "expose",
    "httputil",
    "lib",
    "log",
    "popargs",
    "process",
    "quickstart",
    "request",
    "response",
    "server",
    "serving",
    "session",
    "toolbox",
    "tools",
    "tree",
    "url",
]

engine: Bus
server: Server

# The engine, the HTTP server and the test client load on first use: most programs
# importing the framework (a WSGI app under gunicorn, a test) never need them.
_LAZY = {
    "process": ("framework.process", None),
    "engine": ("framework.process", "bus"),
    "server": ("framework.process.server", "server"),
    "testing": ("framework.testing", None),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'framework' has no attribute {name!r}") from None
    import importlib

    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
    """Mount ``root``, start the engine and the HTTP server, and block until stopped."""
    from framework.process.server import quickstart as run

    run(root, script_name, config)
