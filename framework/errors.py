"""Exceptions that are also responses: HTTP errors, redirects and internal redirects.

Raise one from a handler or a tool and the request pipeline turns it into the
response: :class:`HTTPError` renders an error page (the default template, a file
named by ``error_page.<code>`` config, or a callable; a 5xx in development shows the
:mod:`framework.devpage` view of the exception, a 4xx never a traceback),
:class:`HTTPRedirect` sets a 3xx status with an absolute ``Location``, and
:class:`InternalRedirect` re-runs the pipeline for another path without a round trip
to the client.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from framework._globals import log as site_log
from framework._version import __version__
from framework.context import serving
from framework.httputil import valid_status

__all__ = [
    "CherryPyException",
    "HTTPError",
    "HTTPRedirect",
    "InternalRedirect",
    "NotFound",
    "TimeoutError",
    "format_exc",
    "get_error_page",
    "log_exception",
]


class CherryPyException(Exception):
    """The base of the exceptions that are responses (CherryPy's name for it)."""


class TimeoutError(Exception):
    """Raised when a response took longer than ``response.timeout``."""


class InternalRedirect(CherryPyException):
    """Re-run the request pipeline for another path on the same application.

    Args:
        path: the new path; relative paths are resolved against the current one.
        query_string: the new query string; a ``?`` in ``path`` also sets it.
    """

    def __init__(self, path: str, query_string: str = "") -> None:
        from urllib.parse import urljoin

        request = serving.request
        self.query_string = query_string
        if "?" in path:
            path, self.query_string = path.split("?", 1)
        base = request.script_name + request.path_info if request is not None else "/"
        path = urljoin(base, path)
        if request is not None and request.script_name:
            sn = request.script_name
            if path.startswith(sn):
                path = path[len(sn) :] or "/"
        self.path = path
        super().__init__(path, self.query_string)


class HTTPRedirect(CherryPyException):
    """Send the client elsewhere with a 3xx status.

    Args:
        urls: one URL or a list of them (the first is used for ``Location``);
            relative URLs are made absolute against the current request. A URL on
            another host than the request's answers 400 instead, unless the host is
            in ``request.allowed_hosts`` (see :mod:`framework.origins`).
        status: the 3xx code. Defaults to 303 over HTTP/1.1, else 302 (as CherryPy 18).
        encoding: how to encode non-ASCII characters in the URL.

    Raises:
        ValueError: if ``status`` is not a redirection code.
    """

    def __init__(
        self, urls: str | Sequence[str], status: int | None = None, encoding: str = "utf-8"
    ) -> None:
        request = serving.request
        if isinstance(urls, str | bytes):
            urls = [urls.decode() if isinstance(urls, bytes) else urls]
        absolute: list[str] = []
        for url in urls:
            if request is not None:
                url = _same_origin(url, request)
            absolute.append(_safe_url(url, encoding))
        self.urls = absolute
        if status is None:
            # COMPAT: CherryPy 18 answers 303 to any HTTP/1.1 request (GET included):
            # "see other" with a GET, which is what browsers do for 302 anyway.
            status = 303 if request is not None and request.protocol >= (1, 1) else 302
        status = int(status)
        if status < 300 or status > 399:
            raise ValueError("status must be between 300 and 399.")
        self.code = self.status = status
        self.encoding = encoding
        super().__init__(absolute, status)

    @property
    def urls_and_status(self) -> tuple[list[str], int]:
        """The redirect targets and the status code."""
        return self.urls, self.code

    def set_response(self) -> None:
        """Write this redirect into the current response."""
        response = _current_response()
        status = self.code
        response.status = status
        response.headers.pop("Content-Length", None)
        if status in (300, 301, 302, 303, 307, 308):
            response.headers["Content-Type"] = "text/html;charset=utf-8"
            response.headers["Location"] = self.urls[0]
            # COMPAT: CherryPy's wording, which depends on the status.
            phrase = _REDIRECT_PHRASES[status]
            links = "<br />\n".join(
                f'{phrase} <a href="{_escape(u)}">{_escape(u)}</a>.' for u in self.urls
            )
            response.body = links.encode("utf-8")
        elif status == 304:
            # RFC 9110 section 15.4.5: a 304 keeps the validators and caching headers a
            # 200 would carry (ETag, Cache-Control, Expires, Vary); CherryPy drops Expires.
            for key in ("Allow", "Content-Encoding", "Content-Language", "Content-Length",
                        "Content-Location", "Content-MD5", "Content-Range", "Content-Type",
                        "Last-Modified"):  # fmt: skip
                response.headers.pop(key, None)
            response.body = None
        elif status == 305:
            response.headers["Location"] = self.urls[0]
            response.body = None
        else:
            response.headers["Location"] = self.urls[0]
            response.body = b""

    def __call__(self) -> None:
        """Raise this redirect (so an instance can be used as a handler)."""
        raise self


_CONTENT_HEADERS = (
    "Accept-Ranges", "Age", "Etag", "Location", "Content-Encoding", "Content-Length",
    "Expires", "Content-Location", "Content-Md5", "Last-Modified",
)  # fmt: skip

_REDIRECT_PHRASES = {
    300: "This resource can be found at",
    301: "This resource has permanently moved to",
    302: "This resource resides temporarily at",
    303: "This resource can be found at",
    307: "This resource has moved temporarily to",
    308: "This resource has been moved to",
}


def _same_origin(url: str, request: Any) -> str:
    """``url`` made absolute, if it stays on the request's host or an allowed one.

    Raises:
        HTTPError: 400 (and a warning in the app's log) for any other target.
    """
    from framework.origins import redirect_target

    current = request.base + request.script_name + request.path_info
    target = redirect_target(url, current, request.allowed_hosts)
    if target is None:
        log = request.app.log if request.app is not None else site_log
        log.error(
            f"Redirect to {url!r} refused: not this site, and its host is not in "
            "request.allowed_hosts",
            "HTTP",
            severity=logging.WARNING,
        )
        raise HTTPError(400, "The redirect target is not allowed.")
    return target


def _safe_url(url: str, encoding: str) -> str:
    # Never let CR/LF (or other controls) reach the Location header; escape
    # non-ASCII so the header stays latin-1 clean.
    out: list[str] = []
    for ch in url:
        if ord(ch) < 33 or ord(ch) == 127 or ord(ch) > 126:
            out.extend(f"%{b:02X}" for b in ch.encode(encoding))
        else:
            out.append(ch)
    return "".join(out)


class HTTPError(CherryPyException):
    """An HTTP error status that renders itself as an error page.

    Args:
        status: the HTTP status (``404``, ``"404 Not Found"``); defaults to 500.
        message: a short explanation shown on the page (escaped); defaults to the
            status's standard text.
        echoes_input: the message quotes the request (a path, a value, a parser's
            complaint about the input); where tracebacks are hidden (production),
            the page then shows the status's standard text instead.

    Raises:
        ValueError: if ``status`` is not a 4xx or 5xx code.
    """

    #: True if the message quotes the request (see ``echoes_input`` above).
    echoes_input = False

    def __init__(
        self, status: int | str = 500, message: str | None = None, *, echoes_input: bool = False
    ) -> None:
        self.status = status
        try:
            self.code, self.reason, default_message = valid_status(status)
        except ValueError as exc:
            raise ValueError(str(exc)) from exc
        if self.code < 400 or self.code > 599:
            raise ValueError("status must be between 400 and 599.")
        self._message = message or default_message
        self._default_message = default_message
        if echoes_input:
            self.echoes_input = True
        super().__init__(status, message)

    def set_response(self) -> None:
        """Write this error (status, headers and page) into the current response."""
        request = serving.request
        response = _current_response()
        response.status = f"{self.code} {self.reason}"
        tb = None
        message = self._message
        shows = request is not None and request.show_tracebacks
        # A 4xx is the client's mistake, told by its message: a traceback through the
        # dispatcher would only hide it. Server errors show theirs in development.
        if self.code >= 500 and shows:
            tb = format_exc()
        if self.echoes_input and not shows:
            # Production pages never show input back (a path, a value, a parser's text).
            message = self._default_message
        # COMPAT: as CherryPy, drop only the headers that described the original
        # content; headers the app or its tools set (X-*, CORS, caching) stay.
        for key in _CONTENT_HEADERS:
            response.headers.pop(key, None)
        if self.code != 416:
            response.headers.pop("Content-Range", None)
        response.headers.pop("Content-Encoding", None)
        # COMPAT: set before rendering, so a callable error page may change it.
        response.headers["Content-Type"] = "text/html;charset=utf-8"
        content = _padded(get_error_page(self.status, traceback=tb, message=message), self.code)
        response.body = content
        if response.stream:
            # finalize() measures only buffered bodies; a streamed path's error page
            # is fixed content all the same. (Otherwise finalize measures it, after the
            # before_finalize tools that may still change it.)
            response.headers["Content-Length"] = str(len(content))

    def get_error_page(self, *args: Any, **kwargs: Any) -> bytes:
        """Render the error page for this error's status."""
        return get_error_page(*args, **kwargs)

    @classmethod
    @contextmanager
    def handle(
        cls, exception: type[BaseException] | tuple[type[BaseException], ...],
        status: int = 500, message: str = "",
    ) -> Iterator[None]:  # fmt: skip
        """Translate the given exception types into an ``HTTPError``."""
        try:
            yield
        except exception as exc:
            if message:
                raise cls(status, message) from exc
            raise cls(status, str(exc), echoes_input=True) from exc


class NotFound(HTTPError):
    """404 Not Found for ``path`` (default: the current request's path)."""

    def __init__(self, path: str | None = None) -> None:
        if path is None:
            request = serving.request
            path = request.script_name + request.path_info if request is not None else ""
        self.args = (path,)
        super().__init__(404, f"The path '{path}' was not found.", echoes_input=True)


#: Status -> the size below which Internet Explorer 5-11 replaces an error page with
#: its own "friendly" one (Microsoft KB 218155).
_FRIENDLY_PAGE_SIZES = {
    400: 512, 403: 256, 404: 512, 405: 256, 406: 512, 408: 512,
    409: 512, 410: 256, 500: 512, 501: 512, 505: 512,
}  # fmt: skip


def _padded(content: bytes, code: int) -> bytes:
    """Pad a short, non-empty error page with spaces past the browser's threshold.

    # COMPAT: CherryPy pads the same statuses to the same sizes, so the page an
    application wrote is the one shown. The padding is trailing whitespace: no
    browser renders it.
    """
    size = _FRIENDLY_PAGE_SIZES.get(code)
    if size is None or not content or len(content) > size:
        return content
    return content + b" " * (size + 1 - len(content))


_DEFAULT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%(status)s</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
#traceback { color: #900; background: #f6f6f6; padding: 1rem; overflow: auto; }
#powered_by { margin-top: 2rem; font-size: .8rem; color: #888; }
</style>
</head>
<body>
<h2>%(status)s</h2>
<p>%(message)s</p>
<pre id="traceback">%(traceback)s</pre>
<div id="powered_by">Served by Cherry %(version)s</div>
</body>
</html>
"""


def _page_bytes(result: Any) -> bytes:
    """A custom error page's result as bytes: text, bytes, or an iterable of either.

    # COMPAT: CherryPy sends the content of a generator (``static.serve_file`` inside
    an ``error_page.404`` callable returns one), not its repr.
    """
    if isinstance(result, bytes):
        return result
    if isinstance(result, str):
        return result.encode("utf-8")
    if result is None:
        return b""
    try:
        chunks = iter(result)
    except TypeError:
        return str(result).encode("utf-8")
    return b"".join(c if isinstance(c, bytes) else str(c).encode("utf-8") for c in chunks)


def get_error_page(status: int | str, **kwargs: Any) -> bytes:
    """Render the error page for ``status`` as UTF-8 bytes.

    Uses ``error_page.<code>`` (or ``error_page.default``) from the current request's
    config when set: a callable receives ``status, message, traceback, version`` as
    keyword arguments and returns the page (text, bytes, or an iterable of them, such
    as a generator); a string names a template file whose
    ``%(status)s``-style fields are filled in (values are HTML-escaped). A custom page
    that fails is reported once (one line on the page, its traceback in the error log)
    and the default page is used.

    The default page shows a traceback given while an exception is being handled as
    the development page (:func:`framework.devpage.render`: the app's frames first,
    source lines, locals, the request); other tracebacks as plain text.
    """
    original = sys.exc_info()
    code, reason, default_message = valid_status(status)
    fields: dict[str, str] = {
        "status": f"{code} {reason}",
        "message": kwargs.get("message") or default_message,
        "traceback": kwargs.get("traceback") or "",
        "version": __version__,
    }
    request = serving.request
    page_source: Any = None
    if request is not None:
        pages = request.error_page
        page_source = pages.get(str(code)) or pages.get("default")
    failure = ""
    if page_source is not None:
        try:
            if callable(page_source):
                return _page_bytes(page_source(**fields))
            # newline="": the page is sent with the line endings of its file.
            with open(page_source, encoding="utf-8", newline="") as handle:
                template = handle.read()
            escaped = {key: _escape_text(value) for key, value in fields.items()}
            return (template % escaped).encode("utf-8")
        except Exception as exc:
            # A broken custom page must not hide the original error: one line here,
            # its own traceback (not chained to the original) in the error log.
            failure = f"{type(exc).__name__}: {exc}"
            _log_page_failure(page_source, exc)
    escaped = {key: _escape_text(value) for key, value in fields.items()}
    if failure:
        # COMPAT: CherryPy's wording and markup; the exception's own line only where
        # tracebacks are shown (production pages never carry an exception message).
        detail = ":\n<br />" + _escape_text(failure) if _showing_tracebacks(request) else "."
        escaped["message"] += "<br />In addition, the custom error page failed" + detail
    if fields["traceback"] and original[1] is not None:
        from framework.devpage import render

        escaped["traceback"] = render(original, request)
    return (_DEFAULT_PAGE % escaped).encode("utf-8")


def _showing_tracebacks(request: Any) -> bool:
    return request is not None and bool(request.show_tracebacks)


def _log_page_failure(page_source: Any, exc: BaseException) -> None:
    import traceback

    text = "".join(traceback.format_exception(exc, chain=False)).rstrip("\n")
    site_log.error(f"The custom error page {page_source!r} failed:\n{text}", "HTTP", logging.ERROR)


def format_exc(exc: BaseException | None = None) -> str:
    """Return the formatted traceback of ``exc`` (default: the one being handled)."""
    import traceback

    if exc is None:
        return traceback.format_exc() if _has_exc() else ""
    return "".join(traceback.format_exception(exc))


def log_exception(message: str) -> None:
    """Log ``message`` with the current traceback to the app's (or the site's) error log."""
    request = serving.request
    app = request.app if request is not None else None
    target = app.log if app is not None else site_log
    target.error(message, "HTTP", severity=logging.ERROR, traceback=True)


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


def _escape_text(text: str) -> str:
    # COMPAT: page fields are element text, so quotes stay as typed (as in CherryPy).
    from html import escape

    return escape(text, quote=False)


def _current_response() -> Any:
    response = serving.response
    if response is None:
        raise RuntimeError("An HTTP error or redirect can only render itself during a request.")
    return response


def _has_exc() -> bool:
    import sys

    return sys.exc_info()[0] is not None
