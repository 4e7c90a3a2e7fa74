"""Faults: signals at any moment, clients vanishing mid-request, applications failing mid-body.

SIGTERM and Ctrl-C during start-up end the process cleanly (exit 0, no traceback,
within ``shutdown_timeout``); SIGTERM with requests in flight lets them finish (see also
test_shutdown.py); hundreds of clients disconnecting mid-response leave no thread and
no file descriptor behind; a response that fails while streaming, or that is shorter
than its ``Content-Length``, is cut on the wire, never framed as complete.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from framework.process.server import serve_in_thread
from rawhttp import GOOD, RawClient

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]

SLOW_START = """
import sys, time
import framework

class Root:
    @framework.expose
    def index(self):
        return "hi"

def slow_start():
    print("port-open", flush=True)   # the server (priority 75) listens already
    time.sleep(30)                   # the engine is still STARTING

framework.engine.subscribe("start", slow_start, priority=90)
framework.config.update(
    {"global": {"server.socket_port": 0, "server.shutdown_timeout": 2, "log.screen": True}}
)
framework.quickstart(Root())
print("quickstart-returned", flush=True)
"""


def _start_slowly(tmp_path: Path) -> subprocess.Popen[str]:
    script = tmp_path / "slow.py"
    script.write_text(textwrap.dedent(SLOW_START))
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "port-open"
    return proc


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_start_up_exits_zero_quickly(tmp_path: Path, signum: int) -> None:
    proc = _start_slowly(tmp_path)
    began = time.monotonic()
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert time.monotonic() - began < 2 + 3  # shutdown_timeout plus start-up slack
    assert "Traceback" not in err
    assert "while starting: shutting down bus" in err
    assert "HTTP Server" in err and "shut down" in err  # the half-started server stopped
    assert out.strip().endswith("quickstart-returned")


SLOW_STOP = """
import time
import framework

class Root:
    @framework.expose
    def index(self):
        return "hi"

def slow_stop():
    print("stopping", flush=True)
    time.sleep(30)

framework.engine.subscribe("start", lambda: print("started", flush=True), priority=90)
framework.engine.subscribe("stop", slow_stop, priority=10)
framework.config.update({"global": {"server.socket_port": 0, "log.screen": True}})
framework.quickstart(Root())
"""


def test_a_second_ctrl_c_during_the_shutdown_exits_130_at_once(tmp_path: Path) -> None:
    script = tmp_path / "stop.py"
    script.write_text(textwrap.dedent(SLOW_STOP))
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "started"
        proc.send_signal(signal.SIGINT)
        assert proc.stdout.readline().strip() == "stopping"  # the slow stop listener runs
        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert time.monotonic() - began < 5
    assert "Second Keyboard Interrupt: exiting now" in err
    assert "Traceback" not in err


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _settles(measure: Callable[[], int], target: int, seconds: float = 10.0) -> int:
    deadline = time.monotonic() + seconds
    value = measure()
    while value > target and time.monotonic() < deadline:
        time.sleep(0.05)
        value = measure()
    return value


def streaming(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    for _ in range(200):
        yield b"x" * 65536  # far more than a socket buffer: the writer blocks


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_mass_disconnects_leak_no_thread_and_no_fd() -> None:
    with serve_in_thread(streaming, thread_pool=8, socket_timeout=2) as url:
        port = int(url.rsplit(":", 1)[1])
        # Warm up: the pool's threads exist, one connection was served.
        with RawClient(port) as client:
            client.send(GOOD.replace(b"Host", b"Connection: close\r\nHost"))
            client.drain(5)
        fds, threads = _open_fds(), threading.active_count()
        for _ in range(10):
            clients = []
            for _ in range(20):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(GOOD)
                clients.append(sock)
            time.sleep(0.05)
            for sock in clients:  # gone mid-response, some before any byte was read
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                sock.close()
        assert _settles(_open_fds, fds) <= fds
        assert _settles(threading.active_count, threads) <= threads
        # ... and the server still answers.
        with RawClient(port) as client:
            client.send(GOOD)
            assert client.reply(head_only=True) is not None


def failing_stream(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    headers = [("Content-Type", "text/plain")]
    if environ["PATH_INFO"] == "/sized":
        headers.append(("Content-Length", "100"))
    start_response("200 OK", headers)
    yield b"first part;"
    raise RuntimeError("the database went away")


def short_body(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])
    return [b"only ten b"]


@pytest.mark.parametrize("path", ["/chunked", "/sized"])
def test_a_stream_that_fails_is_cut_not_completed(path: str) -> None:
    with serve_in_thread(failing_stream) as url:
        port = int(url.rsplit(":", 1)[1])
        with RawClient(port) as client:
            client.send(GOOD.replace(b"/ok", path.encode()) + GOOD)
            client.reply(head_only=True)
            while client._more(time.monotonic() + 3):
                pass
            rest = client.buf
    assert client.eof  # the connection was closed ...
    assert b"first part;" in rest
    assert not rest.endswith(b"0\r\n\r\n")  # ... without a chunked terminator
    assert b"HTTP/1.1" not in rest  # and the pipelined request was never answered
    if path == "/sized":
        assert len(rest) < 100


def test_a_body_shorter_than_its_content_length_closes_the_connection() -> None:
    with serve_in_thread(short_body) as url:
        port = int(url.rsplit(":", 1)[1])
        with RawClient(port) as client:
            client.send(GOOD + GOOD)
            client.reply(head_only=True)
            while client._more(time.monotonic() + 3):
                pass
    assert client.eof and client.buf == b"only ten b"


def test_a_client_gone_mid_body_frees_its_thread() -> None:
    def reader(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            environ["wsgi.input"].read()
        except Exception as exc:
            failures.append(type(exc).__name__)
            raise
        start_response("200 OK", [("Content-Length", "0")])
        return []

    failures: list[str] = []
    with serve_in_thread(reader, thread_pool=1) as url:
        port = int(url.rsplit(":", 1)[1])
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        time.sleep(0.2)
        sock.close()
        began = time.monotonic()
        with RawClient(port) as client:  # the only thread is free again at once
            client.send(GOOD)
            reply = client.reply()
        assert reply is not None and reply.status == 200
        assert time.monotonic() - began < 2
    assert failures == ["HTTPError"]
