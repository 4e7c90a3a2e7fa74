"""The strict server under attack over raw sockets: smuggling, bad heads, limits, slow clients.

Every payload of ``tests/support/payloads.py`` is sent on a fresh connection and again
after a successful keep-alive request on the same connection. Each must be answered
with its 4xx/5xx, the connection closed right after (never reused after a framing
error), and no request hidden inside it (``/smuggled``) may reach the application.
The slow-client tests check that silent, slow-drip and idle clients never keep a
normal request waiting, and that a saturated pool answers 503 at once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from framework.process.server import serve_in_thread
from payloads import ALL, FRAMING, SMUGGLED, Payload
from rawhttp import GOOD, RawClient, exchange

pytestmark = pytest.mark.live

MAX_BODY = 1_000_000


class Recorder:
    """A WSGI app that records each request's path and headers and echoes its body."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.environs: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.release.set()
        self.read_body = True

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.paths.append(environ["PATH_INFO"])
        self.environs.append(dict(environ))
        if environ["PATH_INFO"] == "/block":
            self.release.wait(10)
        body = environ["wsgi.input"].read() if self.read_body else b""
        out = b"ok:" + body
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))]
        )
        return [out]


@pytest.fixture
def app() -> Recorder:
    return Recorder()


@pytest.fixture
def port(app: Recorder) -> Iterator[int]:
    with serve_in_thread(app, max_request_body_size=MAX_BODY, header_timeout=2) as url:
        yield int(url.rsplit(":", 1)[1])


def _send(client: RawClient, data: bytes) -> None:
    try:
        client.send(data)
    except OSError:
        pass  # the server may refuse and close before a large payload is sent


def _assert_refused(payload: Payload, client: RawClient, app: Recorder) -> None:
    result = client.drain(2.0)
    assert result.statuses, f"{payload.name}: no answer"
    assert result.statuses[0] in payload.expect, (
        payload.name,
        result.statuses,
        result.replies[0].body,
    )
    assert result.statuses == result.statuses[:1], (
        f"{payload.name}: a second response {result.statuses}"
    )
    assert result.replies[0].headers.get("connection") == "close"
    assert result.closed, f"{payload.name}: the connection stayed open after a framing error"
    assert "/smuggled" not in app.paths


@pytest.mark.parametrize("payload", ALL, ids=[p.name for p in ALL])
def test_refused_on_a_new_connection(payload: Payload, port: int, app: Recorder) -> None:
    with RawClient(port) as client:
        _send(client, payload.data)
        _assert_refused(payload, client, app)


@pytest.mark.parametrize("payload", ALL, ids=[p.name for p in ALL])
def test_refused_after_a_keep_alive_request(payload: Payload, port: int, app: Recorder) -> None:
    with RawClient(port) as client:
        client.send(GOOD)
        first = client.reply()
        assert first is not None and first.status == 200
        assert "connection" not in first.headers  # kept alive
        _send(client, payload.data)
        _assert_refused(payload, client, app)


@pytest.mark.parametrize("payload", FRAMING[:6], ids=[p.name for p in FRAMING[:6]])
def test_refused_when_pipelined_behind_a_good_request(
    payload: Payload, port: int, app: Recorder
) -> None:
    with RawClient(port) as client:
        _send(client, GOOD + payload.data + GOOD)
        result = client.drain(2.0)
    assert result.statuses[0] == 200
    assert result.statuses[1] in payload.expect
    assert len(result.statuses) == 2 and result.closed
    assert app.paths == ["/ok"]


def test_a_good_chunked_body_with_trailers_then_a_pipelined_request(
    port: int, app: Recorder
) -> None:
    body = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n"
    post = b"POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    with RawClient(port) as client:
        client.send(post + GOOD)
        first, second = client.reply(), client.reply()
    assert first is not None and first.body == b"ok:hello world"
    assert second is not None and second.status == 200
    assert app.paths == ["/echo", "/ok"]


