"""Small built-in tools: trailing slashes, headers, allowed methods, redirects, logging.

These are the callables behind ``tools.trailing_slash``, ``tools.response_headers``,
``tools.allow``, ``tools.expires``, ``tools.redirect``, ``tools.err_redirect``,
``tools.flatten``, ``tools.log_tracebacks``, ``tools.log_headers`` and
``tools.log_hooks``, plus CherryPy's :func:`convert_params`. The callables of other
tools live in modules of their own and are re-exported here, where CherryPy keeps them:
conditional requests (:mod:`framework.lib.conditional`), ``proxy``
(:mod:`framework.lib.proxy`), ``referer``, ``accept``, ``autovary`` and
``ignore_headers`` (:mod:`framework.lib.headertools`), ``session_auth``
(:mod:`framework.lib.session_auth`).
"""

from __future__ import annotations

import datetime
import inspect
import logging
from collections.abc import Iterable
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from framework.context import serving
from framework.core.tools import Tool
from framework.errors import HTTPError, HTTPRedirect, InternalRedirect
from framework.helpers import url
from framework.hooks import HOOK_POINTS
from framework.lib import is_iterator
from framework.lib.conditional import validate_etags, validate_since
from framework.lib.headertools import (
    MonitoredHeaderMap,
    accept,
    autovary,
    ignore_headers,
    referer,
)
from framework.lib.proxy import proxy
from framework.lib.session_auth import SessionAuth, session_auth

if TYPE_CHECKING:
    from framework.core.plan import Plan

__all__ = [
    "MonitoredHeaderMap",
    "SessionAuth",
    "TrailingSlashTool",
    "accept",
    "allow",
    "autovary",
    "convert_params",
    "expires",
    "flatten",
    "ignore_headers",
    "log_hooks",
    "log_request_headers",
    "log_traceback",
    "proxy",
    "redirect",
    "referer",
    "response_headers",
    "session_auth",
    "trailing_slash",
    "validate_etags",
    "validate_since",
]


def trailing_slash(
    missing: bool = True, extra: bool = False, status: int | None = None, debug: bool = False
) -> None:
    """Redirect to add a missing slash to an index URL or remove an extra one.

    Args:
        missing: redirect ``/dir`` to ``/dir/`` when ``/dir`` is served by an index.
        extra: redirect ``/page/`` to ``/page`` when it is not served by an index.
        status: the redirect status (default 301).

    Raises:
        HTTPRedirect: when the URL needs correcting.
    """
    request = serving.request
    assert request is not None
    path = request.path_info
    if request.is_index is True:
        if missing and not path.endswith("/"):
            new_url = url(path + "/", request.query_string)
            raise HTTPRedirect(new_url, status=status or 301)
    elif request.is_index is False and extra and path.endswith("/") and path != "/":
        new_url = url(path[:-1], request.query_string)
        raise HTTPRedirect(new_url, status=status or 301)


