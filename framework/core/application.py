"""Applications: a root object mounted at a script name, and its WSGI entry point.

An :class:`Application` binds a root object to a mount point (``script_name``) with
its own path-section config and logs, and caches one request
:class:`~framework.core.plan.Plan` per (path, method). ``Application.__call__`` is the
WSGI adapter, in named stages:

1. ``_path_info``: the path below the mount point, decoded as UTF-8;
2. ``_respond``: build the request and response, run the pipeline
   (:meth:`~framework.core.request.Request.respond`), follow internal redirects,
   turn an escaped exception into a bare 500;
3. ``_send``: call ``start_response`` and hand back the body, which writes the access
   line once the server has sent it (:class:`LoggedBody`, :class:`StreamedBody`).

An :class:`~framework.context.Exchange` owns the request's lifetime: it is current
while the pipeline runs and while each chunk of a streamed body is produced, and it
is closed (``on_end_request``) exactly once: by the body's ``close()`` after the
server sent it, or at once when something fails before the body is handed over.

The access line is written when the server closes the body, after sending it: only a
body the server asked for to the end (its last write returned) counts as delivered,
so a response cut by a closed connection or by a shutdown's grace period is never
logged as a 200 (see :meth:`~framework.core.log.LogManager.access`).
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from framework.context import Exchange, activate, restore, serving
from framework.core import config as _config
from framework.core.log import LogManager
from framework.core.plan import Plan
from framework.core.request import Request
from framework.core.response import Response
from framework.dispatch import find_with
from framework.errors import InternalRedirect
from framework.wsgi import Pipeline

__all__ = ["PLAN_CACHE_SIZE", "Application", "DispatchObserver", "LoggedBody", "StreamedBody"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Called with each plan an application uses for a request (see ``Application.observers``).
DispatchObserver = Callable[["Application", Plan, Request], None]

#: How many distinct paths each application keeps plans for.
PLAN_CACHE_SIZE = 2048


class Application:
    """A root object mounted at ``script_name``, with its config and logs.

    Args:
        root: the root of the object tree (``None`` for an app of pure config).
        script_name: the mount point, ``""`` for the site root; no trailing slash.
            ``None`` takes it from each request's ``SCRIPT_NAME`` (for an app grafted
            inside other WSGI middleware).
        config: path sections (``{"/": {...}}``), a file name or an open file.
    """

    relative_urls: bool | str = False
    #: The class of ``framework.request`` for this app (CherryPy's ``Application.request_class``).
    request_class: type[Request] = Request

    #: Callables told about every dispatch, as ``observer(app, plan, request)``, right
    #: after the plan for a request is chosen (cached plans included). The pytest
    #: plugin records which handlers tests reach this way. Keep them cheap: they run
    #: on every request of every application.
    observers: list[DispatchObserver] = []

    def __init__(self, root: Any, script_name: str | None = "", config: Any = None) -> None:
        self.root = root
        self._script_name = None if script_name is None else script_name.rstrip("/")
        self.config: dict[str, dict[str, Any]] = {}
        self.log = LogManager(str(id(self)), "cherry")
        self._plans: dict[tuple[str, str], Plan] = {}
        self._generation = -1
        #: WSGI middleware around this app (CherryPy's ``app.wsgiapp``; ``wsgi.*`` config).
        self.wsgiapp = Pipeline(self._serve)
        self.namespaces: dict[str, Callable[[str, Any], None]] = {
            "log": self._log_namespace,
            "wsgi": self.wsgiapp.namespace_handler,
        }
        if config:
            self.merge(config)

    @property
    def script_name(self) -> str:
        """The mount point (``""`` at the site root); see :meth:`mount_point`."""
        if self._script_name is not None:
            return self._script_name
        request = serving.request
        return "" if request is None else self.mount_point(request.wsgi_environ)

    @script_name.setter
    def script_name(self, value: str | None) -> None:
        self._script_name = None if value is None else value.rstrip("/")

    def mount_point(self, environ: dict[str, Any]) -> str:
        """The mount point for a request: the configured one, else its ``SCRIPT_NAME``."""
        if self._script_name is not None:
            return self._script_name
        script_name: str = environ.get("SCRIPT_NAME", "")
        return script_name.rstrip("/")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.root!r}, {self.script_name!r})"

    def _log_namespace(self, key: str, value: Any) -> None:
        setattr(self.log, key, value)

    def merge(self, config: Any) -> None:
        """Merge path-section config (dict, file name or open file) into this app."""
        _config.merge(self.config, config)
        for key, value in self.config.get("/", {}).items():
            namespace, _, rest = key.partition(".")
            handler = self.namespaces.get(namespace)
            if handler is not None and rest:
                handler(rest, value)

    def find_config(self, path: str, key: str, default: Any = None) -> Any:
        """Return ``key`` from the deepest app-config section on ``path``."""
        trail = path or "/"
        while trail:
            section = self.config.get(trail)
            if section and key in section:
                return section[key]
            slash = trail.rfind("/")
            if slash == -1:
                break
            trail = "/" if slash == 0 and trail != "/" else trail[:slash]
        return default

    def plan_for(self, path_info: str, method: str, request: Request) -> Plan:
        """Return the (cached) plan for ``path_info`` and ``method``."""
        plans = self._plans
        # PERF: one int compare per request detects any config change.
        if self._generation != _config.generation:
            plans.clear()
            self._generation = _config.generation
        key = (path_info, method)
        plan = plans.get(key)
        if plan is None:
            dispatcher = self.find_config(path_info, "request.dispatch", request.dispatch)
            found = find_with(dispatcher, self, path_info, method, request)
            plan = Plan(found, path_info)
            if found.cacheable:
                if len(plans) >= PLAN_CACHE_SIZE:
                    plans.clear()
                plans[key] = plan
        if self.observers:
            for observer in self.observers:
                observer(self, plan, request)
        return plan

    # -- WSGI ---------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Serve one WSGI request (through :attr:`wsgiapp` when it has middleware)."""
        if self.wsgiapp.pipeline:
            return self.wsgiapp(environ, start_response)
        return self._serve(environ, start_response)

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Serve one WSGI request: the innermost app of :attr:`wsgiapp`."""
        path_info: str = environ.get("PATH_INFO", "")
        # PERF: an ASCII path at the app's own mount point needs no work.
        if environ.get("SCRIPT_NAME", "") != self._script_name or not path_info.isascii():
            path_info = self._path_info(environ)
        process = sys.modules.get("framework.process")
        if process is not None:  # the engine is loaded: tell it a request thread works
            process.announce_thread()
        exchange = self._respond(environ, path_info)
        try:
            return self._send(exchange, start_response)
        except BaseException:
            exchange.close()
            raise

    def _path_info(self, environ: dict[str, Any]) -> str:
        """The path below this app's mount point, decoded as UTF-8 if it is UTF-8.

        # COMPAT: a path that is not valid UTF-8 stays as the server decoded it
        # (Latin-1, PEP 3333), as in CherryPy, instead of being refused.
        """
        path_info: str = environ.get("PATH_INFO", "")
        script = environ.get("SCRIPT_NAME", "")
        mount = self._script_name
        if mount is not None and script != mount:
            full = script + path_info
            if mount and full.startswith(mount):
                path_info = full[len(mount) :]
        if not path_info.isascii():
            try:
                path_info = path_info.encode("latin-1").decode("utf-8")
            except UnicodeError:
                pass
        return path_info

    def _respond(self, environ: dict[str, Any], path_info: str) -> Exchange:
        """Run the pipeline, following internal redirects; return the final exchange.

        The exchange is current while the pipeline runs and never after.
        """
        redirections: list[str] = []
        prev: Request | None = None
        while True:
            response = Response()
            request = self.request_class(environ, self, path_info, response)
            if prev is not None:
                request.prev = prev
            exchange = Exchange(request, response)
            token = activate(exchange.pair)
            try:
                try:
                    request.respond()
                except InternalRedirect as redirect:
                    _note_redirect(request, redirect, redirections)
                    exchange.close()
                    environ = _redirected_environ(environ, redirect)
                    path_info = redirect.path
                    prev = request
                    continue
            except (KeyboardInterrupt, SystemExit):
                exchange.close()
                raise
            except Exception as exc:
                self.log.error("Unhandled error", "HTTP", logging.ERROR, traceback=True)
                request.bare_error(exc)
            finally:
                restore(token)
            if request.method == "HEAD":
                response.body = None
            return exchange

    def _send(self, exchange: Exchange, start_response: Callable[..., Any]) -> Any:
        """Start the response and return the WSGI body (which writes the access line)."""
        request, response = exchange.pair
        header_list = response.header_list
        if len(header_list) != response.finalized_headers:
            try:
                header_list = _text_headers(header_list)
            except TypeError as exc:
                # COMPAT: as CherryPy, a tool's bad entry is a 500 page naming it.
                self.log.error("Bad response header", "HTTP", logging.ERROR, traceback=True)
                request.bare_error(exc)
                header_list = response.header_list
        # PERF: no access-log handler means no line to write after sending.
        log = self.log if self.log.access_log.hasHandlers() else None
        start_response(response.output_status, header_list)
        body = response.body
        if response.stream or type(body) is not list:
            # Not a list: a buffered response whose Content-Length was set before a
            # tool wrapped its body in a generator; it is sent as it is produced.
            wrapper = request.wsgi_environ.get("wsgi.file_wrapper")
            if wrapper is not None and isinstance(wrapper, type) and isinstance(body, wrapper):
                # The server's own file wrapper goes back untouched, so it can use
                # sendfile(); its close() also ends the request.
                return _closing_file_wrapper(body, exchange, log)
            return StreamedBody(exchange, log)
        if body and isinstance(body[0], str):
            body = list(response.iter_body())
        if log is not None:
            return LoggedBody(body, exchange, log)
        # PERF: only a request with end-of-request work needs a body that closes it.
        request_body = request.__dict__.get("body")
        if request._hooks["on_end_request"] or (
            request_body is not None and request_body.holds_files
        ):
            return ClosingBody(body, exchange)
        exchange.closed = True
        return body


def _text_headers(header_list: list[tuple[Any, Any]]) -> list[tuple[str, str]]:
    """Headers as WSGI wants them: ``str``; ``bytes`` names and values decoded as Latin-1.

    # COMPAT: CherryPy's ``response.header_list`` holds bytes, and tools that append
    to it after finalize (at ``on_end_resource``) write bytes.

    Raises:
        TypeError: a name or value is neither ``str`` nor ``bytes`` (the message names
            it in CherryPy's words).
    """
    return [(_text(name, "key"), _text(value, "value")) for name, value in header_list]


def _text(item: Any, part: str) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, bytes):
        return item.decode("latin-1")
    raise TypeError(
        f"response.header_list {part} {item!r} is not a byte string. "
        "Header names and values must be str (or bytes, read as Latin-1)."
    )


def _note_redirect(request: Request, redirect: InternalRedirect, seen: list[str]) -> None:
    """Record the URL being left; refuse a loop.

    Raises:
        RuntimeError: the redirect leads to a URL already visited.
    """
    script_name = request.script_name
    old = script_name + request.path_info
    if request.query_string:
        old += "?" + request.query_string
    seen.append(old)
    new = script_name + redirect.path
    if redirect.query_string:
        new += "?" + redirect.query_string
    if new in seen:
        raise RuntimeError(f"InternalRedirect visited the same URL twice: {new!r}")


def _redirected_environ(environ: dict[str, Any], redirect: InternalRedirect) -> dict[str, Any]:
    new = dict(environ)
    new["REQUEST_METHOD"] = "GET"
    new["PATH_INFO"] = redirect.path
    new["QUERY_STRING"] = redirect.query_string
    new["wsgi.input"] = io.BytesIO()
    new["CONTENT_LENGTH"] = "0"
    new.pop("CONTENT_TYPE", None)
    return new


def _closing_file_wrapper(body: Any, exchange: Exchange, log: LogManager | None) -> Any:
    """Make the server's file wrapper end the request when the server closes it.

    The server sends a wrapped file itself (with sendfile() where it can), so it alone
    knows whether all of it went out: the access line is written at ``close()``.
    """
    close_file = getattr(body, "close", None)

    def close() -> None:
        try:
            if close_file is not None:
                close_file()
        finally:
            try:
                if log is not None:
                    _log_access(log, exchange, delivered=True)
            finally:
                exchange.close()

    body.close = close
    return body


class ClosingBody(list[bytes]):
    """A fixed body whose ``close()`` (called by the server once sent) ends the request."""

    def __init__(self, body: Iterable[bytes], exchange: Exchange) -> None:
        super().__init__(body)
        self.exchange = exchange

    def close(self) -> None:
        """Run the end-of-request hooks."""
        self.exchange.close()


def _log_access(log: LogManager, exchange: Exchange, delivered: bool) -> None:
    """Write the access line of a sent (or undelivered) response; never raise."""
    try:
        log.access(exchange.request, exchange.response, delivered=delivered)
    except Exception:
        log.error("Access log failed", "HTTP", logging.ERROR, traceback=True)


class LoggedBody:
    """A fixed body that writes the access line when the server closes it.

    The server asks for the chunk after the last one only once every write before it
    has returned: reaching the end is what "delivered" means. ``close()`` then writes
    the line and ends the request.
    """

    __slots__ = ("body", "delivered", "exchange", "log")

    def __init__(self, body: Iterable[bytes], exchange: Exchange, log: LogManager) -> None:
        self.body = body
        self.exchange = exchange
        self.log = log
        self.delivered = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.body
        self.delivered = True

    def close(self) -> None:
        """Write the access line, then run the end-of-request hooks."""
        try:
            _log_access(self.log, self.exchange, self.delivered)
        finally:
            self.exchange.close()


class StreamedBody:
    """The WSGI iterable for a streamed response.

    The exchange is current again while each chunk is produced (so a generator can
    still use ``framework.request``), and ``close()`` writes the access line (when
    ``log`` is given) and ends the request. An exception while producing a chunk is
    logged and re-raised, so the server cuts the connection instead of framing a
    truncated body as complete.
    """

    def __init__(self, exchange: Exchange, log: LogManager | None = None) -> None:
        self.exchange = exchange
        self.log = log
        self.delivered = False
        self._iter: Iterator[Any] = iter(exchange.response.body)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        with self.exchange:
            try:
                chunk = next(self._iter)
            except StopIteration:
                self.delivered = True  # every chunk before this one was written
                raise
            except Exception:
                self.exchange.request.app.log.error(
                    "Error while streaming the response body", "HTTP", logging.ERROR, traceback=True
                )
                raise
        return chunk.encode("utf-8") if isinstance(chunk, str) else chunk

    def close(self) -> None:
        """Close the body's iterator, write the access line, end the request."""
        try:
            close = getattr(self._iter, "close", None)
            if close is not None:
                with self.exchange:
                    close()
        finally:
            try:
                if self.log is not None:
                    _log_access(self.log, self.exchange, self.delivered)
            finally:
                self.exchange.close()
