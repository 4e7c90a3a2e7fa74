"""Graceful shutdown of a real server process: SIGTERM drains in-flight responses."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.live, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

SERVER = """
import sys, time
import framework
framework.log.screen = True  # engine messages on stderr
from framework.process import bus
from framework.process.server import server as srv

CHUNKS, DELAY = {chunks}, {delay}

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    def stream():
        for i in range(CHUNKS):
            yield f"chunk{{i:03d}};".encode()
            time.sleep(DELAY)
    return stream()

srv.wsgi_app = app  # the default server, already subscribed to the engine
srv.socket_port = 0
srv.shutdown_timeout = {shutdown_timeout}
bus.subscribe("stop", lambda: print("stop-listener", flush=True))
bus.subscribe("exit", lambda: print("exit-listener", flush=True))
bus.signals.subscribe()
bus.start()
print(srv.base(), flush=True)
def blocking():
    bus.unsubscribe("main", blocking)
    print("blocking", flush=True)
bus.subscribe("main", blocking)
bus.block()
print("main-returned", flush=True)
"""


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def _launch(
        chunks: int, delay: float, shutdown_timeout: float
    ) -> tuple[subprocess.Popen[str], int]:
        script = tmp_path / "server.py"
        script.write_text(
            textwrap.dedent(SERVER).format(
                chunks=chunks, delay=delay, shutdown_timeout=shutdown_timeout
            )
        )
        proc = subprocess.Popen(
            [sys.executable, str(script)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        assert proc.stdout.readline() == "blocking\n"
        return proc, int(url.rsplit(":", 1)[1])

    yield _launch
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_finishes_streamed_response_then_exits_zero(launch: object) -> None:
    proc, port = launch(chunks=20, delay=0.1, shutdown_timeout=10)  # type: ignore[operator]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/")
    resp = conn.getresponse()
    body = resp.read(9)  # the first chunk: the request is in flight
    assert body == b"chunk000;"

    rest: list[bytes] = []
    reader = threading.Thread(target=lambda: rest.append(resp.read()))
    reader.start()
    proc.send_signal(signal.SIGTERM)

    # New connections are refused while the stream is still being written.
    deadline = time.monotonic() + 1.5
    while not refuses(port) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert refuses(port)
    assert reader.is_alive()

    reader.join(30)
    conn.close()
    assert body + rest[0] == b"".join(f"chunk{i:03d};".encode() for i in range(20))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.splitlines() == ["stop-listener", "exit-listener", "main-returned"]
    assert "Caught signal SIGTERM" in err


def test_sigterm_gives_up_on_slow_responses_after_shutdown_timeout(launch: object) -> None:
    proc, port = launch(chunks=1000, delay=0.1, shutdown_timeout=0.5)  # type: ignore[operator]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/")
    resp = conn.getresponse()
    assert resp.read(9) == b"chunk000;"
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert time.monotonic() - began < 10  # nothing hangs on a never-ending stream
    assert proc.returncode == 0
    resp.close()
    conn.close()


def test_sigint_stops_like_ctrl_c(launch: object) -> None:
    proc, _ = launch(chunks=1, delay=0, shutdown_timeout=5)  # type: ignore[operator]
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Keyboard Interrupt: shutting down bus" in err
    assert out.splitlines()[-3:] == ["stop-listener", "exit-listener", "main-returned"]


QUICKSTART = """
import os, sys
import framework

class Root:
    @framework.expose
    def index(self):
        return "hi from " + str(os.getpid())

framework.engine.subscribe("start", lambda: print(framework.server.base(), flush=True), priority=90)
framework.engine.subscribe("exit", lambda: print("exit-listener", flush=True))
settings = {{"server.socket_port": {port}, "log.screen": True}}
framework.quickstart(Root(), config={{"global": settings}})
print("quickstart-returned", flush=True)
"""


def run_quickstart(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    script = tmp_path / "qs.py"
    script.write_text(textwrap.dedent(QUICKSTART).format(port=port))
    return subprocess.Popen(
        [sys.executable, str(script)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_quickstart_serves_a_framework_app_until_sigterm(tmp_path: Path) -> None:
    proc = run_quickstart(tmp_path, 0)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/", timeout=10) as resp:
            assert resp.read() == f"hi from {proc.pid}".encode()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.splitlines()[-2:] == ["exit-listener", "quickstart-returned"]


def test_quickstart_on_a_busy_port_fails_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = run_quickstart(tmp_path, port)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.splitlines()[-1] == (
        f"Engine could not start: Cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in err
    assert "quickstart-returned" not in out
