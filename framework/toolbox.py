"""The default toolbox: every built-in tool, one line each (``framework.tools``).

Each line names the tool, the hook point its callable runs at and its priority (lower
runs first). The toolbox object itself is the singleton in :mod:`framework._globals`;
this module fills it and is imported by the package facade, so the built-in tools exist
as soon as ``framework`` is imported. Each is registered lazily
(:meth:`~framework.core.tools.Toolbox.lazy`): its module is imported, and the tool made,
the first time a config key or decorator names it, so ``import framework`` does not load
the whole tool library. Applications add their own tools to the same box
(``framework.tools.mine = framework.Tool("before_handler", check)``).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from framework._globals import tools
from framework.core.tools import ErrorTool, HandlerTool, HandlerWrapperTool, Tool

__all__ = ["tools"]


def _lib(name: str) -> ModuleType:
    """The tool library module ``framework.lib.<name>``."""
    return import_module(f"framework.lib.{name}")


# name                  tool (hook point, callable, priority)
tools.lazy("encode", lambda: _lib("encoding").EncodeTool())
tools.lazy("trailing_slash", lambda: _lib("cptools").TrailingSlashTool())
tools.lazy("response_headers", lambda: Tool("on_start_resource", _lib("cptools").response_headers))
tools.lazy("allow", lambda: Tool("on_start_resource", _lib("cptools").allow))
tools.lazy("log_tracebacks", lambda: Tool("before_error_response", _lib("cptools").log_traceback))
tools.lazy(
    "log_headers", lambda: Tool("before_error_response", _lib("cptools").log_request_headers)
)
tools.lazy("json_in", lambda: Tool("before_request_body", _lib("jsontools").json_in, priority=30))
tools.lazy("json_out", lambda: HandlerWrapperTool(_lib("jsontools").json_out_wrapper, priority=30))
tools.lazy("params", lambda: HandlerWrapperTool(_lib("params").convert_wrapper, priority=15))
tools.lazy("expires", lambda: Tool("before_finalize", _lib("cptools").expires))
tools.lazy("auth_basic", lambda: _lib("auth_basic").BasicAuthTool())
tools.lazy("auth_digest", lambda: _lib("auth_digest").DigestAuthTool())
tools.lazy("proxy", lambda: _lib("proxy").ProxyTool())
tools.lazy("referer", lambda: _lib("headertools").RefererTool())
tools.lazy("accept", lambda: _lib("headertools").AcceptTool())
tools.lazy("autovary", lambda: _lib("headertools").AutovaryTool())
tools.lazy(
    "ignore_headers", lambda: Tool("before_request_body", _lib("headertools").ignore_headers)
)
tools.lazy("decode", lambda: Tool("before_request_body", _lib("encoding").decode))
tools.lazy("redirect", lambda: Tool("on_start_resource", _lib("cptools").redirect))
tools.lazy("err_redirect", lambda: ErrorTool(_lib("cptools").redirect))
tools.lazy("flatten", lambda: Tool("before_finalize", _lib("cptools").flatten))
tools.lazy("log_hooks", lambda: Tool("on_end_request", _lib("cptools").log_hooks, priority=100))
tools.lazy("cpstats", lambda: _lib("cpstats").StatsTool())
tools.lazy("xmlrpc", lambda: ErrorTool(_lib("xmlrpcutil").on_error))
tools.lazy("cors", lambda: _lib("cors").CorsTool())
tools.lazy("session_auth", lambda: _lib("session_auth").SessionAuthTool())
tools.lazy(
    "etags", lambda: Tool("before_finalize", _lib("conditional").validate_etags, priority=75)
)
tools.lazy("gzip", lambda: Tool("before_finalize", _lib("compression").gzip, priority=80))
tools.lazy("caching", lambda: _lib("caching").CachingTool())
tools.lazy("sessions", lambda: import_module("framework.lib.sessions.tool").SessionTool())
tools.lazy("staticdir", lambda: _lib("static").StaticDirTool())
tools.lazy("staticfile", lambda: HandlerTool(_lib("static").staticfile))
tools.lazy("jinja", lambda: HandlerWrapperTool(_lib("templating").jinja_wrapper, priority=30))
tools.lazy("mako", lambda: HandlerWrapperTool(_lib("templating").mako_wrapper, priority=30))
