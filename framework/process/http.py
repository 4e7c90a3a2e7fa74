"""Strict HTTP/1.x over cheroot: one request's head, body framing and response framing.

cheroot parses requests leniently: it splits lines on LF, accepts two ``Content-Length``
headers or one beside ``Transfer-Encoding``, reads ``0x5`` as a chunk size, never reads
a chunked body's trailer section, and leaves an unread chunked body on the socket to be
parsed as the next request. Each of these lets a second request hide inside the first
(request smuggling) when a proxy in front parses differently. :class:`StrictRequest`
(cheroot's ``HTTPRequest``, subclassed) parses the head with the strict grammar of
:mod:`framework.process.head` and frames bodies with :mod:`framework.process.bodies`:

- any malformed head is answered with its 4xx (or 505) and the connection closed;
- a body the application did not read completely is drained when it is short
  (``DRAIN_LIMIT``) and the connection closed otherwise; an unread chunked body, a
  failed body or an unanswered ``Expect: 100-continue`` always close it;
- every error answer carries ``Connection: close``, and an application's own
  ``Connection: close`` is honoured.

:class:`StrictGateway` (cheroot's WSGI 1.0 gateway, subclassed) frames the response:
an exception while a body streams cuts the connection (no chunked terminator, no
complete ``Content-Length`` body) instead of sending a truncated body as complete; a
body shorter than its ``Content-Length`` closes the connection; CR, LF or NUL in the
status or a header set by the application is refused (a 500), never sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from cheroot import errors
from cheroot.server import HTTPRequest
from cheroot.wsgi import Gateway_10

from framework.errors import HTTPError
from framework.process.bodies import ChunkedInput, FixedLengthInput
from framework.process.head import (
    BAD_REQUEST,
    HEAD_TOO_LARGE,
    URI_TOO_LONG,
    HeadError,
    check_head,
    parse_fields,
    parse_request_line,
    request_framing,
)

__all__ = ["DRAIN_LIMIT", "StrictGateway", "StrictRequest"]

_QUOTED_SLASH = re.compile(rb"(?i)%2F")

#: An unread request body up to this many bytes is read and dropped so the connection
#: can serve the next request; a larger one closes the connection instead.
DRAIN_LIMIT = 64 * 1024


class _OneLine:
    """A stand-in ``rfile`` holding one line, for cheroot's own request-line parser."""

    def __init__(self, line: bytes) -> None:
        self.line = line

    def readline(self, size: int | None = None) -> bytes:
        line, self.line = self.line, b""
        return line


