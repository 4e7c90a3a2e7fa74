"""Error and access logs for the whole site and for each mounted application.

A :class:`LogManager` owns two stdlib loggers, ``<root>.error[.<appid>]`` and
``<root>.access[.<appid>]``. An application's loggers propagate to the global ones,
so ``log.screen`` in the global config shows every application's traffic; the global
loggers do not propagate further. Output goes where the three switches say:
``screen`` (errors to stderr, access lines to stdout), ``error_file`` and
``access_file``. The config namespace ``log`` sets these attributes directly, e.g.
``{"log.screen": False, "log.access_file": "access.log"}``.

Handlers created by those switches are tagged by class, so turning a switch off removes
only what it added; handlers an application attaches itself are never touched.

    log = LogManager()
    log.screen = True
    log("Serving on 127.0.0.1:8080", "ENGINE")   # same as log.error(...)
    log.access(request, response)                 # one Apache combined line
    log.access_wsgi(environ, "200 OK", headers)   # the same line for a bare WSGI exchange
    app = AccessLogMiddleware(wsgi_app, log)      # ... for every response of wsgi_app

:meth:`LogManager.access_wsgi` and :class:`AccessLogMiddleware` are for responses the
framework's pipeline never sees (a plain WSGI callable grafted on the tree, a path
outside every mount point): they read the same fields from the WSGI environ and the
``start_response`` arguments.
"""

from __future__ import annotations

import datetime
import logging
import os
import sys
import time as _time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TextIO, TypeVar
from urllib.parse import quote

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["AccessLogMiddleware", "LazyRfc3339UtcTime", "LogManager"]

_H = TypeVar("_H", bound=logging.Handler)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The handlers below write bare messages: the time and context are part of the message.
_FORMATTER = logging.Formatter("%(message)s")


def _byte_escape(byte: int) -> str:
    # Apache's rules: quote and backslash get a backslash, common controls the C escape,
    # anything else outside printable ASCII (including every UTF-8 byte) becomes \xNN.
    special = {0x22: '\\"', 0x5C: "\\\\", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}
    if byte in special:
        return special[byte]
    if 0x20 <= byte < 0x7F:
        return chr(byte)
    return f"\\x{byte:02x}"


# PERF: one lookup per byte instead of a branch chain.
_BYTE_ESCAPES = tuple(_byte_escape(b) for b in range(256))


def _escape(value: object) -> str:
    """Make one access-log field safe: no line breaks, no unescaped quotes.

    Args:
        value: the raw field (a header, the request line, a login, ...).

    Returns:
        The field with quote, backslash, control and non-ASCII characters escaped.
    """
    text = value if isinstance(value, str) else str(value)
    # PERF: nearly every field is plain printable ASCII; skip the byte walk for it.
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return text
    data = text.encode("utf-8", "backslashreplace")
    return "".join([_BYTE_ESCAPES[b] for b in data])


class _ScreenHandler(logging.StreamHandler[TextIO]):
    """Writes to ``sys.<name>`` as it is at emit time (so redirection and capture work)."""

    def __init__(self, stream_name: str) -> None:
        super().__init__(getattr(sys, stream_name))
        self.stream_name = stream_name

    def emit(self, record: logging.LogRecord) -> None:
        # Called under the handler lock, so swapping the stream here is safe.
        self.stream = getattr(sys, self.stream_name)
        super().emit(record)


class _FileHandler(logging.FileHandler):
    """The file handler owned by ``error_file`` / ``access_file``."""


