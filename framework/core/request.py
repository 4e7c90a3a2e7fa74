"""The request object and the pipeline that turns it into a response.

:meth:`Request.respond` reads top to bottom like the HTTP exchange, setting
``request.stage`` as it goes so errors and logs say where they happened::

    process_headers -> get_resource -> on_start_resource -> process_query_string
    -> before_request_body -> (body) -> before_handler -> handler
    -> before_finalize -> finalize -> on_end_resource

An :class:`~framework.errors.HTTPError` or :class:`~framework.errors.HTTPRedirect`
raised anywhere renders itself and still runs ``before_finalize``; any other
exception goes through ``before_error_response``, ``request.error_response`` and
``after_error_response``. Expensive attributes (headers, cookies, body, remote
address) are built lazily from the WSGI environ on first use.
"""

from __future__ import annotations

import uuid
from http.cookies import CookieError, Morsel, SimpleCookie
from typing import TYPE_CHECKING, Any

from framework._globals import config as global_config
from framework.body import RequestBody
from framework.core.plan import REQUEST_NAMESPACES
from framework.dispatch import Dispatcher
from framework.errors import HTTPError, HTTPRedirect, InternalRedirect, format_exc, log_exception
from framework.headers import cookie_pairs, decode_header_value
from framework.hooks import Hook, HookMap
from framework.httputil import HeaderMap, Host, parse_query_string
from framework.origins import host_allowed, valid_host

if TYPE_CHECKING:
    from functools import cached_property

    from framework.core.application import Application
    from framework.core.plan import Plan
    from framework.core.response import Response
    from framework.lib.sessions.base import Session

# COMPAT: CherryPy's request module holds the hook classes (cherrypy._cprequest.Hook).
__all__ = ["Hook", "HookMap", "Request"]

if not TYPE_CHECKING:

    class cached_property:
        """``functools.cached_property`` without its lock.

        # PERF: on Python 3.11 the stdlib version takes an RLock on every first access,
        which is most of what a request's lazy attributes cost. A request belongs to
        one thread, so there is nothing to lock.
        """

        def __init__(self, func: Any) -> None:
            self.func = func
            self.__doc__ = func.__doc__
            self.attrname = func.__name__

        def __set_name__(self, owner: type, name: str) -> None:
            self.attrname = name

        def __get__(self, instance: Any, owner: type | None = None) -> Any:
            if instance is None:
                return self
            value = instance.__dict__[self.attrname] = self.func(instance)
            return value


_HEADER_NAMES: dict[str, str] = {}


def _header_name(key: str) -> str:
    # PERF: environ keys repeat across requests; title-case each one once.
    name = _HEADER_NAMES.get(key)
    if name is None:
        name = key[5:].replace("_", "-").title()
        if len(_HEADER_NAMES) < 4096:
            _HEADER_NAMES[key] = name
    return name


_NO_HOOKS = HookMap()


def _default_error_response() -> None:
    HTTPError(500).set_response()


