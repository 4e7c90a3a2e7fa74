"""The ``gzip`` tool: compress response bodies for clients that accept it.

``tools.gzip`` runs at ``before_finalize`` (priority 80; ``encode`` ran before it). It always
adds ``Vary: Accept-Encoding``, then compresses when the client accepts ``gzip`` (or
``x-gzip``, or ``*``) with a non-zero quality that ``identity`` does not beat and
the ``Content-Type`` is in ``mime_types`` (``text/*`` and ``application/*+xml``
wildcards work). It never touches 206 or 304 responses, bodies that already carry a
``Content-Encoding``, or responses served from ``tools.caching`` (stored compressed).
A client that accepts neither gzip nor identity gets 406.

Fixed bodies are compressed in one call. Streamed bodies (``response.stream``) are
compressed chunk by chunk with a sync flush after each, so a client sees every chunk
as soon as the handler yields it; nothing is buffered whole. The exception is a
streamed body that announced its length up to :data:`BUFFER_LIMIT` (a static file):
it is compressed whole, so the compressed response keeps a ``Content-Length``, as
CherryPy's does, and ``tools.caching`` stores and serves it with one.

A strong ``ETag`` becomes weak once the body is compressed: the bytes differ from the
identity representation, and RFC 9110 reserves strong tags for byte-identical ones.
(CherryPy keeps the tag strong.)
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from framework.context import serving
from framework.errors import HTTPError
from framework.httputil import AcceptElement

if TYPE_CHECKING:
    from framework.core.request import Request
    from framework.core.response import Response

__all__ = ["BUFFER_LIMIT", "compress", "decompress", "gzip"]

_GZIP_WBITS = 31  # zlib's gzip container (header and CRC32 trailer): for reading
_RAW_DEFLATE = -15  # deflate without a container: we write the gzip header ourselves

#: Bytes up to which a streamed body of known length is compressed whole.
BUFFER_LIMIT = 1 << 20


def _as_bytes(chunk: object) -> bytes:
    return chunk.encode("utf-8") if isinstance(chunk, str) else chunk  # type: ignore[return-value]


def _header(compress_level: int) -> bytes:
    """The RFC 1952 member header, as Python's gzip module and CherryPy write it.

    The modification time is now and the OS byte "unknown" (255), so the bytes equal
    ``gzip.GzipFile``'s for the same content and level (zlib's own container writes
    time 0 and the build's OS).
    """
    xfl = 2 if compress_level == 9 else 4 if compress_level == 1 else 0
    mtime = int(time.time()) & 0xFFFFFFFF
    return struct.pack("<BBBBLBB", 0x1F, 0x8B, 8, 0, mtime, xfl, 255)


def _trailer(crc: int, size: int) -> bytes:
    return struct.pack("<LL", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def compress(body: Iterable[object], compress_level: int, flush: bool = False) -> Iterator[bytes]:
    """Yield ``body`` gzip-compressed, one piece per input chunk.

    Args:
        body: chunks of bytes (text is encoded as UTF-8).
        compress_level: 0 (none) to 9 (best).
        flush: sync-flush after each chunk, so each can be sent at once.
    """
    compressor = zlib.compressobj(compress_level, zlib.DEFLATED, _RAW_DEFLATE)
    mode = zlib.Z_SYNC_FLUSH if flush else zlib.Z_NO_FLUSH
    crc = size = 0
    header = _header(compress_level)  # sent with the first compressed bytes
    try:
        for chunk in body:
            raw = _as_bytes(chunk)
            crc = zlib.crc32(raw, crc)
            size += len(raw)
            data = compressor.compress(raw)
            if flush:
                data += compressor.flush(mode)
            if data:
                yield header + data
                header = b""
        yield header + compressor.flush() + _trailer(crc, size)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def _compress_all(data: bytes, compress_level: int) -> bytes:
    """``data`` as one gzip member (see :func:`_header`)."""
    deflated = zlib.compress(data, compress_level, wbits=_RAW_DEFLATE)
    return _header(compress_level) + deflated + _trailer(zlib.crc32(data), len(data))


#: The most bytes :func:`decompress` inflates (a 1 MB gzip bomb holds about 1 GB).
MAX_INFLATED = 64 * 1024 * 1024


def decompress(body: bytes, max_size: int = MAX_INFLATED) -> bytes:
    """Return the content of a gzip-compressed ``body``.

    Raises:
        ValueError: the content is larger than ``max_size`` bytes.
        zlib.error: ``body`` is not gzip data.
    """
    inflater = zlib.decompressobj(_GZIP_WBITS)
    content = inflater.decompress(body, max_size + 1)
    if len(content) > max_size:
        raise ValueError(f"The gzip content is larger than {max_size} bytes.")
    return content + inflater.flush()


def _qualities(header: str) -> dict[str, float]:
    qualities: dict[str, float] = {}
    for part in header.split(","):
        if part.strip():
            element = AcceptElement.from_str(part)
            qualities[element.value.lower()] = element.qvalue
    return qualities


def _wants_gzip(header: str) -> bool | None:
    """Decide from ``Accept-Encoding``: True gzip, False identity, None neither (406)."""
    qualities = _qualities(header)
    star = qualities.get("*")
    explicit = [q for name, q in qualities.items() if name in ("gzip", "x-gzip")]
    gzip_q = max(explicit) if explicit else (star or 0.0)
    # Identity is acceptable unless excluded, but never preferred to a listed coding.
    identity_q = qualities.get("identity", star if star is not None else 0.001)
    if gzip_q > 0 and gzip_q >= identity_q:
        return True
    if identity_q > 0:
        return False
    return None


def _type_matches(ctype: str, mime_types: Iterable[str]) -> bool:
    if ctype in mime_types:
        return True
    major, _, minor = ctype.partition("/")
    for pattern in mime_types:
        pmajor, _, pminor = pattern.partition("/")
        if pmajor != major:
            continue
        if pminor == "*":
            return True
        if pminor.startswith("*+") and minor.endswith(pminor[1:]):
            return True
    return False


def _add_vary(headers: dict[str, str], name: str) -> None:
    vary = headers.get("Vary")
    if not vary:
        headers["Vary"] = name
    elif vary.strip() != "*" and name.lower() not in (v.strip().lower() for v in vary.split(",")):
        headers["Vary"] = f"{vary}, {name}"


def _unsuitable(request: Request, response: Response) -> str | None:
    """Why this response is not to be compressed, or None if it may be."""
    status = response.status
    code = status if isinstance(status, int) else int(str(status)[:3])
    if code in (206, 304) or code < 200 or code == 204:
        return f"not compressing a {code} response"
    if "Content-Encoding" in response.headers:
        return "the body is already encoded"
    if request.cached:
        return "not compressing a cached response"
    body = response.body
    if isinstance(body, list) and not any(body):
        return "no body"
    if not request.headers.get("Accept-Encoding"):
        return "no Accept-Encoding"
    return None


def gzip(
    compress_level: int = 5,
    mime_types: Iterable[str] = ("text/html", "text/plain"),
    debug: bool = False,
) -> None:
    """Gzip the response body if the client accepts it (the ``gzip`` tool).

    Args:
        compress_level: 0 (none) to 9 (best); 5 by default, as CherryPy.
        mime_types: the media types to compress; ``type/*`` and ``type/*+suffix``
            patterns are understood.
        debug: log each decision to the error log.
    """
    pair = serving.get()
    assert pair is not None
    request, response = pair
    headers = response.headers
    _add_vary(headers, "Accept-Encoding")
    unsuitable = _unsuitable(request, response)
    if unsuitable:
        return _log(debug, unsuitable)
    accept = request.headers["Accept-Encoding"]
    wanted = _wants_gzip(accept)
    if wanted is None:
        HTTPError(406, "identity, gzip").set_response()
        return None
    if not wanted:
        return _log(debug, f"gzip not preferred in {accept!r}")
    ctype = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if not _type_matches(ctype, mime_types):
        return _log(debug, f"Content-Type {ctype!r} not in {list(mime_types)!r}")
    _log(debug, "gzipping")
    headers["Content-Encoding"] = "gzip"
    length = headers.pop("Content-Length", None)
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        headers["ETag"] = "W/" + etag
    body = response.body
    if isinstance(body, list):
        data = b"".join(_as_bytes(chunk) for chunk in body)
        response.body = [_compress_all(data, compress_level)]
    elif response.stream and length is not None and int(length) <= BUFFER_LIMIT:
        data = b"".join(compress(body, compress_level))
        response.body = [data]
        headers["Content-Length"] = str(len(data))
    else:
        response.body = compress(body, compress_level, flush=response.stream)
    return None


def _log(debug: bool, message: str) -> None:
    if not debug:
        return
    request = serving.request
    if request is not None and request.app is not None:
        request.app.log.error(message, "TOOLS.GZIP")
