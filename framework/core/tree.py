"""Applications and the mount tree; both are WSGI callables.

An :class:`Application` binds a root object to a mount point (``script_name``) with
its own path-section config and logs. ``Application.__call__`` is the WSGI adapter:
it builds the :class:`~framework.core.request.Request` and
:class:`~framework.core.response.Response`, makes them current, runs the pipeline,
follows internal redirects, and returns the body. The :class:`Tree` routes a WSGI
request to the application mounted at the longest matching script name; foreign
WSGI apps can be grafted beside ours.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from framework.context import _current
from framework.core import config as _config
from framework.core.log import LogManager
from framework.core.plan import Plan
from framework.core.request import Request
from framework.core.response import Response
from framework.errors import InternalRedirect

__all__ = ["Application", "Tree"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: How many distinct paths each application keeps plans for.
PLAN_CACHE_SIZE = 2048


class Application:
    """A root object mounted at ``script_name``, with its config and logs.

    Args:
        root: the root of the object tree (``None`` for an app of pure config).
        script_name: the mount point, ``""`` for the site root; no trailing slash.
        config: path sections (``{"/": {...}}``), a file name or an open file.
    """

    relative_urls: bool | str = False

    def __init__(self, root: Any, script_name: str = "", config: Any = None) -> None:
        self.root = root
        self.script_name = script_name.rstrip("/")
        self.config: dict[str, dict[str, Any]] = {}
        self.log = LogManager(str(id(self)), "cherry")
        self._plans: dict[tuple[str, str], Plan] = {}
        self._generation = -1
        self.namespaces: dict[str, Callable[[str, Any], None]] = {"log": self._log_namespace}
        if config:
            self.merge(config)

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
        # PERF: one int compare per request detects any config change.
        generation = _config.generation()
        plans = self._plans
        if self._generation != generation:
            plans.clear()
            self._generation = generation
        key = (path_info, method)
        plan = plans.get(key)
        if plan is not None:
            return plan
        dispatcher = self.find_config(path_info, "request.dispatch", request.dispatch)
        found = None
        find = getattr(dispatcher, "find", None)
        if find is not None:
            found = find(self, path_info, method)
            plan = Plan(found, path_info)
        else:
            # COMPAT: a CherryPy-style dispatcher sets request.handler/config itself.
            dispatcher(path_info)
            from framework.dispatch import Found

            page_handler = request.handler
            bare: Callable[..., Any] | None = None
            if page_handler is not None:

                def bare(*args: Any, **kwargs: Any) -> Any:
                    # A CherryPy page handler holds its arguments and reads params itself.
                    return page_handler()

            found = Found(bare, (), dict(request.config), request.is_index)
            found.cacheable = False
            plan = Plan(found, path_info)
        if found.cacheable:
            if len(plans) >= PLAN_CACHE_SIZE:
                plans.clear()
            plans[key] = plan
        return plan

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Serve one WSGI request."""
        path_info = environ.get("PATH_INFO", "")
        script = environ.get("SCRIPT_NAME", "")
        if script != self.script_name:
            full = script + path_info
            if self.script_name and full.startswith(self.script_name):
                path_info = full[len(self.script_name) :]
        if not path_info.isascii():
            try:
                path_info = path_info.encode("latin-1").decode("utf-8")
            except UnicodeError:
                return _bare(start_response, "400 Bad Request", "Invalid UTF-8 in the URL path.")
        process = sys.modules.get("framework.process")
        if process is not None:
            # COMPAT: CherryPy publishes this per request so ThreadManager can run
            # start_thread listeners once per server thread.
            bus = process.bus
            if bus._ordered.get("acquire_thread"):
                bus.publish("acquire_thread")
        redirections: list[str] = []
        prev: Request | None = None
        while True:
            response = Response()
            request = Request(environ, self, path_info, response)
            if prev is not None:
                request.prev = prev
            token = _current.set((request, response))
            try:
                try:
                    request.respond()
                except InternalRedirect as redirect:
                    old = self.script_name + request.path_info
                    if request.query_string:
                        old += "?" + request.query_string
                    redirections.append(old)
                    new = self.script_name + redirect.path
                    if redirect.query_string:
                        new += "?" + redirect.query_string
                    if new in redirections:
                        raise RuntimeError(
                            f"InternalRedirect visited the same URL twice: {new!r}"
                        ) from None
                    request.close()
                    environ = _redirected_environ(environ, redirect)
                    path_info = redirect.path
                    prev = request
                    _current.reset(token)
                    continue
                if request.method == "HEAD":
                    response._body = []
            except (KeyboardInterrupt, SystemExit):
                _current.reset(token)
                raise
            except Exception as exc:
                self.log.error("Unhandled error", "HTTP", logging.ERROR, traceback=True)
                request.bare_error(exc)
            break
        try:
            self.log.access(request, response)
        except Exception:
            self.log.error("Access log failed", "HTTP", logging.ERROR, traceback=True)
        if response.stream:
            start_response(response.output_status, response.header_list)
            _current.reset(token)
            return _StreamedBody(request, response)
        start_response(response.output_status, response.header_list)
        body = response._body
        if body and isinstance(body[0], str):
            body = list(response.iter_body())
        # PERF: a fixed body is a ready list; run the end-of-request hooks now.
        if (
            request._hooks is not None and request._hooks["on_end_request"]
        ) or "body" in request.__dict__:
            try:
                request.close()
            except Exception:
                self.log.error("Error in on_end_request", "HTTP", logging.ERROR, traceback=True)
        _current.reset(token)
        return body