class Request:
    """An HTTP request being served (``framework.request`` in handlers and tools).

    Class attributes are the defaults that ``request.*`` config overrides per path.
    """

    # -- configurable defaults (request.* config) ------------------------------------
    show_tracebacks = True
    show_mismatched_params = True
    throw_errors = False
    throws: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit, InternalRedirect)
    methods_with_bodies: tuple[str, ...] = ("POST", "PUT", "PATCH")
    process_request_body = True
    dispatch: Any = Dispatcher()
    error_page: dict[str, Any] = {}
    error_response: Any = staticmethod(_default_error_response)
    login: str | None = None
    is_index: bool | None = None
    handler: Any = None
    prev: Request | None = None
    closed = False
    stage: str | None = None
    json: Any = None
    #: Hosts this site answers for and may redirect to (config ``request.allowed_hosts``;
    #: ``".example.com"`` allows subdomains). Empty: any valid ``Host``, and redirects
    #: only to the request's own host (:mod:`framework.origins`).
    allowed_hosts: tuple[str, ...] | list[str] = ()
    plan: Plan | None = None
    #: How %-escapes in the query string decode (``request.query_string_encoding``).
    query_string_encoding = "utf-8"
    #: Tool arguments by namespace and tool, set from the plan (CherryPy's toolmaps).
    toolmaps: dict[str, Any] = {}  # replaced per request, never mutated
    # Until get_resource() finds the plan: no hooks (a shared map nobody attaches to;
    # request.hooks hands out a private copy).
    _hooks: HookMap = _NO_HOOKS
    #: Per-request config namespaces of your own (:data:`framework.core.plan.REQUEST_NAMESPACES`).
    namespaces = REQUEST_NAMESPACES
    #: This request's session (set by the ``sessions`` tool; ``framework.session``).
    session: Session | None = None
    #: Set by the ``caching`` tool: served from the cache / may be stored in it.
    cached = False
    cacheable = False

    def __init__(
        self,
        environ: dict[str, Any],
        app: Application,
        path_info: str,
        response: Response,
    ) -> None:
        self.wsgi_environ = environ
        self.app = app
        self.response = response
        self.method: str = environ["REQUEST_METHOD"]
        self.script_name: str = app.mount_point(environ)
        self.path_info = path_info
        self.query_string: str = environ.get("QUERY_STRING", "")
        self.scheme: str = environ.get("wsgi.url_scheme", "http")
        self.server_protocol: str = environ.get("SERVER_PROTOCOL", "HTTP/1.0")
        self.params: dict[str, Any] = {}
        self.time = response.time

    # -- lazily built attributes ---------------------------------------------------------
    @cached_property
    def protocol(self) -> tuple[int, int]:
        """The request's HTTP version as a tuple, e.g. ``(1, 1)``."""
        proto = self.server_protocol
        if proto.startswith("HTTP/") and len(proto) == 8 and proto[6] == ".":
            try:
                return int(proto[5]), int(proto[7])
            except ValueError:
                pass
        return (1, 0)

    @cached_property
    def headers(self) -> HeaderMap:
        """The request headers (case-insensitive)."""
        environ = self.wsgi_environ
        names = _HEADER_NAMES
        headers = HeaderMap.__new__(HeaderMap)
        # PERF: one comprehension over the environ; known names are a dict lookup, and
        # only a value holding an RFC 2047 encoded word ("=?") is decoded.
        dict.update(
            headers,
            {
                names.get(key) or _header_name(key): (
                    value if "=?" not in value else decode_header_value(value)
                )
                for key, value in environ.items()
                if key[:5] == "HTTP_"
            },
        )
        ctype = environ.get("CONTENT_TYPE")
        if ctype:
            dict.__setitem__(headers, "Content-Type", ctype)
        clen = environ.get("CONTENT_LENGTH")
        if clen:
            dict.__setitem__(headers, "Content-Length", clen)
        return headers

    @cached_property
    def unique_id(self) -> str:
        """A random UUID4 naming this request (in logs: ``{i}``), made on first use."""
        return str(uuid.uuid4())

    @cached_property
    def header_list(self) -> list[tuple[str, str]]:
        """The request headers as ``(name, value)`` pairs."""
        return list(self.headers.items())

    @cached_property
    def cookie(self) -> SimpleCookie:
        """Cookies sent by the client.

        Each ``name=value`` pair is read on its own and a malformed one is skipped, so
        one bad cookie (set by some other script on the domain) never costs the others.
        CherryPy answers 400 to the whole request instead, which locks the user out
        until they clear their cookies.
        """
        cookie: SimpleCookie = SimpleCookie()
        raw = self.wsgi_environ.get("HTTP_COOKIE")
        if raw:
            # Our own linear split (framework.headers.cookie_pairs), not the stdlib's
            # backtracking parser; each pair becomes a Morsel as SimpleCookie.load
            # would make it, and a pair the stdlib refuses is skipped.
            for name, coded in cookie_pairs(raw):
                if name[0] == "$" or not coded.isprintable() or _unterminated(coded):
                    continue  # an RFC 2109 attribute, a control character, a lone quote
                morsel: Morsel[str] = Morsel()
                try:
                    morsel.set(name, cookie.value_decode(coded)[0], coded)
                except CookieError:
                    continue
                dict.__setitem__(cookie, name, morsel)
        return cookie

    @cached_property
    def remote(self) -> Host:
        """The client's address."""
        environ = self.wsgi_environ
        return Host(
            environ.get("REMOTE_ADDR", ""),
            _int(environ.get("REMOTE_PORT"), -1),
            environ.get("REMOTE_HOST", ""),
        )

    @cached_property
    def local(self) -> Host:
        """The server's address for this connection."""
        environ = self.wsgi_environ
        return Host(
            environ.get("SERVER_ADDR", ""),
            _int(environ.get("SERVER_PORT"), 80),
            environ.get("SERVER_NAME", ""),
        )

    @cached_property
    def base(self) -> str:
        """Scheme and host, e.g. ``http://example.com:8080`` (from the Host header)."""
        environ = self.wsgi_environ
        host = environ.get("HTTP_HOST")
        if not host:
            host = environ.get("SERVER_NAME", "localhost")
            port = environ.get("SERVER_PORT", "")
            default = "443" if self.scheme == "https" else "80"
            if port and port != default:
                host = f"{host}:{port}"
        return f"{self.scheme}://{host}"

    @cached_property
    def request_line(self) -> str:
        """The request line, e.g. ``GET /path?x=1 HTTP/1.1``."""
        uri = self.script_name + self.path_info
        if self.query_string:
            uri += "?" + self.query_string
        return f"{self.method} {uri} {self.server_protocol}"

    @cached_property
    def body(self) -> RequestBody:
        """The request body (read and parsed on demand)."""
        return RequestBody(self.wsgi_environ["wsgi.input"], self.headers, self.params)

    @cached_property
    def rfile(self) -> Any:
        """The raw input stream (``wsgi.input``)."""
        return self.wsgi_environ["wsgi.input"]

    @property
    def hooks(self) -> HookMap:
        """The hooks of this request; attaching here affects only this request."""
        hooks = self.__dict__.get("_own_hooks")
        if hooks is None:
            hooks = self._hooks.copy()
            self.__dict__["_own_hooks"] = self._hooks = hooks
        return hooks

    @hooks.setter
    def hooks(self, value: HookMap) -> None:
        self.__dict__["_own_hooks"] = self._hooks = value

    @property
    def qs(self) -> dict[str, Any]:
        """The parsed query string (a fresh dict)."""
        return parse_query_string(self.query_string)

    @property
    def config(self) -> dict[str, Any]:
        """The merged config for this request's path."""
        conf = self.__dict__.get("_config")
        if conf is None:
            return dict(global_config)
        return conf  # type: ignore[no-any-return]

    @config.setter
    def config(self, value: dict[str, Any]) -> None:
        self.__dict__["_config"] = value

    # -- the pipeline ------------------------------------------------------------------
    def respond(self) -> None:
        """Run the pipeline; the response object ends up finalized.

        Raises:
            InternalRedirect: to re-run the pipeline for another path.
        """
        try:
            try:
                try:
                    self._do_respond(self.response)
                except (HTTPRedirect, HTTPError) as inst:
                    self._respond_with(inst)
            finally:
                self.stage = "on_end_resource"
                if self._hooks["on_end_resource"]:
                    self._hooks.run("on_end_resource")
        except self.throws:
            raise
        except Exception:
            if self.throw_errors:
                raise
            self.handle_error()

    def _do_respond(self, response: Response) -> None:
        """The stages of a request, in order; each hook point runs the hooks attached."""
        self.stage = "process_headers"
        self.process_headers()
        self.stage = "get_resource"
        self.get_resource()
        # A hook may attach more hooks for this request (request.hooks makes the request
        # its own copy of the plan's map), so the map is read again at every point.
        self.stage = "on_start_resource"
        if self._hooks["on_start_resource"]:
            self._hooks.run("on_start_resource")
        self.stage = "process_query_string"
        self.process_query_string()
        self.stage = "before_request_body"
        if self._hooks["before_request_body"]:
            self._hooks.run("before_request_body")
        if self.process_request_body and self.method in self.methods_with_bodies:
            self.stage = "process_body"
            self.process_body()
        self.stage = "before_handler"
        if self._hooks["before_handler"]:
            self._hooks.run("before_handler")
        if self.handler:
            self.stage = "handler"
            body = self.handler()
            result_filter = self.plan.result_filter  # type: ignore[union-attr]
            response.body = body if result_filter is None else result_filter(body)
        self.stage = "before_finalize"
        if self._hooks["before_finalize"]:
            self._hooks.run("before_finalize")
        response.finalize()

    def _respond_with(self, inst: HTTPError | HTTPRedirect) -> None:
        """Render an HTTP error or redirect raised by a stage, then finalize."""
        # A body already set (a file a handler tool opened) is replaced: close it now.
        close = getattr(self.response.body, "close", None)
        if close is not None:
            close()
        inst.set_response()
        self.stage = "before_finalize (HTTPError)"
        self._hooks.run("before_finalize")
        self.response.finalize()

    def process_headers(self) -> None:
        """Check the request headers the pipeline relies on.

        Raises:
            HTTPError: 400 for an HTTP/1.1 request without ``Host``, or with one that
                is not ``name[:port]`` (it would end up in ``request.base``).
        """
        host = self.wsgi_environ.get("HTTP_HOST")
        if host is None:
            if self.server_protocol == "HTTP/1.1":
                raise HTTPError(400, "HTTP/1.1 requires a 'Host' request header.")
        elif host not in _GOOD_HOSTS:  # PERF: a set lookup for hosts seen before
            if not valid_host(host):
                raise HTTPError(400, "Invalid Host header.")
            if len(_GOOD_HOSTS) < 256:
                _GOOD_HOSTS.add(host)

    def get_resource(self) -> None:
        """Find the plan for this path and apply it: handler, config, hooks, settings."""
        plan = self.app.plan_for(self.path_info, self.method, self)
        self.plan = plan
        self._hooks = plan.hooks
        self.__dict__["_config"] = plan.config
        self.handler = plan
        self.is_index = plan.is_index
        self.toolmaps = plan.toolmaps
        if plan.customized:  # PERF: most paths set nothing more
            self._customize(plan)
        if self.allowed_hosts:
            host = self.wsgi_environ.get("HTTP_HOST", "")
            if not host_allowed(host, self.allowed_hosts):
                raise HTTPError(400, "Unexpected Host header.")

    def _customize(self, plan: Plan) -> None:
        """Apply the plan's per-path settings: error pages, request/response attributes."""
        if plan.error_page:
            self.error_page = plan.error_page
        if plan.error_response is not None:
            self.error_response = plan.error_response
        for name, value in plan.request_attrs:
            setattr(self, name, value)
        response = self.response
        for name, value in plan.response_attrs:
            setattr(response, name, value)
        if plan.response_headers:
            response.headers.update(plan.response_headers)
        for setup in plan.request_setups:
            setup()

    def process_query_string(self) -> None:
        """Merge the query string (then ``@popargs`` values) into ``params``.

        Raises:
            HTTPError: 400 if the query string is not valid in ``query_string_encoding``.
        """
        if self.query_string:
            encoding = self.query_string_encoding
            try:
                self.params.update(parse_query_string(self.query_string, encoding))
            except (UnicodeDecodeError, LookupError):
                raise HTTPError(
                    400, f"The query string could not be decoded as {encoding}."
                ) from None
        plan = self.plan
        if plan is not None and plan.params:
            self.params.update(plan.params)

    def process_body(self) -> None:
        """Read and parse the request body into ``params`` (with ``request.body.*`` config)."""
        body = self.body
        plan = self.plan
        if plan is not None:
            for name, value in plan.body_attrs:
                setattr(body, name, value)
        body.process()

    def handle_error(self) -> None:
        """Render an unexpected exception through the error hooks and error_response."""
        response = self.response
        try:
            if self.plan is None:
                # The path's plan (with its log_tracebacks tool) was never built.
                log_exception(f"Error while serving {self.request_line}")
            self._hooks.run("before_error_response")
            if self.error_response:
                self.error_response()
            self._hooks.run("after_error_response")
            response.finalize()
        except HTTPRedirect as inst:
            inst.set_response()
            response.finalize()

    def close(self) -> None:
        """Run ``on_end_request`` hooks once (after the body was sent).

        An exception there is logged, never raised: the response is already on its way.
        """
        if self.closed:
            return
        self.closed = True
        self.stage = "on_end_request"
        try:
            if self._hooks["on_end_request"]:
                self._hooks.run("on_end_request")
        except Exception:
            log_exception(f"Error in on_end_request of {self.request_line}")
        finally:
            body = self.__dict__.get("body")
            if body is not None:
                body.close()
            self.stage = "close"

    def bare_error(self, exc: BaseException | None = None) -> None:
        """Last-resort 500 when the error machinery itself failed."""
        response = self.response
        body = format_exc(exc).encode("utf-8") if self.show_tracebacks else b""
        response.output_status = "500 Internal Server Error"
        response.status = response.output_status
        response.header_list = [
            ("Content-Type", "text/plain;charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        response._body = [body]

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.script_name}{self.path_info}>"


#: Host values already found valid (bounded; most sites see a handful).
_GOOD_HOSTS: set[str] = set()


def _unterminated(value: str) -> bool:
    return value[:1] == '"' and (len(value) < 2 or value[-1] != '"')


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
