"""Run ``cherry serve`` as a real subprocess and talk to it over 127.0.0.1.

Shared by the ``cherry serve`` tests in tests/cli and the browser tests. Everything
waits by polling a condition against a deadline; nothing sleeps and hopes.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from cli_support import ASSETS, REPO

T = TypeVar("T")


def copy_asset(name: str, destination: Path) -> Path:
    """Copy tests/cli/assets/<name> into ``destination`` and return the copy."""
    target = destination / name
    shutil.copytree(ASSETS / name, target)
    return target


def poll(condition: Callable[[], T], timeout: float = 15.0, message: str = "") -> T:
    """Call ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(0.02)


def get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    """GET ``url`` on a fresh connection; return (status, body text)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/", headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def try_get(url: str) -> tuple[int, str] | None:
    """Like :func:`get`, but None when the connection fails."""
    try:
        return get(url, timeout=2.0)
    except OSError:
        return None


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(host: str, port: int) -> bool:
    """True when a server could bind ``host:port`` again (SO_REUSEADDR, as servers do)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class Cherry:
    """A ``cherry`` subprocess whose merged stdout/stderr is collected line by line."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        environ = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
        environ.pop("CHERRY_APP", None)
        environ.update(env or {})
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, *(os.environ.get("CHERRY_TEST_ENTRY", "-m cherrycli").split()), *args],
            cwd=cwd,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 20.0, after: int = 0) -> re.Match[str]:
        """Wait for an output line (from line index ``after`` on) matching ``pattern``."""
        regex = re.compile(pattern)

        def found() -> re.Match[str] | None:
            for line in self.lines[after:]:
                match = regex.search(line)
                if match:
                    return match
            if self.process.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"cherry exited before {pattern!r}:\n{self.output}")
            return None

        try:
            return poll(found, timeout, pattern)
        except AssertionError as error:
            raise AssertionError(f"{error}\noutput so far:\n{self.output}") from None

    def url(self) -> str:
        return self.wait_for(r"^Serving on (http://\S+)").group(1)

    def wait_watching(self) -> None:
        self.wait_for(r"^Watching .* for changes")

    def finish(self, timeout: float = 20.0) -> int:
        """Wait for the process to exit and its output to be read; return its status."""
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code

    def stop(self, signum: int = signal.SIGINT, timeout: float = 20.0) -> int:
        self.process.send_signal(signum)
        return self.finish(timeout)

    def kill_all(self) -> None:
        """Teardown: stop the process like Ctrl-C would; kill whatever is left after 10s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        if self.process.poll() is None:
            for pid in children(self.process.pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)  # a reload worker leads its own group
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)  # a gunicorn worker does not
            self.process.kill()
        self.finish()


@contextlib.contextmanager
def cherry(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Iterator[Cherry]:
    """Start ``cherry ARGS`` in ``cwd``; kill whatever is left on exit."""
    process = Cherry(args, cwd, env)
    try:
        yield process
    finally:
        process.kill_all()


#: An app module whose only Application is mounted at /sub (nothing at the root).
SUB_APP = """
import framework


class Root:
    @framework.expose
    def index(self):
        return "under /sub"


application = framework.Application(Root(), "/sub")
"""