class StrictRequest(HTTPRequest):
    """One request on a connection, parsed and framed strictly (see the module docstring)."""

    #: The response was cut short: no chunked terminator is written.
    aborted = False
    body_length = 0

    def __init__(self, server: Any, conn: Any, **kwargs: Any) -> None:
        # COMPAT: cheroot's "proxy mode", as CherryPy runs it: the absolute-form target
        # (``GET http://host/path``, which RFC 9112 says servers must accept) and
        # ``CONNECT host:port`` reach the application. Nothing is proxied.
        super().__init__(server, conn, proxy_mode=True, **kwargs)

    # -- the head ------------------------------------------------------------------------
    def parse_request(self) -> None:
        """Parse the head the connection has buffered; answer and close if it is bad."""
        self.started_request = True
        head = self.conn.rfile.take_head()
        try:
            parsed = self._parse_head(head)
        except HeadError as exc:
            self.simple_response(exc.status, exc.message)
            return
        self.ready = parsed

    def _parse_head(self, head: bytes) -> bool:
        limits = self.server.head_limits
        if head[:2] == b"\r\n":  # one empty line before a request is tolerated (RFC 9112 2.2)
            head = head[2:]
        newline = head.find(b"\n")
        if (newline if newline != -1 else len(head)) > limits.line + 1:
            raise HeadError(
                URI_TOO_LONG,
                "The Request-URI sent with the request exceeds the maximum allowed bytes.",
            )
        check_head(head)
        if len(head) > limits.head or not head.endswith(b"\r\n\r\n"):
            raise HeadError(
                HEAD_TOO_LARGE,
                "The headers sent with the request exceed the maximum allowed bytes.",
            )
        lines = head[:-4].split(b"\r\n")
        if not self._parse_request_line(lines[0]):
            return False  # cheroot answered already
        fields = parse_fields(lines[1:], limits)
        self.inheaders = fields
        minor = int(self.request_protocol[7:8])
        length = request_framing(fields, minor, self.server.max_request_body_size)
        self.chunked_read = length is None
        self.body_length = length or 0
        self._connection_options(fields)
        expect = fields.get(b"Expect")
        if expect is not None:
            if expect.lower() != b"100-continue":
                raise HeadError("417 Expectation Failed", "Only 100-continue is supported")
            if self.response_protocol == "HTTP/1.1" and (self.chunked_read or self.body_length):
                # COMPAT: answered at once, as cheroot does (clients and CherryPy's
                # tests expect it), once the framing and size checks passed.
                self.conn.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    def _parse_request_line(self, line: bytes) -> bool:
        parsed = parse_request_line(line)
        target, method = parsed.target, parsed.method
        if b"\t" in target:
            raise HeadError(BAD_REQUEST, "Malformed Request-URI")
        if target[:1] != b"/" or target[1:2] == b"/" or method in (b"OPTIONS", b"CONNECT"):
            # Absolute and authority forms, "*", "//x", OPTIONS, CONNECT: cheroot's own rules.
            self.rfile = _OneLine(line + b"\r\n")
            return bool(super().read_request_line())  # type: ignore[no-untyped-call]
        # PERF: the usual origin-form target, parsed without urlsplit.
        if method.upper() != method:
            raise HeadError(
                BAD_REQUEST, "Malformed method name: method names are case-sensitive and uppercase."
            )
        if b"#" in target:
            raise HeadError(BAD_REQUEST, "Illegal #fragment in Request-URI.")
        path, _, qs = target.partition(b"?")
        if b"%" in path:
            # "/a%2Fb" stays one segment: only the other escapes are decoded.
            path = b"%2F".join(unquote_to_bytes(x) for x in _QUOTED_SLASH.split(path))
        self.uri, self.method, self.path, self.qs = target, method, path, qs
        self.authority = b""
        self.request_protocol = parsed.version
        server_minor = int(self.server.protocol[7])
        self.response_protocol = f"HTTP/1.{min(parsed.minor, server_minor)}"
        return True

    def _connection_options(self, fields: dict[bytes, bytes]) -> None:
        options = fields.get(b"Connection", b"").lower()
        if self.response_protocol == "HTTP/1.1":
            if b"close" in options and b"close" in _tokens(options):
                self.close_connection = True
        elif b"keep-alive" not in _tokens(options):
            self.close_connection = True

    # -- the exchange ----------------------------------------------------------------------
    def respond(self) -> None:
        """Call the WSGI gateway with a strict ``wsgi.input``; end the response's framing."""
        reader = self.conn.rfile
        server = self.server
        if self.chunked_read:
            self.rfile = ChunkedInput(
                self, reader, server.max_request_body_size, server.head_limits
            )
            reader.begin_body(server.body_timeout, server.body_min_rate)
        else:
            self.rfile = FixedLengthInput(self, reader, self.body_length)
            if self.body_length:  # PERF: no clock read for a request without a body
                reader.begin_body(server.body_timeout, server.body_min_rate)
        try:
            server.gateway(self).respond()
        finally:
            reader.end_body()
        if self.ready and not self.aborted:
            self.ensure_headers_sent()
            if self.chunked_write:
                self.conn.wfile.write(b"0\r\n\r\n")

    def send_headers(self) -> None:
        """Settle the request body (drain or close), then send the response head."""
        self._settle_body()
        if not self.close_connection:
            for name, value in self.outheaders:
                if name.lower() == b"connection" and b"close" in _tokens(value.lower()):
                    self.close_connection = True
        super().send_headers()

    def _settle_body(self) -> None:
        """Make sure no unread body byte can be taken for the next request."""
        body = self.rfile
        if self.close_connection or getattr(body, "finished", True):
            return
        # An unread chunked body or a failed one cannot be skipped safely; a long
        # one is not worth reading.
        if body.failed or self.chunked_read or body.remaining > DRAIN_LIMIT:
            self.close_connection = True
        else:
            try:
                body.read(body.remaining)
            except HTTPError:
                self.close_connection = True

    def simple_response(self, status: Any, msg: Any = "") -> None:
        """Answer with a short plain-text response and close the connection."""
        status = str(status)
        body = msg.encode("ISO-8859-1", "replace") if isinstance(msg, str) else msg
        self.close_connection = True
        self.sent_headers = True
        head = (
            f"{self.server.protocol} {status}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Content-Type: text/plain\r\n"
            "Connection: close\r\n\r\n"
        )
        try:
            self.conn.wfile.write(head.encode("ISO-8859-1") + body)
        except OSError as ex:
            if ex.args[0] not in errors.socket_errors_to_ignore:
                raise


