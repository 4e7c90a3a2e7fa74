"""Raw-socket HTTP for tests: send exact bytes, read back every response and the close.

``http.client`` and ``requests`` refuse to send malformed requests, so the adversarial
tests write bytes themselves and parse what comes back just enough to count responses:
status line, headers, a ``Content-Length`` or chunked body, then whether the server
closed the connection.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field


@dataclass
class Reply:
    """One response read off the wire."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Exchange:
    """Everything a connection received: responses, leftovers, and how it ended."""

    replies: list[Reply] = field(default_factory=list)
    closed: bool = False
    leftover: bytes = b""
    seconds: float = 0.0

    @property
    def statuses(self) -> list[int]:
        return [reply.status for reply in self.replies]


class RawClient:
    """A connection to ``port`` that sends raw bytes and reads raw responses."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.timeout = timeout
        self.eof = False

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _more(self, deadline: float) -> bool:
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return False
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def _until(self, marker: bytes, deadline: float) -> int:
        while (index := self.buf.find(marker)) == -1:
            if not self._more(deadline):
                return -1
        return index

    def _take(self, n: int, deadline: float) -> bytes | None:
        while len(self.buf) < n:
            if not self._more(deadline):
                return None
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def reply(self, timeout: float | None = None, head_only: bool = False) -> Reply | None:
        """Read one response (None if the connection ended or stayed silent)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        end = self._until(b"\r\n\r\n", deadline)
        if end == -1:
            return None
        head, self.buf = self.buf[:end], self.buf[end + 4 :]
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if head_only or status in (100, 204, 304) or 100 <= status < 200:
            return Reply(status, headers, b"")
        if "content-length" in headers:
            body = self._take(int(headers["content-length"]), deadline) or b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked(deadline)
        else:
            while self._more(deadline):
                pass
            body, self.buf = self.buf, b""
        return Reply(status, headers, body)

    def _chunked(self, deadline: float) -> bytes:
        body = b""
        while True:
            end = self._until(b"\r\n", deadline)
            if end == -1:
                return body
            size = int(self.buf[:end].split(b";")[0], 16)
            self.buf = self.buf[end + 2 :]
            if size == 0:
                self._until(b"\r\n", deadline)
                self.buf = self.buf[self.buf.find(b"\r\n") + 2 :]
                return body
            data = self._take(size + 2, deadline)
            if data is None:
                return body
            body += data[:-2]

    def drain(self, timeout: float = 2.0) -> Exchange:
        """Read every further response until the server closes or goes quiet."""
        began = time.monotonic()
        result = Exchange()
        while (reply := self.reply(timeout)) is not None:
            result.replies.append(reply)
        result.closed = self.eof
        result.leftover = self.buf
        result.seconds = time.monotonic() - began
        return result


def exchange(port: int, payload: bytes, timeout: float = 2.0) -> Exchange:
    """Send ``payload`` on a new connection; return what came back and how it ended."""
    with RawClient(port, timeout) as client:
        client.send(payload)
        return client.drain(timeout)


GOOD = b"GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n"