def _redirected_environ(environ: dict[str, Any], redirect: InternalRedirect) -> dict[str, Any]:
    import io

    new = dict(environ)
    new["REQUEST_METHOD"] = "GET"
    new["PATH_INFO"] = redirect.path
    new["QUERY_STRING"] = redirect.query_string
    new["wsgi.input"] = io.BytesIO()
    new["CONTENT_LENGTH"] = "0"
    new.pop("CONTENT_TYPE", None)
    return new


def _bare(start_response: Callable[..., Any], status: str, message: str) -> list[bytes]:
    body = message.encode("utf-8")
    start_response(
        status, [("Content-Type", "text/plain;charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


class _StreamedBody:
    """The WSGI iterable for a streamed response.

    The request context is made current again while each chunk is produced (so a
    generator can still use ``framework.request``), and ``close()`` runs the
    end-of-request hooks.
    """

    def __init__(self, request: Request, response: Response) -> None:
        self.request = request
        self.response = response
        self._iter: Iterator[Any] = iter(response._body)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        token = _current.set((self.request, self.response))
        try:
            chunk = next(self._iter)
        except StopIteration:
            raise
        except Exception:
            self.request.app.log.error(
                "Error while streaming the response body", "HTTP", logging.ERROR, traceback=True
            )
            raise StopIteration from None
        finally:
            _current.reset(token)
        return chunk.encode("utf-8") if isinstance(chunk, str) else chunk

    def close(self) -> None:
        token = _current.set((self.request, self.response))
        try:
            close = getattr(self._iter, "close", None)
            if close is not None:
                close()
            self.request.close()
        finally:
            _current.reset(token)


class Tree:
    """The mount table: routes a request to the app at the longest script name."""

    def __init__(self) -> None:
        self.apps: dict[str, Any] = {}

    def mount(self, root: Any, script_name: str = "", config: Any = None) -> Application:
        """Mount ``root`` (an object or an ``Application``) at ``script_name``.

        Raises:
            ValueError: if ``script_name`` ends with a slash.
        """
        if script_name is None:
            raise TypeError("script_name must be a string; use '' for the site root.")
        if script_name.endswith("/") and script_name != "/":
            raise ValueError(
                f"script_name {script_name!r} must not end with a slash; "
                f"mount at {script_name.rstrip('/')!r} instead."
            )
        script_name = script_name.rstrip("/")
        if isinstance(root, Application):
            app = root
            if script_name != "" and script_name != app.script_name:
                raise ValueError(
                    "Cannot mount an Application at a different script_name than its own."
                )
            script_name = app.script_name
            if config:
                app.merge(config)
        else:
            app = Application(root, script_name, config)
            if root is not None and config is not None:
                # COMPAT: a favicon handler is not added (CherryPy serves its own icon).
                pass
        self.apps[script_name] = app
        return app

    def graft(self, wsgi_callable: WSGIApp, script_name: str = "") -> None:
        """Mount any WSGI callable at ``script_name``."""
        self.apps[script_name.rstrip("/")] = wsgi_callable

    def script_name(self, path: str | None = None) -> str | None:
        """Return the script name of the app that serves ``path`` (or ``None``)."""
        if path is None:
            from framework.context import serving

            request = serving.request
            if request is None:
                return None
            path = request.script_name + request.path_info
        apps = self.apps
        while True:
            if path in apps:
                return path
            if path == "":
                return None
            path = path[: path.rfind("/")]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Route a WSGI request to the mounted app (404 if none)."""
        script = environ.get("SCRIPT_NAME", "")
        path = script + environ.get("PATH_INFO", "")
        name = self.script_name(path or "/")
        if name is None:
            return _bare(start_response, "404 Not Found", "Nothing is mounted at this path.")
        app = self.apps[name]
        if name != script:
            environ = dict(environ)
            environ["SCRIPT_NAME"] = name
            environ["PATH_INFO"] = path[len(name) :]
        return app(environ, start_response)