def _tokens(value: bytes) -> list[bytes]:
    return [token.strip() for token in value.split(b",")]


class BodyTooLong(ValueError):
    """The application sent more bytes than its ``Content-Length``."""

    def __init__(self) -> None:
        # COMPAT: cheroot's wording.
        super().__init__(
            "The requested resource returned more bytes than the declared Content-Length."
        )


class StrictGateway(Gateway_10):
    """cheroot's WSGI 1.0 gateway, with safe response framing (see the module docstring)."""

    def respond(self) -> None:
        """Call the application and send what it returns; cut the connection if it fails."""
        req = self.req
        try:
            response = req.server.wsgi_app(self.env, self.start_response)
        except HTTPError as exc:
            # A limit of our wsgi.input, hit by an application that is not Cherry's.
            if req.sent_headers:
                raise
            req.simple_response(f"{exc.code} {exc.reason}", exc._message)
            return
        try:
            self._send_body(response)
        except OSError:
            # The client went away mid-response: not the application's failure.
            req.close_connection = req.aborted = True
            raise
        except Exception as exc:
            self._abort(exc)
        finally:
            if not req.aborted:
                req.ensure_headers_sent()
            close = getattr(response, "close", None)
            if close is not None:
                close()
        if self.remaining_bytes_out:
            req.close_connection = True  # a short body: the client must see the cut

    def _send_body(self, response: Iterable[bytes]) -> None:
        for chunk in response:
            if chunk:
                if not isinstance(chunk, bytes):
                    raise ValueError("WSGI Applications must yield bytes")
                self.write(chunk)

    def _abort(self, exc: Exception) -> None:
        req = self.req
        req.close_connection = True
        if isinstance(exc, BodyTooLong) and not req.sent_headers:
            req.simple_response("500 Internal Server Error", str(exc))
        elif self.started_response:
            # What the application started is sent, then cut short: the client sees
            # an incomplete response, never a complete-looking one.
            req.ensure_headers_sent()
        else:
            req.simple_response("500 Internal Server Error")
        req.aborted = True
        req.server.error_log(
            f"Response aborted and connection closed: the application failed while "
            f"producing the body ({type(exc).__name__})",
            level=logging.WARNING,
        )

    def write(self, chunk: bytes) -> None:
        """Send a chunk of the body, never more than the declared ``Content-Length``.

        Raises:
            ValueError: the body is longer than its ``Content-Length`` (the response
                is then cut, see :meth:`respond`).
        """
        if not self.started_response:
            raise RuntimeError("WSGI write called before start_response.")
        left = self.remaining_bytes_out
        if left is not None:
            # cheroot counts down a local copy, so it never notices a short body.
            if len(chunk) > left:
                raise BodyTooLong
            self.remaining_bytes_out = left - len(chunk)
        req = self.req
        if not req.sent_headers:
            req.sent_headers = True
            req.send_headers()
        req.write(chunk)

    def start_response(self, status: str, headers: Any, exc_info: Any = None) -> Any:
        """Check the status and headers for CR, LF and NUL, then as cheroot.

        Raises:
            ValueError: a status, header name or value that would split the head.
        """
        if not status.isprintable():
            raise ValueError("The response status holds a control character")
        for name, value in headers:
            if name not in _GOOD_NAMES:
                _check_name(name)
            # PERF: isprintable() is one C scan; the usual value passes at once.
            if not value.isprintable() and ("\r" in value or "\n" in value or "\0" in value):
                raise ValueError(f"Response header {name!r} holds CR, LF or NUL")
        return super().start_response(status, headers, exc_info)


def _check_name(name: str) -> None:
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"Invalid response header name {name!r}")
    if len(_GOOD_NAMES) < 1024:
        _GOOD_NAMES.add(name)


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Response header names already checked (most responses reuse a handful).
_GOOD_NAMES: set[str] = set()
