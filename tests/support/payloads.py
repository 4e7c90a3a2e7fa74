"""Hostile requests, by class: the corpus of the adversarial tests and of bench/adversarial.py.

Each :class:`Payload` is the exact bytes a client sends and the statuses a strict server
answers. Many hide a second request (``GET /smuggled``) where a lenient parser would
find one: a server that serves ``/smuggled`` was fooled. Bodies are short, so a server
reading them as bodies answers at once.
"""

from __future__ import annotations

from dataclasses import dataclass

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"


@dataclass(frozen=True)
class Payload:
    """One hostile request."""

    name: str
    kind: str  # "framing", "head", "limits"
    data: bytes
    expect: frozenset[int]


def _p(name: str, kind: str, data: bytes, *expect: int) -> Payload:
    return Payload(name, kind, data, frozenset(expect or (400,)))


def _post(headers: bytes, body: bytes = b"") -> bytes:
    return b"POST /echo HTTP/1.1\r\nHost: localhost\r\n" + headers + b"\r\n" + body


_CHUNK_BODY = b"5\r\nhello\r\n0\r\n\r\n"

FRAMING = [
    _p(
        "duplicate Content-Length",
        "framing",
        _post(b"Content-Length: 5\r\nContent-Length: 5\r\n", b"hello"),
    ),
    _p(
        "conflicting Content-Length",
        "framing",
        _post(b"Content-Length: 0\r\nContent-Length: 44\r\n", SMUGGLED),
    ),
    _p("Content-Length list", "framing", _post(b"Content-Length: 5, 5\r\n", b"hello")),
    _p("Content-Length with plus sign", "framing", _post(b"Content-Length: +5\r\n", b"hello")),
    _p("Content-Length negative", "framing", _post(b"Content-Length: -1\r\n", b"hello")),
    _p("Content-Length hex", "framing", _post(b"Content-Length: 0x5\r\n", b"hello")),
    _p("Content-Length inner space", "framing", _post(b"Content-Length: 1 0\r\n", b"hello")),
    _p("Content-Length empty", "framing", _post(b"Content-Length: \r\n", b"hello")),
    _p(
        "Content-Length with Transfer-Encoding",
        "framing",
        _post(b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + SMUGGLED),
    ),
    _p(
        "Transfer-Encoding with space before colon",
        "framing",
        _post(b"Content-Length: 0\r\nTransfer-Encoding : chunked\r\n", _CHUNK_BODY),
    ),
    _p("Transfer-Encoding gzip", "framing", _post(b"Transfer-Encoding: gzip\r\n", _CHUNK_BODY)),
    _p(
        "Transfer-Encoding gzip, chunked",
        "framing",
        _post(b"Transfer-Encoding: gzip, chunked\r\n", _CHUNK_BODY),
        400,
        501,
    ),
    _p(
        "Transfer-Encoding chunked, identity",
        "framing",
        _post(b"Transfer-Encoding: chunked, identity\r\n", _CHUNK_BODY),
        400,
        501,
    ),
    _p(
        "Transfer-Encoding twice",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", _CHUNK_BODY),
    ),
    _p(
        "Transfer-Encoding xchunked",
        "framing",
        _post(b"Transfer-Encoding: xchunked\r\n", _CHUNK_BODY),
        400,
        501,
    ),
    _p(
        "Transfer-Encoding folded",
        "framing",
        _post(b"Transfer-Encoding:\r\n chunked\r\n", _CHUNK_BODY),
    ),
    _p(
        "Transfer-Encoding in HTTP/1.0",
        "framing",
        b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + _CHUNK_BODY,
    ),
    _p(
        "chunk size 0x5",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b"0x5\r\nhello\r\n0\r\n\r\n"),
    ),
    _p(
        "chunk size empty",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b"\r\nhello\r\n0\r\n\r\n"),
    ),
    _p(
        "chunk size with sign",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b"+5\r\nhello\r\n0\r\n\r\n"),
    ),
    _p(
        "chunk size with leading space",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b" 5\r\nhello\r\n0\r\n\r\n"),
    ),
    _p(
        "chunk size zz",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b"zz\r\nhello\r\n0\r\n\r\n"),
    ),
    _p(
        "chunk size overflow",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b"1" + b"0" * 20 + b"\r\nhello\r\n0\r\n\r\n"),
        400,
        413,
    ),
    _p(
        "bare LF after chunk size",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b"5\nhello\r\n0\r\n\r\n"),
    ),
    _p(
        "chunk data without CRLF",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b"5\r\nhelloXX0\r\n\r\n"),
    ),
    _p(
        "request line in chunked trailer",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b"0\r\n" + SMUGGLED),
    ),
    _p(
        "bare LF in trailer",
        "framing",
        _post(b"Transfer-Encoding: chunked\r\n", b"0\r\nX-T: 1\n\r\n"),
    ),
]

