"""A real gunicorn serving a framework app: 2 workers, engine plugins run once per worker."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = [pytest.mark.live, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")

APP = """
import os, pathlib, time
import framework
from framework.process.plugins import SimplePlugin

framework.config.update({"environment": "embedded"})
RECORDS = pathlib.Path(os.environ["RECORDS"])


class Recorder(SimplePlugin):
    def _note(self, event):
        with open(RECORDS / f"{os.getpid()}.log", "a") as fh:
            fh.write(event + "\\n")

    def start(self):
        self._note("start")

    def stop(self):
        self._note("stop")

    def exit(self):
        self._note("exit")


Recorder(framework.engine).subscribe()


class Root:
    @framework.expose
    def index(self, delay="0"):
        time.sleep(float(delay))
        return str(os.getpid())


application = framework.tree.mount(Root(), "/")
"""

CONF = """
from framework.process.server import gunicorn_post_worker_init as post_worker_init
from framework.process.server import gunicorn_worker_exit as worker_exit
"""


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed")
    (tmp_path / "gapp.py").write_text(textwrap.dedent(APP))
    (tmp_path / "gconf.py").write_text(textwrap.dedent(CONF))
    records = tmp_path / "records"
    records.mkdir()
    log = tmp_path / "gunicorn.log"
    log.touch()
    proc = subprocess.Popen(
        [
            *(str(GUNICORN), "-w", "2", "-b", "127.0.0.1:0", "-c", str(tmp_path / "gconf.py")),
            *("--error-logfile", str(log), "gapp:application"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{tmp_path}", "RECORDS": str(records)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())
            if found and len(list(records.iterdir())) == 2:
                url = found.group(1)
                break
            time.sleep(0.05)
        assert url, log.read_text()
        yield proc, url, records
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_two_workers_serve_and_run_engine_plugins_once_each(
    gunicorn: tuple[subprocess.Popen[str], str, Path],
) -> None:
    proc, url, records = gunicorn

    def fetch(_: int) -> int:
        # A sync worker serves one request at a time: slow concurrent requests
        # must be spread over both workers.
        with urllib.request.urlopen(f"{url}/?delay=0.5", timeout=30) as resp:
            return int(resp.read())

    with ThreadPoolExecutor(4) as pool:
        pids = set(pool.map(fetch, range(4)))
    worker_pids = {int(p.stem) for p in records.iterdir()}
    assert len(pids) == 2
    assert pids == worker_pids
    assert proc.pid not in pids

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    for pid in worker_pids:
        assert (records / f"{pid}.log").read_text() == "start\nstop\nexit\n"
