"""``cherry serve --workers N``: real gunicorn workers on 127.0.0.1.

Distinct worker processes, a SIGHUP reload that refuses no connection and serves the
new code, a SIGTERM that lets a request in flight finish, and the one-line refusals.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cli_support import cherry as run_cherry
from serve_harness import cherry, children, copy_asset, get, pid_alive, poll

pytestmark = [pytest.mark.live, pytest.mark.slow]

ANNOUNCED = r"^Serving on (http://\S+) with 2 workers \(gunicorn, pid (\d+); SIGHUP reloads"


def _url_and_pid(proc: object) -> tuple[str, int]:
    match = proc.wait_for(ANNOUNCED)  # type: ignore[attr-defined]
    return match.group(1), int(match.group(2))


def _worker_pids(url: str) -> set[int]:
    # gthread workers serve several requests at once: slow ones still spread over both.
    with ThreadPoolExecutor(8) as pool:
        return {int(r[1]) for r in pool.map(lambda _: get(f"{url}/pid?delay=0.4"), range(8))}


def test_n_workers_are_distinct_processes_of_the_arbiter(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_workers", tmp_path)
    with cherry(["serve", "app.py", "--workers", "2", "--port", "0"], app_dir) as proc:
        url, arbiter = _url_and_pid(proc)
        assert arbiter == proc.process.pid
        poll(lambda: len(children(arbiter)) == 2, message="two workers")
        pids = poll(lambda: (found := _worker_pids(url)) and len(found) == 2 and found, 30, "pids")
        assert pids == set(children(arbiter))
        assert arbiter not in pids


def test_sighup_serves_new_code_from_new_workers_without_refusing_a_connection(
    tmp_path: Path,
) -> None:
    app_dir = copy_asset("serve_workers", tmp_path)
    with cherry(["serve", "app.py", "--workers", "2", "--port", "0"], app_dir) as proc:
        url, arbiter = _url_and_pid(proc)
        poll(lambda: get(url + "/") == (200, "v1"), message="first answer")
        old = set(children(arbiter))
        results: list[object] = []
        done = threading.Event()

        def hammer() -> None:
            while not done.is_set():
                try:
                    results.append(get(url + "/", timeout=10))
                except OSError as error:
                    results.append(error)

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            poll(lambda: len(results) > 20, message="hammer running")
            app = app_dir / "app.py"
            app.write_text(app.read_text().replace('"v1"', '"v2"'))
            os.kill(arbiter, signal.SIGHUP)
            poll(lambda: (200, "v2") in results[-4:], 30, "new code after SIGHUP")
            seen = len(results)
            poll(lambda: len(results) > seen + 20, message="more requests after the reload")
        finally:
            done.set()
            for thread in threads:
                thread.join(15)
        assert [r for r in results if r not in ((200, "v1"), (200, "v2"))] == []
        poll(lambda: not any(pid_alive(pid) for pid in old), 30, "old workers retired")
        alive = lambda: [pid for pid in children(arbiter) if pid_alive(pid)]  # noqa: E731
        assert poll(lambda: len(alive()) == 2 and alive(), 30, "two new workers")


def test_sigterm_lets_a_request_in_flight_finish(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_workers", tmp_path)
    with cherry(["serve", "app.py", "--workers", "2", "--port", "0"], app_dir) as proc:
        url, arbiter = _url_and_pid(proc)
        workers = poll(lambda: len(children(arbiter)) == 2 and children(arbiter))
        answer: list[tuple[int, str]] = []
        slow = threading.Thread(target=lambda: answer.append(get(url + "/slow?seconds=2")))
        slow.start()
        poll(lambda: (app_dir / "started").exists(), message="the slow request began")
        stopped = time.monotonic()
        assert proc.stop(signal.SIGTERM, timeout=30) == 0
        slow.join(10)
        assert answer == [(200, "slow v1")]
        assert time.monotonic() - stopped < 10
        assert not any(pid_alive(pid) for pid in workers)
        assert "Traceback" not in proc.output


def test_workers_can_come_from_the_environment(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_workers", tmp_path)
    env = {"CHERRY_SERVE_WORKERS": "2"}
    with cherry(["serve", "app.py", "--port", "0"], app_dir, env=env) as proc:
        url, _arbiter = _url_and_pid(proc)
        assert poll(lambda: get(url + "/")) == (200, "v1")


def test_an_app_that_cannot_load_stops_the_workers_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import no_such_module_anywhere\n")
    result = run_cherry("serve", "app.py", "--workers", "2", "--port", "0", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: error while importing 'app': ModuleNotFoundError" in result.stderr
    assert "Traceback" not in result.stderr


def test_workers_with_reload_is_one_usage_line(tmp_path: Path) -> None:
    result = run_cherry("serve", "app.py", "--workers", "2", "--reload", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --workers and --reload cannot be used together")
    assert len(result.stderr.strip().splitlines()) == 1


def test_without_gunicorn_the_error_names_the_extra(tmp_path: Path) -> None:
    hider = tmp_path / "hide"
    hider.mkdir()
    (hider / "sitecustomize.py").write_text("import sys\nsys.modules['gunicorn'] = None\n")
    app_dir = copy_asset("serve_workers", tmp_path)
    from cli_support import REPO

    result = run_cherry(
        "serve", "app.py", "--workers", "2", cwd=app_dir, env={"PYTHONPATH": f"{REPO}:{hider}"}
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: cherry serve --workers runs the app on gunicorn, which is not installed "
        "(hint: pip install 'cherrycli[gunicorn]')"
    )
