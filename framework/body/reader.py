"""The request body as a stream bounded by its framing: Content-Length or EOF.

:class:`BodyReader` is the only thing that reads ``wsgi.input``. It never reads past
``Content-Length``, caps a body the server de-chunked (read until EOF) at ``maxbytes``,
and turns bad framing into a 4xx :class:`~framework.errors.HTTPError`: a body cut short
is 400, one over the limit 413, a client too slow for the server's timeout 408 (also
under other WSGI servers, whose ``wsgi.input`` raises ``TimeoutError`` or ``OSError``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from framework.errors import HTTPError

__all__ = ["BUFSIZE", "TRUNCATED", "BodyReader"]


def _stream_error(exc: Exception) -> HTTPError:
    """The 4xx for a ``wsgi.input`` that failed (servers other than Cherry's raise these).

    A socket timeout is the client's slowness (408); anything else (a reset, a bad
    chunk the server's reader refused) is a body that could not be read (400).
    """
    if isinstance(exc, TimeoutError):
        return HTTPError(408)
    return HTTPError(400, "The request body could not be read.")


#: Chunk size for reading a body of unknown length and for the multipart parser.
BUFSIZE = 64 * 1024

#: The 400 message for a body shorter than its Content-Length.
TRUNCATED = "The request body is shorter than its Content-Length."


class BodyReader:
    """A read-only view of the request body, bounded by its framing and ``maxbytes``.

    Args:
        fp: the raw input stream (``wsgi.input``).
        length: bytes to read (the ``Content-Length``, or 0 for no body), or
            ``None`` to read until EOF (a body the server has de-chunked).
        maxbytes: the most bytes an EOF-delimited body may hold, or ``None``.
    """

    __slots__ = ("_fp", "bytes_read", "length", "maxbytes")

    def __init__(self, fp: BinaryIO, length: int | None, maxbytes: int | None) -> None:
        self._fp = fp
        self.length = length
        self.maxbytes = maxbytes
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes of the body (all that is left if negative).

        Raises:
            HTTPError: 400 if the stream ends before ``Content-Length`` bytes;
                413 if an EOF-delimited body grows past ``maxbytes``.
        """
        if self.length is None:
            return self._read_to_eof(size)
        remaining = self.length - self.bytes_read
        if size < 0 or size > remaining:
            size = remaining
        if size == 0:
            return b""
        data = self._raw_read(size)
        # PERF: one read() normally returns everything; loop only on short reads.
        if len(data) < size:
            chunks = [data]
            got = len(data)
            while got < size:
                chunk = self._raw_read(size - got)
                if not chunk:
                    raise HTTPError(400, TRUNCATED)
                chunks.append(chunk)
                got += len(chunk)
            data = b"".join(chunks)
        self.bytes_read += size
        return data

    def _raw_read(self, size: int) -> bytes:
        try:
            return self._fp.read(size)
        except (OSError, ValueError) as exc:
            raise _stream_error(exc) from None

    def _raw_readline(self, size: int) -> bytes:
        try:
            return self._fp.readline(size) if size >= 0 else self._fp.readline()
        except (OSError, ValueError) as exc:
            raise _stream_error(exc) from None

    def _read_to_eof(self, size: int) -> bytes:
        if size >= 0:
            data = self._raw_read(size) if size else b""
            self._count(len(data))
            return data
        chunks = []
        while chunk := self._raw_read(BUFSIZE):
            self._count(len(chunk))
            chunks.append(chunk)
        return b"".join(chunks)

    def _count(self, n: int) -> None:
        self.bytes_read += n
        if self.maxbytes is not None and self.bytes_read > self.maxbytes:
            raise HTTPError(413)

    def readline(self, size: int = -1) -> bytes:
        """Read one line (up to ``size`` bytes if not negative), ending with ``\\n``.

        Raises:
            HTTPError: as for :meth:`read`.
        """
        if self.length is None:
            if self.maxbytes is not None:
                cap = self.maxbytes - self.bytes_read + 1
                size = cap if size < 0 else min(size, cap)
            line = self._raw_readline(size)
            self._count(len(line))
            return line
        remaining = self.length - self.bytes_read
        if size < 0 or size > remaining:
            size = remaining
        if size == 0:
            return b""
        line = self._raw_readline(size)
        if len(line) < size and not line.endswith(b"\n"):
            raise HTTPError(400, TRUNCATED)  # a short line without a newline means EOF
        self.bytes_read += len(line)
        return line

    def __iter__(self) -> Iterator[bytes]:
        """Yield the body line by line."""
        while line := self.readline():
            yield line
