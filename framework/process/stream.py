"""A connection's input: whole request heads without holding a thread, bodies under a deadline.

:class:`SocketReader` replaces cheroot's buffered socket reader as ``conn.rfile``. It
changes two things about how a worker thread waits for a client:

- **Heads are gathered without blocking.** A worker given a readable connection takes
  what the socket has (:meth:`SocketReader.fill_nowait`) and, unless the buffer now
  holds a complete head (or enough to refuse one), hands the connection back to the
  selector at once. A silent or slow-drip client therefore never holds a thread while
  it sends its head; the head as a whole must arrive within ``header_timeout`` of its
  first byte (the server's selector closes it otherwise).
- **Bodies are read under a deadline.** :meth:`begin_body` starts a budget of
  ``body_timeout`` seconds, extended by one second per ``body_min_rate`` bytes
  received (Apache's ``mod_reqtimeout`` model), so a large upload at a decent rate
  is fine while a trickle is cut off. A read past the budget raises ``TimeoutError``.

Bytes are kept in one buffer with a read position; ``has_data()`` (what cheroot's
connection manager asks before parking an idle connection) is true only when a
complete head is buffered, so a partial pipelined request waits in the selector.
"""

from __future__ import annotations

import os
import ssl
import time
from typing import Any

__all__ = ["SocketReader"]

#: Largest single ``recv``: one read of a socket never allocates more than this.
RECV_SIZE = 64 * 1024

_monotonic = time.monotonic