HEAD = [
    _p(
        "bare CR in header value",
        "head",
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n",
    ),
    _p("bare LF line ends", "head", b"GET /echo HTTP/1.1\nHost: localhost\n\n"),
    _p("mixed line ends", "head", b"GET /echo HTTP/1.1\r\nHost: localhost\n\r\n"),
    _p(
        "NUL in header value",
        "head",
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\nX-A: a\x00b\r\n\r\n",
    ),
    _p(
        "control character in value",
        "head",
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\nX-A: a\x01b\r\n\r\n",
    ),
    _p(
        "control character in name",
        "head",
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\nX\x01A: b\r\n\r\n",
    ),
    _p("space before colon", "head", b"GET /echo HTTP/1.1\r\nHost : localhost\r\n\r\n"),
    _p(
        "obsolete line folding",
        "head",
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n b\r\n\r\n",
    ),
    _p(
        "header line without colon", "head", b"GET /echo HTTP/1.1\r\nHost: localhost\r\nX-A\r\n\r\n"
    ),
    _p(
        "two Host headers",
        "head",
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\nHost: evil.test\r\n\r\n",
    ),
    _p("no Host in HTTP/1.1", "head", b"GET /echo HTTP/1.1\r\nX-A: b\r\n\r\n"),
    _p("Host with path", "head", b"GET /echo HTTP/1.1\r\nHost: evil.test/x\r\n\r\n"),
    _p("Host with userinfo", "head", b"GET /echo HTTP/1.1\r\nHost: a@evil.test\r\n\r\n"),
    _p("Host with space", "head", b"GET /echo HTTP/1.1\r\nHost: a b\r\n\r\n"),
    _p("version HTTP/01.01", "head", b"GET /echo HTTP/01.01\r\nHost: localhost\r\n\r\n", 400, 505),
    _p("version HTTP/1.1.1", "head", b"GET /echo HTTP/1.1.1\r\nHost: localhost\r\n\r\n", 400, 505),
    _p("version lowercase", "head", b"GET /echo http/1.1\r\nHost: localhost\r\n\r\n"),
    _p("version HTTP/2.0", "head", b"GET /echo HTTP/2.0\r\nHost: localhost\r\n\r\n", 400, 505),
    _p("version HTTP/0.9", "head", b"GET /echo HTTP/0.9\r\nHost: localhost\r\n\r\n", 400, 505),
    _p("method with NUL", "head", b"G\x00T /echo HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    _p("method with tab", "head", b"GET\t/echo HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    _p("double space in request line", "head", b"GET  /echo HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    _p("tab in target", "head", b"GET /ec\tho HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    _p("trailing text after version", "head", b"GET /echo HTTP/1.1 x\r\nHost: localhost\r\n\r\n"),
    _p(
        "Expect other than 100-continue",
        "head",
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\nExpect: 200-ok\r\n\r\n",
        400,
        417,
    ),
]

LIMITS = [
    _p(
        "16 KB request target",
        "limits",
        b"GET /" + b"a" * 16384 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
        414,
    ),
    _p(
        "70 KB of headers",
        "limits",
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\n" + b"X-Pad: " + b"p" * 70000 + b"\r\n\r\n",
        431,
        400,
    ),
    _p(
        "200 header fields",
        "limits",
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\n"
        + b"".join(b"X-%d: v\r\n" % i for i in range(200))
        + b"\r\n",
        431,
        400,
    ),
    _p(
        "Content-Length over the limit",
        "limits",
        _post(b"Content-Length: 2000000\r\n", b"x" * 10),
        413,
    ),
    _p(
        "chunked body over the limit",
        "limits",
        _post(
            b"Transfer-Encoding: chunked\r\n", b"200000\r\n" + b"x" * 0x200000 + b"\r\n0\r\n\r\n"
        ),
        413,
    ),
    _p(
        "100-continue over the limit",
        "limits",
        _post(b"Content-Length: 2000000\r\nExpect: 100-continue\r\n"),
        413,
    ),
]

ALL = FRAMING + HEAD + LIMITS