class TrailingSlashTool(Tool):
    """``tools.trailing_slash``: decided once per path, so it costs nothing when unneeded.

    Where no page handler was found, a handler tool (``tools.staticdir`` serving a
    directory's index) decides at request time whether the URL is an index, so the
    tool runs there, after the handler tools (priority 60, as CherryPy's).
    """

    def __init__(self) -> None:
        super().__init__("before_handler", trailing_slash, priority=60)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach the redirect only where this path needs one (or may)."""
        path = plan.path_info
        missing = conf.get("missing", True)
        extra = conf.get("extra", False)
        # PERF: the plan is per path, so whether a redirect is due is known now.
        if (
            plan.is_index is None
            or (plan.is_index is True and missing and not path.endswith("/"))
            or (plan.is_index is False and extra and path.endswith("/") and path != "/")
        ):
            super().setup_plan(plan, conf)


def response_headers(
    headers: Iterable[tuple[str, str]] | dict[str, str] | None = None, debug: bool = False
) -> None:
    """Set the given headers on every response of the path."""
    response = serving.response
    assert response is not None
    if headers:
        items = headers.items() if isinstance(headers, dict) else headers
        for name, value in items:
            response.headers[name] = value


def allow(methods: Iterable[str] | str | None = None, debug: bool = False) -> None:
    """Answer 405 (with an ``Allow`` header) for methods not in ``methods``.

    ``HEAD`` is allowed whenever ``GET`` is. Default: ``GET`` and ``HEAD``.

    Raises:
        HTTPError: 405 for a method not allowed.
    """
    request = serving.request
    response = serving.response
    assert request is not None and response is not None
    if not methods:
        methods = ["GET", "HEAD"]
    elif isinstance(methods, str):
        methods = [methods]
    allowed = [m.upper() for m in methods]
    if "GET" in allowed and "HEAD" not in allowed:
        allowed.append("HEAD")
    response.headers["Allow"] = ", ".join(allowed)
    if request.method not in allowed:
        raise HTTPError(405)


#: Response headers saying a response may be cached: ``expires`` acts only on those.
_CACHEABLE = ("ETag", "Last-Modified", "Age", "Expires")
#: COMPAT: the past date CherryPy sends in ``Expires`` for ``secs=0`` (28 Jan 2007).
_EXPIRED = 1169942400.0


def expires(secs: float | datetime.timedelta = 0, force: bool = False, debug: bool = False) -> None:
    """Set ``Expires`` on a cacheable response, or forbid caching with ``secs=0``.

    As CherryPy's: a response counts as cacheable when it already carries ``ETag``,
    ``Last-Modified``, ``Age`` or ``Expires`` (a static file, a handler that tags its
    pages); others are left alone unless ``force``. ``secs=0`` adds ``Pragma:
    no-cache``, ``Cache-Control: no-cache, must-revalidate`` (HTTP/1.1) and an
    ``Expires`` in the past; otherwise ``Expires`` is the response time plus ``secs``.
    Headers already present are kept unless ``force``.

    Args:
        secs: seconds (or a ``timedelta``) the client may cache the response.
        force: set the headers on any response, replacing existing ones.
        debug: accepted for CherryPy's signature; unused.

    Raises:
        TypeError: if ``secs`` is neither a number nor a ``timedelta``.
    """
    pair = serving.get()
    assert pair is not None
    request, response = pair
    headers = response.headers
    if not force and not any(name in headers for name in _CACHEABLE):
        return
    if isinstance(secs, datetime.timedelta):
        secs = secs.days * 86400 + secs.seconds
    if secs == 0:
        if force or "Pragma" not in headers:
            headers["Pragma"] = "no-cache"
        if request.protocol >= (1, 1) and (force or "Cache-Control" not in headers):
            headers["Cache-Control"] = "no-cache, must-revalidate"
        expiry = formatdate(_EXPIRED, usegmt=True)
    else:
        expiry = formatdate(response.time + secs, usegmt=True)
    if force or "Expires" not in headers:
        headers["Expires"] = expiry


def log_traceback(severity: int = logging.ERROR, debug: bool = False) -> None:
    """Write the current exception's traceback to the application's error log."""
    request = serving.request
    if request is None or request.app is None:
        return
    request.app.log.error(
        f"Error while serving {request.request_line}", "HTTP", severity, traceback=True
    )


def log_request_headers(debug: bool = False) -> None:
    """Write the request's headers to the error log (for debugging errors)."""
    request = serving.request
    if request is None or request.app is None:
        return
    lines = "\n".join(f"    {name}: {value}" for name, value in request.headers.items())
    request.app.log.error(f"Request Headers:\n{lines}", "HTTP", logging.INFO)


def log_hooks(debug: bool = False) -> None:
    """Write the current request's hooks, by hook point, to the error log."""
    request = serving.request
    if request is None or request.app is None:
        return
    hooks = request.hooks
    lines = [f"Request Hooks for {url()}:"]
    for point in (*HOOK_POINTS, *(p for p in hooks if p not in HOOK_POINTS)):
        lines.append(f"    {point}:")
        lines.extend(f"        {hook!r}" for hook in hooks.get(point, ()))
    request.app.log.error("\n".join(lines), "HTTP", logging.INFO)


def redirect(url: str = "", internal: bool = True, debug: bool = False) -> None:
    """Send the request elsewhere: re-run it for ``url``, or redirect the client.

    Raises:
        InternalRedirect: when ``internal`` (the default).
        HTTPRedirect: otherwise.
    """
    if internal:
        raise InternalRedirect(url)
    raise HTTPRedirect(url)


def flatten(debug: bool = False) -> None:
    """Let the response body be nested iterators (generators yielding generators)."""
    response = serving.response
    assert response is not None

    def flattener(chunks: Any) -> Any:
        for chunk in chunks:
            if is_iterator(chunk):
                yield from flattener(chunk)
            else:
                yield chunk

    response.body = flattener(response.body)


def convert_params(exception: type[BaseException] = ValueError, error: int = 400) -> None:
    """Convert request parameters with the handler's annotations (CherryPy's function).

    ``def item(self, id: int)`` receives ``int(params["id"])``; a failing conversion
    (``exception``) answers ``error``. ``tools.params`` does the same once per path.

    Raises:
        HTTPError: ``error`` when a conversion fails.
    """
    request = serving.request
    assert request is not None
    handler = getattr(request.handler, "callable", request.handler)
    try:  # string annotations (``from __future__ import annotations``) are evaluated
        annotations = inspect.get_annotations(handler, eval_str=True)
    except Exception:
        annotations = dict(getattr(handler, "__annotations__", {}))
    with HTTPError.handle(exception, error):
        for name in set(annotations) & set(request.params):
            converter = annotations[name]
            if callable(converter):
                request.params[name] = converter(request.params[name])