def test_underscore_headers_never_overwrite_dashed_ones(port: int, app: Recorder) -> None:
    request = (
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\n"
        b"X-Auth-User: alice\r\nX_Auth_User: admin\r\nX_Only_Underscore: 1\r\n\r\n"
    )
    result = exchange(port, request, 1.0)
    assert result.statuses == [200]
    environ = app.environs[0]
    assert environ["HTTP_X_AUTH_USER"] == "alice"
    assert "HTTP_X_ONLY_UNDERSCORE" not in environ


def test_repeated_fields_are_joined_and_cookies_with_semicolons(port: int, app: Recorder) -> None:
    request = (
        b"GET /echo HTTP/1.1\r\nHost: localhost\r\nAccept: a\r\naccept: b\r\n"
        b"Cookie: x=1\r\nCookie: y=2\r\n\r\n"
    )
    assert exchange(port, request, 1.0).statuses == [200]
    assert app.environs[0]["HTTP_ACCEPT"] == "a, b"
    assert app.environs[0]["HTTP_COOKIE"] == "x=1; y=2"


def test_an_unread_chunked_body_closes_the_connection(port: int, app: Recorder) -> None:
    app.read_body = False
    body = b"2c\r\n" + SMUGGLED + b"\r\n0\r\n\r\n"
    post = b"POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    result = exchange(port, post, 1.0)
    assert result.statuses == [200]
    assert result.replies[0].headers["connection"] == "close"
    assert result.closed and app.paths == ["/echo"]


def test_a_short_unread_body_is_drained_not_parsed(port: int, app: Recorder) -> None:
    app.read_body = False
    post = b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED)
    with RawClient(port) as client:
        client.send(post + SMUGGLED + GOOD)
        statuses = [client.reply().status, client.reply().status]  # type: ignore[union-attr]
    assert statuses == [200, 200]
    assert app.paths == ["/echo", "/ok"]


def test_a_large_unread_body_closes_the_connection(port: int, app: Recorder) -> None:
    app.read_body = False
    post = b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 500000\r\n\r\n"
    with RawClient(port) as client:
        client.send(post + b"x" * 1000)
        reply = client.reply()
        assert reply is not None and reply.headers["connection"] == "close"


def test_expect_100_continue_is_answered_before_the_body(port: int, app: Recorder) -> None:
    head = (
        b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
        b"Expect: 100-continue\r\n\r\n"
    )
    with RawClient(port) as client:
        client.send(head)
        interim = client.reply(head_only=True)
        assert interim is not None and interim.status == 100
        client.send(b"hello")
        final = client.reply()
    assert final is not None and final.body == b"ok:hello"


def test_expect_100_continue_over_the_limit_is_refused_before_any_body(
    port: int, app: Recorder
) -> None:
    head = (
        b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000\r\n"
        b"Expect: 100-continue\r\n\r\n"
    )
    result = exchange(port, head, 1.0)
    assert result.statuses == [413] and result.closed
    assert app.paths == []


# -- slow and silent clients ------------------------------------------------------------------
def _timed_get(port: int) -> float:
    began = time.monotonic()
    result = exchange(port, GOOD.replace(b"Host", b"Connection: close\r\nHost"), 5.0)
    assert result.statuses == [200]
    return time.monotonic() - began


def test_silent_connections_never_hold_a_thread(app: Recorder) -> None:
    with serve_in_thread(app, thread_pool=2) as url:
        port = int(url.rsplit(":", 1)[1])
        silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        try:
            assert _timed_get(port) < 1.0
        finally:
            for sock in silent:
                sock.close()


def test_incomplete_heads_never_hold_a_thread(app: Recorder) -> None:
    with serve_in_thread(app, thread_pool=2) as url:
        port = int(url.rsplit(":", 1)[1])
        dripping = []
        for _ in range(40):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /slow HTTP/1.1\r\nHost: local")
            dripping.append(sock)
        try:
            assert _timed_get(port) < 1.0
        finally:
            for sock in dripping:
                sock.close()


