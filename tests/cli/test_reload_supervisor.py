"""``cherry serve --reload`` never drops a request: the handover between workers.

A real supervisor and real workers on 127.0.0.1. The old worker stops accepting the
moment a save is seen and finishes its requests in flight (up to ``--grace``); the new
worker takes every new connection; the access log records only responses that reached
the client.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from serve_harness import Cherry, cherry, children, copy_asset, get, pid_alive, poll, try_get

pytestmark = [pytest.mark.live, pytest.mark.slow]


class Slow(threading.Thread):
    """A request to /slow?seconds=N in a thread: its status and body, or its error."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(daemon=True)
        self.url, self.seconds = url, seconds
        self.result: tuple[int, str] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn.request("GET", f"/slow?seconds={self.seconds}")
            response = conn.getresponse()
            self.result = (response.status, response.read().decode())
        except (OSError, http.client.HTTPException) as error:
            self.error = error
        finally:
            conn.close()


def _save(app: Path, old: str, new: str) -> None:
    app.write_text(app.read_text().replace(old, new))


@contextlib.contextmanager
def _serving(tmp_path: Path, *extra: str) -> Iterator[tuple[Cherry, str, Path]]:
    app_dir = copy_asset("serve_slow", tmp_path)
    with cherry(["serve", "app.py", "--port", "0", "--reload", *extra], app_dir) as proc:
        url = proc.url()
        poll(lambda: try_get(url) == (200, "v1"), message="first answer")
        proc.wait_watching()
        yield proc, url, app_dir


def _start_slow(url: str, app_dir: Path, seconds: float) -> Slow:
    slow = Slow(url, seconds)
    slow.start()
    poll(lambda: (app_dir / "started").exists(), message="the slow request began")
    return slow


def test_a_request_spanning_a_save_completes_and_new_requests_get_the_new_worker(
    tmp_path: Path,
) -> None:
    with _serving(tmp_path) as (proc, url, app_dir):
        slow = _start_slow(url, app_dir, 3)
        mark = len(proc.lines)
        saved = time.monotonic()
        _save(app_dir / "app.py", '"v1"', '"v2"')
        # Requests sent during the reload are answered by the new code, within the
        # time a reload takes, not after the old worker's request.
        answered = poll(lambda: try_get(url) == (200, "v2") and time.monotonic(), 10, "v2")
        assert answered - saved < 2.0
        assert slow.is_alive()  # the old worker is still busy with it
        slow.join(15)
        assert slow.error is None
        assert slow.result == (200, "slow v1")
        proc.wait_for(r'"GET /slow\?seconds=3 HTTP/1\.1" 200 ', after=mark)
        assert not any("not delivered" in line for line in proc.lines)


def test_a_request_outliving_the_grace_period_is_cut_and_never_logged_as_sent(
    tmp_path: Path,
) -> None:
    with _serving(tmp_path, "--grace", "0.5") as (proc, url, app_dir):
        slow = _start_slow(url, app_dir, 3)
        mark = len(proc.lines)
        _save(app_dir / "app.py", '"v1"', '"v2"')
        poll(lambda: try_get(url) == (200, "v2"), 10, "v2")
        slow.join(15)
        assert slow.result is None
        assert isinstance(slow.error, (ConnectionError, http.client.RemoteDisconnected))
        line = proc.wait_for(r'"GET /slow\?seconds=3 HTTP/1\.1" .*', after=mark).group(0)
        assert '"GET /slow?seconds=3 HTTP/1.1" - - ' in line
        proc.wait_for(r"GET /slow\?seconds=3 HTTP/1\.1: the 200 response was not delivered")


def test_many_clients_across_several_reloads_never_see_an_error(tmp_path: Path) -> None:
    with _serving(tmp_path) as (_proc, url, app_dir):
        results: list[object] = []
        done = threading.Event()

        def hammer() -> None:
            while not done.is_set():
                try:
                    results.append(get(url, timeout=10))
                except OSError as error:
                    results.append(error)

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            for version in ("v2", "v3", "v4"):
                previous = f"v{int(version[1]) - 1}"
                _save(app_dir / "app.py", f'"{previous}"', f'"{version}"')
                poll(lambda v=version: (200, v) in results[-4:], 15, f"{version} under load")
        finally:
            done.set()
            for thread in threads:
                thread.join(15)
        assert [r for r in results if not isinstance(r, tuple) or r[0] != 200] == []


def test_ctrl_c_lets_a_request_in_flight_finish_before_the_workers_exit(tmp_path: Path) -> None:
    with _serving(tmp_path) as (proc, url, app_dir):
        workers = children(proc.process.pid)
        slow = _start_slow(url, app_dir, 1.5)
        assert proc.stop(signal.SIGINT) == 0
        slow.join(10)
        assert slow.result == (200, "slow v1")
        assert not any(pid_alive(pid) for pid in workers)


def test_a_second_ctrl_c_stops_without_waiting_for_requests(tmp_path: Path) -> None:
    with _serving(tmp_path) as (proc, url, app_dir):
        slow = _start_slow(url, app_dir, 20)
        stopped = time.monotonic()
        proc.process.send_signal(signal.SIGINT)
        proc.wait_for(r"^Waiting up to 10 s for requests in flight \(press Ctrl\+C again")
        assert slow.is_alive()
        proc.process.send_signal(signal.SIGINT)
        assert proc.finish(10) == 0
        assert time.monotonic() - stopped < 5
        slow.join(10)
        assert slow.result is None


def test_serving_on_comes_before_the_first_access_line(tmp_path: Path) -> None:
    _assert_announced_first(tmp_path, "--reload")


def test_serving_on_comes_before_the_first_access_line_without_reload(tmp_path: Path) -> None:
    _assert_announced_first(tmp_path)


def _assert_announced_first(tmp_path: Path, *extra: str) -> None:
    """Clients knock before the server is up; the merged output must still announce first."""
    from serve_harness import free_port

    app_dir = copy_asset("serve_slow", tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    answers: list[tuple[int, str]] = []
    done = threading.Event()

    def knock() -> None:
        while not done.is_set() and not answers:
            result = try_get(url)
            if result:
                answers.append(result)

    knocker = threading.Thread(target=knock)
    knocker.start()
    try:
        with cherry(["serve", "app.py", "--port", str(port), *extra], app_dir) as proc:
            poll(lambda: answers, 20, "an answer")
            proc.wait_for(r'"GET / HTTP/1\.1" 200 ')
            lines = proc.lines
            served = next(i for i, line in enumerate(lines) if line.startswith("Serving on"))
            first = next(i for i, line in enumerate(lines) if re.search(r'"GET / HTTP', line))
            assert served < first, proc.output
    finally:
        done.set()
        knocker.join(10)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_without_reload_a_stop_signal_lets_requests_in_flight_finish(
    tmp_path: Path, signum: int
) -> None:
    app_dir = copy_asset("serve_slow", tmp_path)
    with cherry(["serve", "app.py", "--port", "0"], app_dir) as proc:
        url = proc.url()
        slow = _start_slow(url, app_dir, 1.5)
        assert proc.stop(signum) == 0
        slow.join(10)
        assert slow.result == (200, "slow v1")
        assert '"GET /slow?seconds=1.5 HTTP/1.1" 200 ' in proc.output
