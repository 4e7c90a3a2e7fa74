"""``framework.process``: the engine shows itself in development, as CherryPy's does.

Each test runs a real script in a subprocess (its stdout and stderr into one pipe, as
``python app.py | less`` or a log collector sees them), requests pages over
127.0.0.1 and reads what was printed, in order.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import framework
from framework.process import Engine, screen_by_default
from serve_harness import get, poll, try_get

pytestmark = [pytest.mark.live]

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
{imports}


class Root:
    @{name}.expose
    def index(self):
        return "hello"

    @{name}.expose
    def boom(self):
        raise ValueError("the handler failed")


if __name__ == "__main__":
    {name}.config.update({{"server.socket_port": 0{extra}}})
    {start}
"""

QUICKSTART = "{name}.quickstart(Root())"
ENGINE = "{name}.tree.mount(Root()); {name}.engine.signals.subscribe(); " + (
    "{name}.engine.start(); {name}.engine.block()"
)


class Script:
    """A script run with ``python``, its merged output read line by line."""

    def __init__(self, path: Path) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, str(path)],
            cwd=path.parent,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
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

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(20)
        self.close()
        assert code == 0, "\n".join(self.lines)
        return "\n".join(self.lines)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def write_script(
    tmp_path: Path, *, compat: bool = False, engine: bool = False, extra: str = ""
) -> Path:
    name = "cherrypy" if compat else "framework"
    imports = (
        "from framework import compat\ncompat.install()\nimport cherrypy" if compat else
        "import framework"
    )  # fmt: skip
    start = (ENGINE if engine else QUICKSTART).format(name=name)
    path = tmp_path / "site_app.py"
    path.write_text(
        textwrap.dedent(SCRIPT).format(imports=imports, name=name, start=start, extra=extra)
    )
    return path


@pytest.fixture
def run(tmp_path: Path) -> Iterator[list[Script]]:
    started: list[Script] = []
    yield started
    for script in started:
        script.close()


def serving_url(script: Script) -> str:
    def found() -> str | None:
        for line in script.lines:
            match = re.search(r"ENGINE Serving on (http://\S+)", line)
            if match:
                return match.group(1)
        assert script.process.poll() is None, "\n".join(script.lines)
        return None

    return poll(found, 20, "no 'Serving on' line")


def index_of(lines: list[str], pattern: str) -> int:
    return next(i for i, line in enumerate(lines) if re.search(pattern, line))


@pytest.mark.parametrize(
    ("compat", "engine"), [(False, False), (False, True), (True, False)], ids=[
        "framework.quickstart", "engine.start", "cherrypy.quickstart"
    ]
)  # fmt: skip
def test_development_prints_engine_lines_access_log_and_tracebacks_in_order(
    tmp_path: Path, run: list[Script], compat: bool, engine: bool
) -> None:
    script = Script(write_script(tmp_path, compat=compat, engine=engine))
    run.append(script)
    url = serving_url(script)
    assert get(url + "/") == (200, "hello")
    assert get(url + "/boom")[0] == 500
    poll(lambda: any('"GET /boom ' in line for line in script.lines), 10, "no access line")
    lines = script.stop().splitlines()

    start = [
        r"^\[.+\] ENGINE Listening for SIGTERM\.$",
        r"^\[.+\] ENGINE Bus STARTING$",
        r"^\[.+\] ENGINE Serving on http://127\.0\.0\.1:\d+$",
        r"^\[.+\] ENGINE Bus STARTED$",
    ]
    # Each access line is written once its response went out, so the first request's
    # line may follow the second request's traceback: only each chain is ordered.
    boom = [
        r"^Traceback \(most recent call last\):$",
        r"^ValueError: the handler failed$",
        r'^127\.0\.0\.1 - - \[.+\] "GET /boom HTTP/1\.1" 500 ',
    ]
    index = r'^127\.0\.0\.1 - - \[.+\] "GET / HTTP/1\.1" 200 5 '
    stop = [r"^\[.+\] ENGINE Bus STOPPING$", r"^\[.+\] ENGINE Bus EXITED$"]
    output = "\n".join(lines)
    for chain in ([*start, index, *stop], [*start, *boom, *stop]):
        positions = [index_of(lines, pattern) for pattern in chain]
        assert positions == sorted(positions), output
    first, last = index_of(lines, boom[0]), index_of(lines, boom[1])
    traceback = "\n".join(lines[first : last + 1])
    assert "site_app.py" in traceback and "in boom" in traceback


@pytest.mark.parametrize(
    "extra", [', "environment": "production"', ', "log.screen": False'], ids=["production", "off"]
)
def test_production_or_a_screen_turned_off_prints_nothing(
    tmp_path: Path, run: list[Script], extra: str
) -> None:
    path = write_script(tmp_path, extra=extra + ', "server.socket_port": PORT')
    port = free_port()
    path.write_text(
        path.read_text().replace('"server.socket_port": 0, ', "").replace("PORT", str(port))
    )
    script = Script(path)
    run.append(script)
    url = f"http://127.0.0.1:{port}"
    poll(lambda: try_get(url + "/"), 20, "the server never answered")
    assert get(url + "/boom")[0] == 500
    assert script.stop() == ""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_engine_start_turns_the_screen_on_unless_configured() -> None:
    assert not framework.log.screen
    screen_by_default()
    assert framework.log.screen
    framework.log.screen = False
    framework.config.update({"log.screen": False})
    screen_by_default()
    assert not framework.log.screen


def test_the_site_engine_is_an_engine() -> None:
    assert isinstance(framework.engine, Engine)
