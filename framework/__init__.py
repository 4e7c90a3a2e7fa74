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

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from framework import dispatch, httputil, lib
from framework.context import request, response, serving
from framework.core.config import Config
from framework.core.log import LogManager
from framework.core.tools import ErrorTool, HandlerTool, HandlerWrapperTool, Tool, Toolbox, tools
from framework.core.tree import Application, Tree
from framework.errors import HTTPError, HTTPRedirect, InternalRedirect, NotFound, TimeoutError
from framework.helpers import expose, popargs, url

if TYPE_CHECKING:
    from framework import process
    from framework.process.server import Server
    from framework.process.wspbus import Bus

__all__ = [
    "Application",
    "ErrorTool",
    "HTTPError",
    "HTTPRedirect",
    "HandlerTool",
    "HandlerWrapperTool",
    "InternalRedirect",
    "NotFound",
    "TimeoutError",
    "Tool",
    "Toolbox",
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
    "tools",
    "tree",
    "url",
]

#: The global configuration.
config = Config()
#: The mount table; a WSGI callable serving every mounted application.
tree = Tree()
#: The global error and access logs.
log = LogManager()

engine: Bus
server: Server


def _lazy(name: str) -> Any:
    if name == "process":
        import framework.process as process_module

        return process_module
    if name == "engine":
        from framework.process import bus

        return bus
    if name == "server":
        from framework.process.server import server as server_singleton

        return server_singleton
    if name == "quickstart":
        from framework.process.server import quickstart as quickstart_func

        return quickstart_func
    if name == "testing":
        import framework.testing as testing_module

        return testing_module
    raise AttributeError(f"module 'framework' has no attribute {name!r}")


def __getattr__(name: str) -> Any:
    value = _lazy(name)
    globals()[name] = value
    return value


def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
    """Mount ``root``, start the engine and the HTTP server, and block until stopped."""
    from framework.process.server import quickstart as run

    run(root, script_name, config)
