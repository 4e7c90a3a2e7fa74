"""docs/deployment.md's scale-out recipe, run as written: 2 hosts x 2 gunicorn workers.

The application, the gunicorn configuration and the command line are taken from the
document's code blocks, so the recipe cannot drift from what is tested. Two gunicorn
masters on two loopback ports stand for two hosts; both share the test run's Redis.
One visit, then 20 clients x 10 requests on the same session spread over both "hosts",
must count exactly 201 visits, served by all four worker processes.
"""

from __future__ import annotations

import http.client
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_lib_sessions_scaling import free_port, stop, wait_until_serving, worker_pids

pytestmark = [pytest.mark.live, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deployment.md"
GUNICORN = Path(sys.executable).with_name("gunicorn")
VISIT = re.compile(r"(\d+) visits \(served by process (\d+)\)")


def block(first_line: str) -> str:
    """Return the fenced code block of the document that starts with ``first_line``."""
    for found in re.finditer(r"```\w*\n(.*?)```", DOC.read_text(), re.S):
        if found.group(1).startswith(first_line):
            return found.group(1)
    raise AssertionError(f"no code block starting with {first_line!r} in {DOC}")


def command(port: int) -> list[str]:
    """The document's command line, on a loopback port, with this venv's gunicorn."""
    words = shlex.split(block("REDIS_URL="))
    assert words[1] == "gunicorn", words
    words = words[1:]
    words[0] = str(GUNICORN)
    bind = words.index("-b") + 1
    assert words[bind] == "0.0.0.0:8000"
    words[bind] = f"127.0.0.1:{port}"
    return words


@pytest.fixture
def hosts(tmp_path: Path, redis_url: str) -> Iterator[list[str]]:
    if not GUNICORN.exists():
        pytest.fail("gunicorn is not installed (it is a dev dependency)")
    (tmp_path / "myproject").mkdir()
    (tmp_path / "myproject" / "__init__.py").write_text("")
    (tmp_path / "myproject" / "scaled.py").write_text(block("# myproject/scaled.py"))
    conf = block("# gunicorn.conf.py, the same on every host")
    assert "workers = 4" in conf
    (tmp_path / "gunicorn.conf.py").write_text(conf.replace("workers = 4", "workers = 2"))
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}", "REDIS_URL": redis_url}
    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for host in range(2):
            port = free_port()
            log = tmp_path / f"host{host}.log"
            log.touch()
            argv = [*command(port), "--error-logfile", str(log)]
            procs.append(
                subprocess.Popen(
                    argv,
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_until_serving(procs[-1], port, log)
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        stop(procs)


def visit(conn: http.client.HTTPConnection, cookie: str) -> tuple[int, int, str]:
    # The recipe sets Secure cookies (HTTPS at the proxy); the test sends it back as is.
    conn.request("GET", "/", headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read().decode()
    assert response.status == 200, body
    found = VISIT.fullmatch(body)
    assert found is not None, body
    setcookie = (response.getheader("Set-Cookie") or "").split(";")[0]
    return int(found.group(1)), int(found.group(2)), setcookie


def connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def test_n_hosts_by_m_workers_share_sessions_in_redis(hosts: list[str]) -> None:
    conn = connect(hosts[0])
    count, _, cookie = visit(conn, "")
    conn.close()
    assert count == 1 and cookie.startswith("session_id=")
    errors: list[BaseException] = []

    def client(index: int) -> None:
        conn = connect(hosts[index % len(hosts)])
        try:
            for _ in range(10):
                visit(conn, cookie)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    conn = connect(hosts[1])
    assert visit(conn, cookie)[0] == 202  # 1 + 20 x 10 + this one: no update lost
    conn.close()
    # Every worker of both hosts answers (each on a new session: the count stays 202).
    for url in hosts:
        answers = worker_pids(url, "/", 2)  # "1 visits (served by process N)", N differing
        assert len(answers) == 2, f"both workers of {url} must serve: {answers}"
