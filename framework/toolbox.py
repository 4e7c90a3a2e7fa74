"""The default toolbox: every built-in tool, one line each (``framework.tools``).

Each line names the tool, the hook point its callable runs at and its priority (lower
runs first). The toolbox object itself is the singleton in :mod:`framework._globals`;
this module fills it and is imported by the package facade, so the built-in tools exist
as soon as ``framework`` is imported. Applications add their own tools to the same box
(``framework.tools.mine = framework.Tool("before_handler", check)``).
"""

from __future__ import annotations

from framework._globals import tools
from framework.core.tools import ErrorTool, HandlerTool, HandlerWrapperTool, Tool
from framework.lib import (
    auth_basic,
    auth_digest,
    caching,
    compression,
    conditional,
    cors,
    cpstats,
    cptools,
    encoding,
    headertools,
    jsontools,
    params,
    proxy,
    session_auth,
    static,
    templating,
    xmlrpcutil,
)
from framework.lib.sessions.tool import SessionTool

__all__ = ["tools"]

# name                  tool (hook point, callable, priority)
tools.encode = encoding.EncodeTool()
tools.trailing_slash = cptools.TrailingSlashTool()
tools.response_headers = Tool("on_start_resource", cptools.response_headers)
tools.allow = Tool("on_start_resource", cptools.allow)
tools.log_tracebacks = Tool("before_error_response", cptools.log_traceback)
tools.log_headers = Tool("before_error_response", cptools.log_request_headers)
tools.json_in = Tool("before_request_body", jsontools.json_in, priority=30)
tools.json_out = HandlerWrapperTool(jsontools.json_out_wrapper, priority=30)
tools.params = HandlerWrapperTool(params.convert_wrapper, priority=15)
tools.expires = Tool("before_finalize", cptools.expires)
tools.auth_basic = auth_basic.BasicAuthTool()
tools.auth_digest = auth_digest.DigestAuthTool()
tools.proxy = proxy.ProxyTool()
tools.referer = headertools.RefererTool()
tools.accept = headertools.AcceptTool()
tools.autovary = headertools.AutovaryTool()
tools.ignore_headers = Tool("before_request_body", headertools.ignore_headers)
tools.decode = Tool("before_request_body", encoding.decode)
tools.redirect = Tool("on_start_resource", cptools.redirect)
tools.err_redirect = ErrorTool(cptools.redirect)
tools.flatten = Tool("before_finalize", cptools.flatten)
tools.log_hooks = Tool("on_end_request", cptools.log_hooks, priority=100)
tools.cpstats = cpstats.StatsTool()
tools.xmlrpc = ErrorTool(xmlrpcutil.on_error)
tools.cors = cors.CorsTool()
tools.session_auth = session_auth.SessionAuthTool()
tools.etags = Tool("before_finalize", conditional.validate_etags, priority=75)
tools.gzip = Tool("before_finalize", compression.gzip, priority=80)
tools.caching = caching.CachingTool()
tools.sessions = SessionTool()
tools.staticdir = static.StaticDirTool()
tools.staticfile = HandlerTool(static.staticfile)
tools.jinja = HandlerWrapperTool(templating.jinja_wrapper, priority=30)
tools.mako = HandlerWrapperTool(templating.mako_wrapper, priority=30)
