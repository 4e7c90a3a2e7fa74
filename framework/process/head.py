"""The strict grammar of an HTTP/1.x request head: request line, header fields, framing.

Pure functions over bytes, with no socket and no server: the strict server
(:mod:`framework.process.http`) hands them a complete head (everything up to and
including the empty line), and they either return the parsed parts or raise
:class:`HeadError` carrying the status to answer (after which the connection is
closed). The rules, and why each exists (each one closes a request-smuggling or
abuse path that lenient parsers leave open; RFC 9110/9112):

- lines end with CRLF only: a bare CR or LF anywhere in the head is refused, since
  other servers on the path may split lines differently;
- no control characters (NUL included) anywhere in the head except HTAB;
- the request line is exactly ``METHOD SP target SP HTTP/d.d``; only HTTP/1.0 and
  HTTP/1.1 are served (505 for another version, 400 for ``HTTP/01.01``);
- a field name is a token: no whitespace before the colon, no obsolete line folding;
- names that differ from a known one only by ``_`` versus ``-`` can never overwrite
  it: fields whose name holds ``_`` are dropped (``X_Auth_User`` vs ``X-Auth-User``);
- ``Host``, ``Content-Length``, ``Content-Type`` and ``Authorization`` may appear
  once; other repeated fields are joined with ``, `` (``Cookie`` with ``; ``);
- ``Content-Length`` is plain digits; ``Transfer-Encoding`` must be a lone
  ``chunked`` and never comes with ``Content-Length`` (nor in an HTTP/1.0 request);
- an HTTP/1.1 request carries exactly one syntactically valid ``Host``.

Limits (checked by the caller before the head is complete, and again here):
the request line (414) and the head's size and field count (431).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "HeadError",
    "Limits",
    "RequestLine",
    "check_head",
    "parse_fields",
    "parse_request_line",
    "request_framing",
    "valid_chunk_size",
]


class HeadError(Exception):
    """A request head that cannot be served: answer ``status`` and close.

    Args:
        status: the status line to answer, e.g. ``"400 Bad Request"``.
        message: a short plain-text explanation (never echoes the input).
    """

    def __init__(self, status: str, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message


BAD_REQUEST = "400 Bad Request"
URI_TOO_LONG = "414 Request-URI Too Long"
HEAD_TOO_LARGE = "431 Request Header Fields Too Large"
TOO_LARGE = "413 Request Entity Too Large"
BAD_VERSION = "505 HTTP Version Not Supported"

#: The message for a bare CR or LF (CherryPy's and cheroot's wording).
NO_CRLF = "HTTP requires CRLF terminators"


@dataclass(frozen=True, slots=True)
class Limits:
    """The sizes a request head may have (``server.*`` settings).

    Args:
        line: longest request line, in bytes (``server.max_request_line_size``).
        head: largest head: request line plus fields (``server.max_request_header_size``).
        fields: most header fields (``server.max_request_headers``).
    """

    line: int = 8 * 1024
    head: int = 64 * 1024
    fields: int = 100


# tchar (RFC 9110 5.6.2): the characters of a method or a field name.
_TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# What may appear anywhere in a head: visible ASCII, SP, HTAB, CR, LF and obs-text
# (0x80-0xFF, allowed in field values). Deleting these leaves only forbidden bytes.
_HEAD_BYTES = bytes(range(0x20, 0x7F)) + b"\t\r\n" + bytes(range(0x80, 0x100))
# A Host value: reg-name or IP literal, optional port (RFC 3986 3.2.2; no userinfo,
# path, whitespace or backslash).
_HOST = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
# Fields that must not repeat: a second one is how smuggling and auth confusion start.
_SINGLE = frozenset((b"Host", b"Content-Length", b"Content-Type", b"Authorization"))


def check_head(head: bytes) -> None:
    """Refuse bare CR/LF and control characters anywhere in a complete head.

    Raises:
        HeadError: 400.
    """
    crlf = head.count(b"\r\n")
    if head.count(b"\n") != crlf or head.count(b"\r") != crlf:
        raise HeadError(BAD_REQUEST, NO_CRLF)
    if head.translate(None, _HEAD_BYTES):
        raise HeadError(BAD_REQUEST, "Illegal character in the request head")


@dataclass(slots=True)
class RequestLine:
    """The three parts of a request line, with the version as numbers."""

    method: bytes
    target: bytes
    version: bytes
    minor: int


def parse_request_line(line: bytes) -> RequestLine:
    """Split and check ``METHOD SP target SP HTTP/1.x`` (no CRLF).

    Raises:
        HeadError: 400 for a malformed line, method or version; 505 for a version
            other than HTTP/1.0 and HTTP/1.1.
    """
    parts = line.split(b" ")
    if len(parts) != 3:
        raise HeadError(BAD_REQUEST, "Malformed Request-Line")
    method, target, version = parts
    if not method or method.translate(None, _TCHAR):
        raise HeadError(BAD_REQUEST, "Malformed method name")
    if not target:
        raise HeadError(BAD_REQUEST, "Malformed Request-Line")
    if (
        len(version) != 8
        or not version.startswith(b"HTTP/")
        or version[6] != 0x2E  # "."
        or not version[5:6].isdigit()
        or not version[7:8].isdigit()
    ):
        raise HeadError(BAD_REQUEST, "Malformed Request-Line: bad version")
    if version[5] != 0x31 or version[7] > 0x31:  # only 1.0 and 1.1
        raise HeadError(BAD_VERSION, "Cannot fulfill request")
    return RequestLine(method, target, version, version[7] - 0x30)


def parse_fields(lines: list[bytes], limits: Limits) -> dict[bytes, bytes]:
    """Parse header field lines (without CRLF) into a dict of title-cased names.

    Fields whose name holds ``_`` are dropped; repeats are joined, except the
    fields that may appear only once.

    Raises:
        HeadError: 400 for a malformed line or a repeated single field; 431 for
            more than ``limits.fields`` fields.
    """
    if len(lines) > limits.fields:
        raise HeadError(HEAD_TOO_LARGE, "Too many header fields")
    fields: dict[bytes, bytes] = {}
    for line in lines:
        name, colon, value = line.partition(b":")
        # A name with anything but tchar covers "Name : v", " folded" and "no colon".
        if not colon or not name or name.translate(None, _TCHAR):
            raise HeadError(BAD_REQUEST, "Illegal header line.")
        if b"_" in name:
            continue
        key = name.title()
        value = value.strip(b" \t")
        existing = fields.get(key)
        if existing is None:
            fields[key] = value
        elif key in _SINGLE:
            raise HeadError(BAD_REQUEST, f"Repeated {key.decode()} header")
        else:
            fields[key] = existing + (b"; " if key == b"Cookie" else b", ") + value
    return fields


def request_framing(fields: dict[bytes, bytes], minor: int, max_body: int) -> int | None:
    """Decide how the body is framed and check ``Host``.

    Args:
        fields: the parsed header fields.
        minor: the HTTP minor version (0 or 1).
        max_body: the largest body allowed (0 for no limit).

    Returns:
        The ``Content-Length`` (0 without a body), or ``None`` for a chunked body.

    Raises:
        HeadError: 400 for a bad or missing ``Host`` (HTTP/1.1), a malformed
            ``Content-Length``, a ``Transfer-Encoding`` other than a lone
            ``chunked`` or one together with ``Content-Length``; 413 for a
            ``Content-Length`` over ``max_body``.
    """
    _check_host(fields.get(b"Host"), minor)
    te = fields.get(b"Transfer-Encoding")
    cl = fields.get(b"Content-Length")
    if te is not None:
        if cl is not None:
            raise HeadError(BAD_REQUEST, "Both Transfer-Encoding and Content-Length")
        if not minor:
            raise HeadError(BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request")
        if te.lower() != b"chunked":
            raise HeadError(BAD_REQUEST, "Unsupported Transfer-Encoding")
        return None
    if cl is None:
        return 0
    if not cl.isdigit() or len(cl) > 18:
        raise HeadError(BAD_REQUEST, "Malformed Content-Length Header.")
    length = int(cl)
    if max_body and length > max_body:
        raise HeadError(
            TOO_LARGE, "The entity sent with the request exceeds the maximum allowed bytes."
        )
    return length


def _check_host(host: bytes | None, minor: int) -> None:
    if host is None:
        if minor:
            raise HeadError(BAD_REQUEST, "HTTP/1.1 requires exactly one Host header")
    elif not _HOST.fullmatch(host):
        raise HeadError(BAD_REQUEST, "Invalid Host header")


def valid_chunk_size(line: bytes) -> int:
    """Parse a chunk-size line (without CRLF): plain hex, optional extensions.

    Raises:
        HeadError: 400 for anything but 1-16 hex digits (no ``0x``, sign or space),
            optionally followed by ``;`` extensions without control characters.
    """
    size, semicolon, extensions = line.partition(b";")
    if semicolon:
        size = size.rstrip(b" \t")  # BWS before ";" (RFC 9112 7.1.1)
        if extensions.translate(None, _HEAD_BYTES) or b"\r" in extensions or b"\n" in extensions:
            raise HeadError(BAD_REQUEST, "Bad chunk extension")
    if not _HEX.fullmatch(size):
        raise HeadError(BAD_REQUEST, "Bad chunked transfer size")
    return int(size, 16)
