"""Byte ranges: parse a ``Range`` header and lay out a partial (206) response body.

:func:`get_ranges` turns ``Range: bytes=...`` into ``(start, stop)`` slices of a
resource of known length; :func:`plan_ranges` adds the limits a server needs against
abusive headers; :class:`MultipartRanges` builds the ``multipart/byteranges`` body
and knows its exact length before a byte is read, so the response keeps a
``Content-Length``.

Limits (RFC 9110 section 14.2 lets a server ignore or coalesce ranges):

- more than :data:`MAX_RANGES` ranges in one header: the header is ignored and the
  whole resource is sent (200), as Apache does past its ``MaxRanges``;
- ranges are sent as asked (in their order, overlaps included, as CherryPy sends
  them) while together they hold no more bytes than the resource; past that they are
  sorted and merged, so no byte is sent twice;
- if the response would be larger than twice the resource plus
  :data:`FRAMING_ALLOWANCE` (many tiny ranges), the whole resource is sent instead.

CherryPy always sends every range as asked, so ``bytes=0-,0-,0-...`` makes it send the
file once per range; this module never sends more than twice the file's size plus a
few kilobytes of part headers.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import IO

from framework.httputil import get_ranges

__all__ = ["FRAMING_ALLOWANCE", "MAX_RANGES", "MultipartRanges", "plan_ranges", "read_range"]

#: The most ranges honoured in one ``Range`` header; past it the header is ignored.
MAX_RANGES = 64

#: Part headers a multipart response may add beyond twice the resource's size (so a
#: small file's ranges are honoured; 64 parts of headers need about 6 KB).
FRAMING_ALLOWANCE = 4096

#: Bytes read from a file per chunk of a ranged body.
CHUNK_SIZE = 65536


def _coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def plan_ranges(header: str | None, length: int) -> list[tuple[int, int]] | None:
    """Return the ranges to send for ``header``, within this module's limits.

    Args:
        header: the ``Range`` header value.
        length: the resource's length in bytes.

    Returns:
        ``None``: send the whole resource (no, invalid, too many or too costly ranges);
        ``[]``: nothing is satisfiable (416); otherwise the slices to send, in order.
    """
    if not header or header.count(",") >= MAX_RANGES:
        return None
    ranges = get_ranges(header, length)
    if not ranges:
        return ranges
    ranges = [(start, stop) for start, stop in ranges if stop > start]
    if not ranges:
        return []  # only empty ranges ("bytes=-0"): nothing is satisfiable
    if sum(stop - start for start, stop in ranges) > length:
        ranges = _coalesce(ranges)
    if len(ranges) > 1:
        framing = MultipartRanges.framing_size(ranges, length, "application/octet-stream")
        sent = sum(stop - start for start, stop in ranges) + framing
        if sent > 2 * length + FRAMING_ALLOWANCE:
            return None
    return ranges


def read_range(fileobj: IO[bytes], start: int, stop: int) -> Iterator[bytes]:
    """Yield bytes ``start`` to ``stop`` of a seekable file, in chunks."""
    fileobj.seek(start)
    remaining = stop - start
    while remaining > 0:
        chunk = fileobj.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


class MultipartRanges:
    """A ``multipart/byteranges`` body over a seekable file.

    Args:
        fileobj: the open file (closed when the body is exhausted or closed).
        ranges: the ``(start, stop)`` slices, in the order they are sent.
        length: the file's total length.
        content_type: the file's own media type, repeated in each part.
    """

    def __init__(
        self, fileobj: IO[bytes], ranges: list[tuple[int, int]], length: int, content_type: str
    ) -> None:
        self.fileobj = fileobj
        self.ranges = ranges
        self.boundary = secrets.token_hex(16)
        self.heads = [
            self._head(self.boundary, content_type, start, stop, length) for start, stop in ranges
        ]
        self.tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")

    @staticmethod
    def _head(boundary: str, content_type: str, start: int, stop: int, length: int) -> bytes:
        # COMPAT: CherryPy's spelling of the part headers (names are case-insensitive).
        return (
            f"\r\n--{boundary}\r\nContent-type: {content_type}\r\n"
            f"Content-range: bytes {start}-{stop - 1}/{length}\r\n\r\n"
        ).encode("latin-1")

    @classmethod
    def framing_size(cls, ranges: list[tuple[int, int]], length: int, content_type: str) -> int:
        """Return how many bytes of framing a body with these ranges adds."""
        boundary = "0" * 32
        heads = sum(len(cls._head(boundary, content_type, a, b, length)) for a, b in ranges)
        return heads + len(f"\r\n--{boundary}--\r\n")

    @property
    def content_type(self) -> str:
        """The response's ``Content-Type``."""
        return f"multipart/byteranges; boundary={self.boundary}"

    @property
    def content_length(self) -> int:
        """The exact length of the body."""
        data = sum(stop - start for start, stop in self.ranges)
        return data + sum(len(head) for head in self.heads) + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        try:
            for head, (start, stop) in zip(self.heads, self.ranges, strict=True):
                yield head
                yield from read_range(self.fileobj, start, stop)
            yield self.tail
        finally:
            self.fileobj.close()