class SocketReader:
    """Buffered reads from one client socket (``conn.rfile``).

    Args:
        sock: the connected socket (plain or TLS).
        idle_timeout: the socket's normal timeout (``server.socket_timeout``),
            restored after every deadline-bound read.
        line_limit: longest request line (``server.max_request_line_size``).
        head_limit: largest request head (``server.max_request_header_size``).
    """

    __slots__ = (
        "_budget",
        "_buf",
        "_fd",
        "_pos",
        "_rate",
        "_rate_from",
        "bytes_read",
        "closed",
        "head_limit",
        "head_started",
        "idle_timeout",
        "line_limit",
        "sock",
    )

    def __init__(self, sock: Any, idle_timeout: float, line_limit: int, head_limit: int) -> None:
        self.sock = sock
        self.idle_timeout = idle_timeout
        self.line_limit = line_limit
        self.head_limit = head_limit
        self._buf = b""
        self._pos = 0
        self.bytes_read = 0
        self.closed = False
        #: When the first byte of the head being gathered arrived (monotonic), or 0.
        self.head_started = 0.0
        # PERF: a plain socket with a timeout is non-blocking at the OS level (that is
        # how Python implements timeouts), so os.read() on it returns at once, without
        # the poll() that sock.recv() does first. TLS sockets go through settimeout(0).
        plain = not isinstance(sock, ssl.SSLSocket) and bool(sock.gettimeout())
        self._fd = sock.fileno() if plain else -1
        self._budget = float("inf")
        self._rate = 0.0
        self._rate_from = 0

    # -- heads ---------------------------------------------------------------------------
    def has_data(self) -> bool:
        """True when a request head can be parsed (or refused) without waiting."""
        if self._pos == len(self._buf):  # PERF: the usual answer, after a response
            return False
        return self.head_ready()

    def head_ready(self) -> bool:
        """True if the buffer holds a complete head, or enough to refuse one."""
        data = self._buf
        pos = self._pos
        if data.find(b"\r\n\r\n", pos) != -1:
            return True
        pending = len(data) - pos
        if pending > self.head_limit:
            return True  # 431
        newline = data.find(b"\n", pos)
        if newline == -1:
            return pending > self.line_limit + 2  # 414
        if newline - pos > self.line_limit + 1:
            return True  # 414
        # A bare LF (a line not ended by CRLF) is refused at once, not waited on.
        return data.count(b"\n", pos) != data.count(b"\r\n", pos)

    def fill_nowait(self) -> bool:
        """Append what the socket holds now, without blocking.

        Returns:
            False if the peer closed the connection (or it failed), else True.
        """
        sock = self.sock
        try:
            if self._fd >= 0:
                data = os.read(self._fd, RECV_SIZE)
            else:
                sock.settimeout(0.0)
                try:
                    data = sock.recv(RECV_SIZE)
                finally:
                    sock.settimeout(self.idle_timeout)
        except (BlockingIOError, ssl.SSLWantReadError, InterruptedError):
            return True
        except OSError:
            return False
        if not data:
            return False
        if self._pos == len(self._buf):
            self._buf, self._pos = data, 0
            self.head_started = _monotonic()
        else:
            self._buf = self._buf[self._pos :] + data
            self._pos = 0
        self.bytes_read += len(data)
        return True

    def take_head(self) -> bytes:
        """Remove and return the buffered head, through its empty line.

        Call only when :meth:`head_ready` is true. If the head is not complete
        (it is being refused for its size or a bare LF), the whole buffer is
        returned.
        """
        data, pos = self._buf, self._pos
        end = data.find(b"\r\n\r\n", pos)
        end = len(data) if end == -1 else end + 4
        head = data[pos:end]
        self._pos = end
        if end == len(data):
            self._buf, self._pos = b"", 0
        # What follows is this request's body: the next head starts in end_body().
        self.head_started = 0.0
        return head

    def head_expired(self, timeout: float) -> bool:
        """True if the head being gathered started more than ``timeout`` s ago."""
        return bool(self.head_started) and _monotonic() - self.head_started > timeout

    # -- bodies ------------------------------------------------------------------------
    def begin_body(self, timeout: float, min_rate: float) -> None:
        """Start the receive budget for a body (see the module docstring).

        Args:
            timeout: seconds allowed before any rate credit.
            min_rate: bytes per second that earn one more second (0: none).
        """
        self._budget = _monotonic() + timeout
        self._rate = float(min_rate)
        self._rate_from = self.bytes_read

    def end_body(self) -> None:
        """Stop the body budget; bytes still buffered are the next request's head."""
        self._budget = float("inf")
        self.head_started = _monotonic() if self._pos < len(self._buf) else 0.0

    def _remaining(self) -> float:
        budget = self._budget
        if self._rate:
            budget += (self.bytes_read - self._rate_from) / self._rate
        return budget - _monotonic()

    def _recv(self, size: int) -> bytes:
        """One blocking ``recv`` bounded by the budget and the idle timeout.

        Raises:
            TimeoutError: the budget is spent or the client stayed silent.
        """
        remaining = self._remaining()
        if remaining <= 0:
            raise TimeoutError("request body deadline passed")
        sock = self.sock
        if remaining < self.idle_timeout:
            sock.settimeout(remaining)
            try:
                data: bytes = sock.recv(min(size, RECV_SIZE))
            finally:
                sock.settimeout(self.idle_timeout)
        else:
            data = sock.recv(min(size, RECV_SIZE))
        self.bytes_read += len(data)
        return data

    def read(self, size: int | None = None) -> bytes:
        """Read up to ``size`` bytes (until EOF if None), buffered bytes first.

        Raises:
            TimeoutError: the body budget is spent.
        """
        data, pos = self._buf, self._pos
        buffered = len(data) - pos
        if size is not None and size <= buffered:
            self._pos = pos + size
            return data[pos : pos + size]
        chunks = [data[pos:]] if buffered else []
        self._buf, self._pos = b"", 0
        got = buffered
        while size is None or got < size:
            chunk = self._recv(RECV_SIZE if size is None else size - got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def readline(self, size: int | None = None) -> bytes:
        """Read through the next LF, or ``size`` bytes, or to EOF.

        Raises:
            TimeoutError: the body budget is spent.
        """
        limit = RECV_SIZE if size is None or size < 0 else size
        while True:
            data, pos = self._buf, self._pos
            newline = data.find(b"\n", pos, pos + limit)
            if newline != -1:
                end = newline + 1
                break
            if len(data) - pos >= limit:
                end = pos + limit
                break
            chunk = self._recv(RECV_SIZE)
            if not chunk:
                end = len(data)
                break
            self._buf, self._pos = data[pos:] + chunk, 0
        line = self._buf[self._pos : end]
        self._pos = end
        return line

    def close(self) -> None:
        """Drop the buffer (the connection closes the socket itself)."""
        self.closed = True
        self._buf, self._pos = b"", 0