def test_a_slow_drip_head_is_cut_at_the_header_timeout(app: Recorder) -> None:
    with serve_in_thread(app, header_timeout=1) as url:
        port = int(url.rsplit(":", 1)[1])
        with RawClient(port) as client:
            began = time.monotonic()
            closed = False
            for byte in b"GET /drip HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"p" * 100:
                try:
                    client.send(bytes([byte]))
                except OSError:
                    closed = True
                    break
                if client._more(time.monotonic() + 0.1) or client.eof:
                    closed = True
                    break
            elapsed = time.monotonic() - began
        assert closed and elapsed < 2.5
        assert client.buf == b"" or client.buf.startswith(b"HTTP/1.1 408")
    assert app.paths == []


def test_a_body_shorter_than_its_length_gets_408_at_the_deadline(app: Recorder) -> None:
    with serve_in_thread(app, body_timeout=1, body_min_rate=0) as url:
        port = int(url.rsplit(":", 1)[1])
        with RawClient(port) as client:
            began = time.monotonic()
            client.send(
                b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nshort"
            )
            result = client.drain(5.0)
    assert result.statuses == [408] and result.closed
    assert 0.8 < time.monotonic() - began < 3


def test_a_body_cut_by_the_client_is_400_not_500(port: int) -> None:
    with RawClient(port) as client:
        client.send(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nshort")
        client.sock.shutdown(socket.SHUT_WR)
        result = client.drain(3.0)
    assert result.statuses == [400] and result.closed


def test_an_idle_connection_after_a_body_is_closed_without_a_408(app: Recorder) -> None:
    # The body shares the buffer with the head: it must not count as a new request.
    with serve_in_thread(app, socket_timeout=1) as url:
        port = int(url.rsplit(":", 1)[1])
        with RawClient(port) as client:
            client.send(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
            reply = client.reply()
            assert reply is not None and reply.body == b"ok:hello"
            result = client.drain(4.0)
    assert result.closed and result.replies == [] and result.leftover == b""


def test_silence_after_connecting_gets_408(app: Recorder) -> None:
    with serve_in_thread(app, socket_timeout=1) as url:
        result = exchange(int(url.rsplit(":", 1)[1]), b"", 4.0)
    assert result.statuses == [408] and result.closed


def test_idle_keep_alive_connections_never_block_a_new_client(app: Recorder) -> None:
    with serve_in_thread(app, thread_pool=2) as url:
        port = int(url.rsplit(":", 1)[1])
        idle = []
        for _ in range(20):
            client = RawClient(port)
            client.send(GOOD)
            assert client.reply() is not None
            idle.append(client)
        try:
            assert _timed_get(port) < 1.0
        finally:
            for client in idle:
                client.close()


def test_a_saturated_pool_answers_503_at_once(app: Recorder) -> None:
    app.release.clear()
    with serve_in_thread(app, thread_pool=1, accepted_queue_size=1) as url:
        port = int(url.rsplit(":", 1)[1])
        blocked = RawClient(port)
        blocked.send(GOOD.replace(b"/ok", b"/block"))
        deadline = time.monotonic() + 5
        while "/block" not in app.paths and time.monotonic() < deadline:
            time.sleep(0.01)
        queued = RawClient(port)
        queued.send(GOOD)  # waits in the queue (size 1)
        time.sleep(0.2)
        began = time.monotonic()
        result = exchange(port, GOOD, 3.0)
        elapsed = time.monotonic() - began
        app.release.set()
        assert queued.reply() is not None
        blocked.close()
        queued.close()
    assert result.statuses == [503] and elapsed < 1.0


def test_a_client_connected_before_a_stop_is_still_served(app: Recorder) -> None:
    # Its head had not arrived when the server stopped accepting: like a queued
    # request on stock cheroot, it is answered within shutdown_timeout, not dropped.
    context = serve_in_thread(app, shutdown_timeout=3)
    url = context.__enter__()
    client = RawClient(int(url.rsplit(":", 1)[1]))
    time.sleep(0.2)  # accepted and parked
    stopper = threading.Thread(target=context.__exit__, args=(None, None, None))
    stopper.start()
    time.sleep(0.3)  # the server is stopping
    client.send(GOOD)
    reply = client.reply()
    client.close()
    stopper.join(10)
    assert reply is not None and reply.status == 200
