"""No lost updates: concurrent requests on one session, across threads, workers and hosts.

Every test drives 20 client threads x 10 requests, each incrementing the same
session's counter, and checks the counter ends at exactly 200: over a real cheroot
server for every store, through two gunicorn workers on Redis, and through two
separate servers (two "hosts" on two ports) sharing one Redis.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from session_apps import STORES, store_config

import framework
from framework.process.server import serve_in_thread

pytestmark = pytest.mark.live

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
THREADS, REQUESTS = 20, 10


def call(url: str, path: str, cookie: str = "") -> tuple[int, str, str]:
    """GET ``path``; return the status, the body and any session cookie set."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read().decode()
        setcookie = response.getheader("Set-Cookie") or ""
        return response.status, body, setcookie.split(";")[0]
    finally:
        conn.close()


def worker_pids(url: str, path: str, want: int, attempts: int = 500) -> set[str]:
    """Answer bodies of ``path`` (a process id) over fresh connections, until ``want`` differ.

    Which worker accepts a connection is the kernel's choice: a few requests can all go
    to one of them, so this asks until every worker has answered (or ``attempts`` ran out).
    """
    pids: set[str] = set()
    for _ in range(attempts):
        pids.add(call(url, path)[1])
        if len(pids) >= want:
            break
    return pids


def hammer(urls: list[str], cookie: str) -> list[tuple[int, str]]:
    """20 threads x 10 keep-alive requests to /incr, spread over ``urls``."""
    failures: list[tuple[int, str]] = []

    def worker(index: int) -> None:
        parts = urlsplit(urls[index % len(urls)])
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            for _ in range(REQUESTS):
                conn.request("GET", "/incr", headers={"Cookie": cookie})
                response = conn.getresponse()
                body = response.read().decode()
                if response.status != 200:
                    failures.append((response.status, body[:200]))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return failures


def count_to_200(urls: list[str]) -> None:
    status, sid, cookie = call(urls[0], "/start")
    assert status == 200 and cookie == f"session_id={sid}"
    assert hammer(urls, cookie) == []
    for url in urls:
        assert call(url, "/peek", cookie)[1] == str(THREADS * REQUESTS)


@pytest.mark.parametrize("kind", STORES)
def test_concurrent_requests_never_lose_an_update(
    kind: str, request: pytest.FixtureRequest
) -> None:
    from session_site import Site

    app = framework.Application(Site(), "", {"/": store_config(kind, request)})
    with serve_in_thread(app, thread_pool=10) as url:
        count_to_200([url])


# -- several processes ---------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(proc: subprocess.Popen[Any], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)


def stop(procs: list[subprocess.Popen[Any]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def site_env(redis_url: str, key_prefix: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}",
        "REDIS_URL": redis_url,
        "SESSION_PREFIX": key_prefix,
        **extra,
    }


@pytest.mark.slow
def test_two_gunicorn_workers_share_sessions_in_redis(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    if not GUNICORN.exists():
        pytest.fail("gunicorn is not installed (it is a dev dependency)")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    proc = subprocess.Popen(
        [
            *(str(GUNICORN), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}"),
            *("--error-logfile", str(log), "session_site:application"),
        ],
        env=site_env(redis_url, key_prefix),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(proc, port, log)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not re.search(r"Booting worker.*\n.*Booting worker", log.read_text()):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        count_to_200([url])
        assert len(worker_pids(url, "/pid", 2)) == 2, "both workers must have served"
    finally:
        stop([proc])


@pytest.mark.slow
def test_two_servers_on_two_ports_share_sessions_in_redis(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"host{i}.log" for i in range(2)]
    procs = []
    for port, log in zip(ports, logs, strict=True):
        with log.open("w") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(HERE / "session_site.py")],
                    env=site_env(redis_url, key_prefix, PORT=str(port)),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        for proc, port, log in zip(procs, ports, logs, strict=True):
            wait_until_serving(proc, port, log)
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        assert call(urls[0], "/pid")[1] != call(urls[1], "/pid")[1]
        count_to_200(urls)
    finally:
        stop(procs)