class LogManager:
    """The error and access logs of the site (``appid=None``) or of one application.

    Args:
        appid: suffix that makes the loggers application-specific, or None for global.
        logger_root: first component of both logger names.
    """

    # COMPAT: CherryPy's default, Apache's "combined" format. {o} (Host), {i} (request
    # unique id) and {z} (UTC ISO time) are also available to custom formats.
    access_log_format: str = '{h} {l} {u} {t} "{r}" {s} {b} "{f}" "{a}"'

    def __init__(self, appid: str | None = None, logger_root: str = "cherry") -> None:
        self.appid = appid
        self.logger_root = logger_root
        suffix = f".{appid}" if appid else ""
        self.error_log = logging.getLogger(f"{logger_root}.error{suffix}")
        self.access_log = logging.getLogger(f"{logger_root}.access{suffix}")
        for log in (self.error_log, self.access_log):
            log.setLevel(logging.INFO)
            # An application's records also reach the global logs (and their screen and
            # files); the global loggers stop there.
            log.propagate = appid is not None
        # COMPAT: with no handler at all, stdlib logging would print warnings and errors
        # to stderr through its "last resort" handler; CherryPy keeps a silent log silent.
        # The access log gets none: its emptiness is the fast path in access().
        if not any(isinstance(h, logging.NullHandler) for h in self.error_log.handlers):
            self.error_log.addHandler(logging.NullHandler())

    # -- writing ------------------------------------------------------------------------

    def error(
        self,
        msg: str = "",
        context: str = "",
        severity: int = logging.INFO,
        traceback: bool = False,
    ) -> None:
        """Write a message to the error log (which is also the general log).

        Args:
            msg: the message.
            context: a short tag such as ``"ENGINE"`` or ``"HTTP"``, printed before it.
            severity: a ``logging`` level.
            traceback: append the traceback of the exception being handled, if any.
        """
        exc_info = sys.exc_info() if traceback and sys.exc_info()[0] is not None else None
        # COMPAT: CherryPy prefixes the time to the message itself.
        text = " ".join(part for part in (self.time(), context, msg) if part)
        self.error_log.log(severity, text, exc_info=exc_info)

    __call__ = error

    def access(self, request: Any = None, response: Any = None, *, delivered: bool = True) -> None:
        """Write one Apache combined-format line for a finished request.

        Args:
            request: the request; defaults to the one being served. Nothing is written
                outside a request.
            response: the response; defaults to the one being served.
            delivered: False when the response never reached the client (the
                connection closed or was cut first): the status and size are written
                as ``-``, so the log never records a response the client did not get,
                and an INFO line in the error log says what happened.
        """
        # PERF: no handler means nobody reads the line; don't build it.
        if not self.access_log.hasHandlers():
            return
        if request is None or response is None:
            from framework.context import serving

            request = serving.request if request is None else request
            response = serving.response if response is None else response
            if request is None or response is None:
                return  # called outside a request: there is no exchange to describe
        try:
            fields = self._fields(request, response)
            if not delivered:
                self.error(
                    f"{request.request_line}: the {fields['s']} response was not delivered "
                    "(the connection closed before it was sent)",
                    "HTTP",
                )
                fields["s"] = fields["b"] = "-"
            line = self._line(fields)
        except Exception:
            # A broken custom format must not break the request that was just served.
            self._unwritable()
            return
        self.access_log.info(line)

    def access_wsgi(
        self, environ: Mapping[str, Any], status: str, headers: Iterable[tuple[str, str]]
    ) -> None:
        """Write the access line of an exchange the framework's pipeline did not serve.

        The line has the same format and destinations as :meth:`access`; the fields
        come from the WSGI environ (``REQUEST_URI`` when the server gives it, else
        the quoted ``SCRIPT_NAME`` and ``PATH_INFO`` with the query string) and from
        what the callable passed to ``start_response``: the bytes are its
        ``Content-Length`` header, as for mounted apps.

        Args:
            environ: the request's WSGI environ.
            status: the status line given to ``start_response``, e.g. ``"404 Not Found"``.
            headers: the response headers given to ``start_response``.
        """
        # PERF: no handler means nobody reads the line; don't build it.
        if not self.access_log.hasHandlers():
            return
        try:
            line = self._line(_wsgi_fields(environ, status, headers))
        except Exception:
            self._unwritable()
            return
        self.access_log.info(line)

    def _unwritable(self) -> None:
        self.error("Could not write the access log line", "HTTP", logging.ERROR, True)

    def _line(self, fields: dict[str, object]) -> str:
        """Escape ``fields`` (keyed by format letter), add the times, apply the format."""
        atoms = {key: _escape(value) for key, value in fields.items()}
        atoms["t"] = self.time()
        # PERF: the RFC 3339 time only when the format shows it.
        atoms["z"] = str(LazyRfc3339UtcTime()) if "{z" in self.access_log_format else ""
        return self.access_log_format.format(**atoms)

    def _fields(self, request: Any, response: Any) -> dict[str, object]:
        """The raw fields of one access line for a framework request, by format letter."""
        remote = request.remote
        output_status = getattr(response, "output_status", None)
        if output_status:
            if isinstance(output_status, bytes):
                output_status = output_status.decode("iso-8859-1")
            status: str = output_status.split(" ", 1)[0]
        elif getattr(response, "status", None):
            status = str(response.status).split(" ", 1)[0]
        else:
            status = "-"
        inheaders = request.headers
        return {
            # COMPAT: CherryPy prefers the resolved host name when the server gave one.
            "h": getattr(remote, "name", "") or remote.ip,
            "l": "-",
            "u": getattr(request, "login", None) or "-",
            "r": request.request_line,
            "s": status,
            "b": response.headers.get("Content-Length") or "-",
            # COMPAT: CherryPy writes "" for a missing Referer or User-Agent; the
            # combined log format (and every log parser) expects "-".
            "f": inheaders.get("Referer", "-"),
            "a": inheaders.get("User-Agent", "-"),
            "o": inheaders.get("Host", "-"),
            # PERF: a UUID only when the format shows one.
            "i": request.unique_id if "{i" in self.access_log_format else "-",
        }

    def time(self) -> str:
        """Return the local time now in Apache log format, e.g. ``[25/Nov/2026:22:05:13 +0100]``.

        Returns:
            The bracketed timestamp (month names are English whatever the locale).
        """
        now = _time.localtime()
        month = _MONTHS[now.tm_mon - 1]
        return f"[{now.tm_mday:02d}/{month}/{_time.strftime('%Y:%H:%M:%S %z', now)}]"

    # -- destinations --------------------------------------------------------------------

    @property
    def screen(self) -> bool:
        """Whether errors go to stderr and access lines to stdout."""
        return any(
            isinstance(h, _ScreenHandler)
            for log in (self.error_log, self.access_log)
            for h in log.handlers
        )

    @screen.setter
    def screen(self, value: bool) -> None:
        for log, stream_name in ((self.error_log, "stderr"), (self.access_log, "stdout")):
            handler = _own_handler(log, _ScreenHandler)
            if value and handler is None:
                handler = _ScreenHandler(stream_name)
                handler.setFormatter(_FORMATTER)
                log.addHandler(handler)
            elif not value and handler is not None:
                log.removeHandler(handler)
                handler.close()  # leaves sys.stdout/sys.stderr open

    @property
    def error_file(self) -> str:
        """Absolute path of the error log file, or "" when there is none."""
        return _file_name(self.error_log)

    @error_file.setter
    def error_file(self, path: str | None) -> None:
        _set_file(self.error_log, path)

    @property
    def access_file(self) -> str:
        """Absolute path of the access log file, or "" when there is none."""
        return _file_name(self.access_log)

    @access_file.setter
    def access_file(self, path: str | None) -> None:
        _set_file(self.access_log, path)

    def reopen_files(self) -> None:
        """Close and reopen every log file, so rotation (SIGHUP/USR1) starts new files."""
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                # COMPAT: like CherryPy, every FileHandler, not only ours; one that has not
                # opened its file yet (delay=True) is left alone.
                if isinstance(handler, logging.FileHandler) and handler.stream is not None:
                    old = handler.stream
                    handler.setStream(handler._open())
                    old.close()


