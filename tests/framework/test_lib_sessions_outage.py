"""Store outages: Redis or memcached stopped or frozen (SIGSTOP) answers 503 in time.

Each test runs its own redis-server or memcached (the binaries scripts/services.sh
installs) so it can stop and freeze it without disturbing other tests. A request
whose store is down or frozen gets a 503 within the configured socket timeout, never
hangs, leaves the rest of the site serving, and the same session works again as soon
as the store is back.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from session_apps import Counter

import framework
from framework.process.server import serve_in_thread

pytestmark = [pytest.mark.live, pytest.mark.slow]

SOCKET_TIMEOUT = 0.5
BOUND = SOCKET_TIMEOUT * 2 + 1.0  # the timeout, plus the connect, plus a loaded machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """A private redis-server or memcached we may stop, start, freeze and thaw."""

    def __init__(self, kind: str, workdir: Path) -> None:
        binary = shutil.which("redis-server" if kind == "redis" else "memcached")
        if binary is None:
            message = f"{kind} is not installed (scripts/services.sh installs it)"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        self.kind = kind
        self.port = free_port()
        if kind == "redis":
            self.argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            self.argv += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
        else:
            self.argv = [binary, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-u", "root"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def settings(self) -> dict[str, Any]:
        if self.kind == "redis":
            return {"tools.sessions.url": f"redis://127.0.0.1:{self.port}/0"}
        return {
            "tools.sessions.servers": [f"127.0.0.1:{self.port}"],
            "tools.sessions.connect_timeout": SOCKET_TIMEOUT,
        }

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.02)

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)
        self.proc.terminate()
        self.proc.wait(10)

    def freeze(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


@pytest.fixture(params=["redis", "memcached"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    svc = Service(request.param, tmp_path)
    yield svc
    svc.stop()


@pytest.fixture
def site(service: Service, key_prefix: str) -> Iterator[str]:
    conf = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": service.kind,
        "tools.sessions.prefix": key_prefix,
        "tools.sessions.socket_timeout": SOCKET_TIMEOUT,
        **service.settings,
    }
    app = framework.Application(Counter(), "", {"/": conf, "/plain": {"tools.sessions.on": False}})
    with serve_in_thread(app, thread_pool=10) as url:
        yield url


def get(url: str, path: str, cookie: str = "") -> tuple[int, str, str, float]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    started = time.monotonic()
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read().decode()
        setcookie = (response.getheader("Set-Cookie") or "").split(";")[0]
        return response.status, body, setcookie, time.monotonic() - started
    finally:
        conn.close()


def test_a_frozen_store_answers_503_in_time_and_recovers(service: Service, site: str) -> None:
    status, body, cookie, _ = get(site, "/")
    assert (status, body) == (200, "1")
    service.freeze()
    try:
        status, body, _, elapsed = get(site, "/", cookie)
        assert status == 503, body
        assert "session store is unavailable" in body
        assert elapsed < BOUND
        # The rest of the site does not depend on the store.
        status, body, _, elapsed = get(site, "/plain")
        assert (status, body) == (200, "no session used") and elapsed < BOUND
    finally:
        service.thaw()
    # The same session carries on at once: no lock left behind by the frozen requests.
    status, body, _, elapsed = get(site, "/", cookie)
    assert (status, body) == (200, "2")
    assert elapsed < BOUND


def test_many_requests_on_a_frozen_store_all_answer_in_time(service: Service, site: str) -> None:
    _, _, cookie, _ = get(site, "/")
    service.freeze()
    results: list[tuple[int, float]] = []
    try:

        def one() -> None:
            status, _, _, elapsed = get(site, "/", cookie)
            results.append((status, elapsed))

        threads = [threading.Thread(target=one) for _ in range(10)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        # Ten requests, one session: they queue on its lock, each costing at most one
        # socket timeout; none waits for ever.
        assert time.monotonic() - started < 10 * BOUND
        assert [status for status, _ in results] == [503] * 10
    finally:
        service.thaw()
    assert get(site, "/", cookie)[:2] == (200, "2")


def test_a_stopped_store_answers_503_and_recovers_when_it_returns(
    service: Service, site: str
) -> None:
    _, _, cookie, _ = get(site, "/")
    service.stop()
    status, body, _, elapsed = get(site, "/", cookie)
    assert status == 503, body
    assert elapsed < BOUND
    service.start()
    # The restarted store is empty (no persistence): the session starts afresh.
    status, body, new_cookie, _ = get(site, "/", cookie)
    assert (status, body) == (200, "1")
    assert new_cookie and new_cookie != cookie


def test_store_failures_are_logged(service: Service, site: str, error_records: list[Any]) -> None:
    service.stop()
    assert get(site, "/")[0] == 503
    messages = [record.getMessage() for record in error_records]
    assert any("Session store failure" in message for message in messages), messages
