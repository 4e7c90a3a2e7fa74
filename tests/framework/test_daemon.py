"""The cherryd launcher: ``python -m cherrypy`` under the compat layer, imports, config,
PID file, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.live, pytest.mark.slow]

# `python -m cherrypy`, with the compat layer installed first (as a CherryPy user's
# environment without the real CherryPy would have it).
AS_CHERRYPY = (
    "from framework import compat; compat.install(); import runpy, sys; "
    "sys.argv[0] = 'cherryd'; runpy.run_module('cherrypy', run_name='__main__', alter_sys=True)"
)

APP = """
import cherrypy

class Root:
    @cherrypy.expose
    def index(self):
        return "from " + cherrypy.config.get("greeting", "nobody")

cherrypy.tree.mount(Root())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_page(url: str, proc: subprocess.Popen[str], deadline: float = 20) -> str:
    end = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return str(resp.read().decode())
        except OSError:
            if proc.poll() is not None or time.monotonic() > end:
                raise
            time.sleep(0.05)


def test_python_m_cherrypy_imports_configures_writes_the_pid_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    (tmp_path / "myapp.py").write_text(APP, encoding="utf-8")
    port = free_port()
    conf = tmp_path / "site.conf"
    conf.write_text(
        f"[global]\nserver.socket_port: {port}\ngreeting: 'the config'\n", encoding="utf-8"
    )
    pidfile = tmp_path / "site.pid"
    args = ["-P", str(tmp_path), "-i", "myapp", "-c", str(conf), "-p", str(pidfile)]
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_CHERRYPY, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for_page(f"http://127.0.0.1:{port}/", proc) == "from the config"
        assert pidfile.read_text().strip() == str(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert not pidfile.exists()


@pytest.mark.parametrize("flag", ["-f", "-s", "-x"])
def test_gateway_modes_are_refused_in_one_line(flag: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "framework.process.daemon", flag],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "is not supported" in done.stderr.splitlines()[-1]


def test_an_engine_that_cannot_start_exits_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        conf = tmp_path / "busy.conf"
        conf.write_text(f"[global]\nserver.socket_port = {port}\n", encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "framework.process.daemon", "-c", str(conf)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    assert done.returncode == 1
    assert "Engine could not start" in done.stderr
    assert "Traceback" not in done.stderr


RELOADING_APP = """
import cherrypy

class Root:
    @cherrypy.expose
    def index(self):
        return "v1"

    @cherrypy.expose
    def reloader(self):
        return str(cherrypy.engine.autoreload.thread is not None)

    @cherrypy.expose
    def watched(self):
        return str(any(f.endswith("reloading.py") for f in cherrypy.engine.autoreload.mtimes))

cherrypy.tree.mount(Root())
"""


def launch(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    (tmp_path / "reloading.py").write_text(RELOADING_APP, encoding="utf-8")
    port = free_port()
    conf = tmp_path / "site.conf"
    conf.write_text(f"[global]\nserver.socket_port: {port}\n", encoding="utf-8")
    args = ["-P", str(tmp_path), "-i", "reloading", "-c", str(conf), *extra]
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_CHERRYPY, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, port


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_the_launcher_re_executes_when_an_imported_module_changes(tmp_path: Path) -> None:
    # COMPAT: cherryd's engine has its autoreloader on outside production.
    proc, port = launch(tmp_path)
    try:
        url = f"http://127.0.0.1:{port}/"
        assert wait_for_page(url, proc) == "v1"
        assert wait_for_page(url + "reloader", proc) == "True"
        deadline = time.monotonic() + 30
        while wait_for_page(url + "watched", proc) != "True":  # its first look
            assert time.monotonic() < deadline, "the reloader never looked at the module"
            time.sleep(0.1)
        source = tmp_path / "reloading.py"
        source.write_text(RELOADING_APP.replace('"v1"', '"v2"'), encoding="utf-8")
        later = time.time() + 5
        os.utime(source, (later, later))  # newer than the time the reloader recorded
        deadline = time.monotonic() + 30
        while wait_for_page(url, proc) != "v2":
            assert time.monotonic() < deadline, "the launcher did not re-execute"
            time.sleep(0.1)
    finally:
        stop(proc)


def test_the_production_environment_turns_the_launchers_reloader_off(tmp_path: Path) -> None:
    proc, port = launch(tmp_path, "-e", "production")
    try:
        assert wait_for_page(f"http://127.0.0.1:{port}/reloader", proc) == "False"
    finally:
        stop(proc)