class AccessLogMiddleware:
    """WSGI middleware: each response of ``app`` writes ``log``'s access line.

    For a WSGI callable outside the framework's pipeline (which writes the line for
    mounted apps), such as a plain WSGI app grafted on the tree; see
    :meth:`LogManager.access_wsgi` for the fields.

    Args:
        app: the WSGI callable to wrap.
        log: the log to write to (usually the global ``framework.log``).
    """

    def __init__(self, app: WSGIApplication, log: LogManager) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Call the wrapped app; its ``start_response`` call also writes the line."""
        log = self.log

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            log.access_wsgi(environ, status, headers)
            return start_response(status, headers, *exc_info)

        return self.app(environ, start)


def _wsgi_fields(
    environ: Mapping[str, Any], status: str, headers: Iterable[tuple[str, str]]
) -> dict[str, object]:
    """The raw fields of one access line for a bare WSGI exchange, by format letter."""
    uri = environ.get("REQUEST_URI")
    if not uri:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        # PEP 3333: the path is the request's bytes decoded as latin-1.
        uri = quote(path, encoding="latin-1", errors="replace")
        if environ.get("QUERY_STRING"):
            uri += "?" + environ["QUERY_STRING"]
    method = environ.get("REQUEST_METHOD", "-")
    length = [value for name, value in headers if name.lower() == "content-length"]
    return {
        "h": environ.get("REMOTE_ADDR") or "-",
        "l": "-",
        "u": environ.get("REMOTE_USER") or "-",
        "r": f"{method} {uri} {environ.get('SERVER_PROTOCOL', '-')}",
        "s": status.split(" ", 1)[0] or "-",
        "b": length[-1] if length else "-",
        "f": environ.get("HTTP_REFERER", "-"),
        "a": environ.get("HTTP_USER_AGENT", "-"),
        "o": environ.get("HTTP_HOST", "-"),
        "i": "-",
    }


class LazyRfc3339UtcTime:
    """The time now in UTC as RFC 3339 (``2026-01-31T17:23:45Z``) when made a ``str``.

    The access log's ``{z}`` (CherryPy's name, kept for apps that reference it).
    """

    def __str__(self) -> str:
        # datetime.datetime is read at call time: tests may stand a clock in for it.
        now = datetime.datetime.now(datetime.UTC)
        return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def _own_handler(log: logging.Logger, kind: type[_H]) -> _H | None:
    """Return the handler of class ``kind`` this module added to ``log``, if any."""
    for handler in log.handlers:
        if isinstance(handler, kind):
            return handler
    return None


def _file_name(log: logging.Logger) -> str:
    handler = _own_handler(log, _FileHandler)
    return handler.baseFilename if handler is not None else ""


def _set_file(log: logging.Logger, path: str | None) -> None:
    """Point ``log``'s own file handler at ``path``; "" or None removes it."""
    handler = _own_handler(log, _FileHandler)
    if path and handler is not None and handler.baseFilename == os.path.abspath(path):
        return
    if handler is not None:
        log.removeHandler(handler)
        handler.close()
    if path:
        handler = _FileHandler(path, encoding="utf-8")
        handler.setFormatter(_FORMATTER)
        log.addHandler(handler)
