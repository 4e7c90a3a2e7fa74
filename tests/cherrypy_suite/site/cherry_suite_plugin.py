"""pytest plugin for one CherryPy-suite module run by ``tests/cherrypy_suite/run.py``.

- leaves out the refleak ``test_gc`` copies every ``CPWebCase`` class inherits;
- writes one JSON line per test phase to ``$CHERRY_SUITE_REPORT`` as it happens, so a
  module that hangs or crashes still reports what ran before;
- fails a test phase that runs longer than ``$CHERRY_SUITE_TEST_TIMEOUT`` seconds instead
  of hanging the whole module;
- in a private network namespace (``$CHERRY_SUITE_NETNS``), brings the loopback up, so
  modules can run in parallel although every one binds 127.0.0.1:54583;
- provides ``watcher_getter``, the process-starting fixture of ``pytest-services``
  that ``test_session``'s memcached tests use (that plugin itself cannot be installed:
  it loads into every pytest run and fails it where warnings are errors).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
LEFT_OUT = "test_gc"


def loopback_up() -> None:
    """Set the ``lo`` interface up (a new network namespace starts with it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def _write(record: dict[str, Any]) -> None:
    path = os.environ.get("CHERRY_SUITE_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as report:
            report.write(json.dumps(record) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CHERRY_SUITE_NETNS"):
        loopback_up()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    left_out = [item for item in items if item.name == LEFT_OUT]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.name != LEFT_OUT]


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write(
            {
                "nodeid": report.nodeid,
                "when": "collect",
                "outcome": "failed",
                "message": _short(report.longreprtext),
            }
        )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    record = {
        "nodeid": report.nodeid,
        "when": report.when,
        "outcome": report.outcome,
        "xfail": hasattr(report, "wasxfail"),
    }
    if report.failed or (report.skipped and report.when != "call"):
        record["message"] = _short(report.longreprtext)
    _write(record)


def _short(text: str) -> str:
    """What went wrong: pytest's first ``E`` lines, else the last line."""
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return (" | ".join(errors[:4]) if errors else lines[-1] if lines else "")[:400]


class PhaseTimeout(Exception):
    """A test phase ran longer than the runner allows."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise PhaseTimeout(f"test phase took more than {_timeout()} s")


def _timeout() -> int:
    return int(os.environ.get("CHERRY_SUITE_TEST_TIMEOUT", "60"))


@contextlib.contextmanager
def _deadline() -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(_timeout())
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _deadline():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _deadline():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    with _deadline():
        return (yield)


@pytest.fixture(scope="session")
def watcher_getter(request: pytest.FixtureRequest) -> Callable[..., subprocess.Popen[bytes]]:
    """Start a program for the test session (``pytest-services``' fixture of that name).

    ``watcher_getter(name, arguments, checker=..., request=...)`` runs ``name`` with
    ``arguments``, waits until ``checker()`` is true, and stops the program when the
    test session ends.
    """

    def start(
        name: str,
        arguments: list[str] | None = None,
        checker: Callable[[], bool] | None = None,
        request: pytest.FixtureRequest = request,
        timeout: float = 20,
        **_: Any,
    ) -> subprocess.Popen[bytes]:
        executable = shutil.which(name)
        if executable is None:
            pytest.skip(f"{name} is not installed")
        command = [executable, *(arguments or [])]
        if name == "memcached" and os.geteuid() == 0:
            command += ["-u", "root"]  # memcached refuses to run as root unless told to
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def stop() -> None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

        request.addfinalizer(stop)
        deadline = time.monotonic() + timeout
        while checker is not None and not checker():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start ({command})")
            time.sleep(0.05)
        return process

    return start
