"""Save-to-new-code latency of `cherry serve --reload`, `uvicorn --reload`, `flask run --reload`.

Each tool serves an equivalent one-page app from its own temporary directory on
127.0.0.1; "cherry scaffold" serves a project made by ``cherry new -t jinja`` (config
file, templates, static files), whose page title is the version string. A round
rewrites the version string in each app in turn (the tools alternate, so drift on the
machine hits all of them alike) and measures the time from the write until the server
answers with the new string, polling on fresh connections.

A second series of rounds saves while a request is in flight: ``GET /slow`` (a handler
that sleeps one second) is sent, the file is saved 0.3 s later, and the round records
both the save-to-new-code time and whether the slow request still got its 200 (a
reload that kills the old process cuts it).
The table shows the median over the rounds and its ratio to cherry's, then, side by
side, the in-flight series: its median save-to-new-code time and how many in-flight
requests completed. It also times
``cherry --help`` and ``cherry serve --help`` against ``flask --help``,
``uvicorn --help`` and bare ``python -c pass`` (medians of interleaved runs, after one
untimed run each so every contender starts from compiled bytecode).

Run from the repository root::

    .venv/bin/python bench/reload_bench.py --rounds 15
    .venv/bin/python bench/reload_bench.py --help-only --runs 21   # start-up only

uvicorn and flask are optional: a tool that is not installed is skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: How long ``/slow`` takes, and how long after sending it the file is saved.
SLOW_SECONDS = 1.0
SAVE_AFTER = 0.3

CHERRY_APP = """import time

import framework

VERSION = "r0000"


class Root:
    @framework.expose
    def index(self):
        return VERSION

    @framework.expose
    def slow(self):
        time.sleep(SLOW)
        return "slow " + VERSION
"""

# Added to the scaffold's app module: the same /slow page on its Root.
SCAFFOLD_SLOW = """

def _slow(self):
    import time

    time.sleep(SLOW)
    return "slow"


_slow.exposed = True
Root.slow = _slow
"""

UVICORN_APP = """import asyncio

VERSION = "r0000"


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    text = VERSION
    if scope["path"] == "/slow":
        await asyncio.sleep(SLOW)
        text = "slow " + VERSION
    body = text.encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
"""

FLASK_APP = """import time

from flask import Flask

VERSION = "r0000"
app = Flask(__name__)


@app.get("/")
def index():
    return VERSION


@app.get("/slow")
def slow():
    time.sleep(SLOW)
    return "slow " + VERSION
"""


@dataclass
class Tool:
    name: str
    source: str
    module: str  # an import that must work for the tool to run
    samples: list[float] = field(default_factory=list)
    inflight_samples: list[float] = field(default_factory=list)
    inflight_completed: int = 0

    def command(self, port: int) -> list[str]:
        py = sys.executable
        if self.name == "cherry scaffold":
            return [py, "-m", "cherrycli", "serve", "--reload", "--port", str(port)]
        if self.name == "cherry":
            return [py, "-m", "cherrycli", "serve", "app:Root", "--reload", "--port", str(port)]
        if self.name == "uvicorn":
            return [py, "-m", "uvicorn", "app:app", "--reload", "--port", str(port)]
        return [py, "-m", "flask", "--app", "app", "run", "--reload", "--port", str(port)]


def scaffold(directory: Path) -> Path:
    """``cherry new demo --template jinja`` with the page title set to the version."""
    subprocess.run(
        [sys.executable, "-m", "cherrycli", "new", "demo", "-t", "jinja", "--no-git"],
        cwd=directory.parent,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        check=True,
    )
    (directory.parent / "demo").rename(directory)
    app = directory / "demo" / "app.py"
    text = app.read_text()
    text = re.sub(r'^TITLE = ".*"$', 'TITLE = "r0000"', text, count=1, flags=re.M)
    app.write_text(text + with_slow(SCAFFOLD_SLOW))
    return app


def with_slow(source: str) -> str:
    """``source`` with the slow page's duration filled in."""
    return source.replace("SLOW", repr(SLOW_SECONDS))


class SlowRequest(threading.Thread):
    """``GET /slow`` in the background; ``completed`` once it got its 200."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.completed = False

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SLOW_SECONDS + 20)
        try:
            conn.request("GET", "/slow")
            response = conn.getresponse()
            self.completed = response.status == 200 and b"slow" in response.read()
        except (OSError, http.client.HTTPException):
            self.completed = False
        finally:
            conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(port: int) -> str | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/", headers={"Connection": "close"})
        response = conn.getresponse()
        return response.read().decode() if response.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


def wait_for(port: int, body: str, timeout: float = 30.0) -> float:
    """Seconds until ``GET /`` answers ``body``; raises after ``timeout``."""
    started = time.perf_counter()
    while body not in (fetch(port) or ""):
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"no answer {body!r} on port {port} after {timeout}s")
        time.sleep(0.005)
    return time.perf_counter() - started


@contextlib.contextmanager
def running(tool: Tool, directory: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    process = subprocess.Popen(
        tool.command(port),
        cwd=directory,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def bench_reload(tools: list[Tool], rounds: int, settle: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        ports: dict[str, int] = {}
        apps: dict[str, Path] = {}
        for tool in tools:
            directory = Path(tmp) / tool.name.replace(" ", "_")
            if tool.name == "cherry scaffold":
                apps[tool.name] = scaffold(directory)
            else:
                directory.mkdir()
                apps[tool.name] = directory / "app.py"
                apps[tool.name].write_text(with_slow(tool.source))
            ports[tool.name] = free_port()
            stack.enter_context(running(tool, directory, ports[tool.name]))
        for tool in tools:
            wait_for(ports[tool.name], "r0000")
        time.sleep(settle * 2)  # let every watcher finish setting up
        for number in range(1, 2 * rounds + 1):
            version = f"r{number:04d}"
            inflight = number > rounds  # the second series: a request in flight
            for tool in tools:
                app = apps[tool.name]
                text = app.read_text().replace(f"r{number - 1:04d}", version)
                slow = SlowRequest(ports[tool.name])
                if inflight:
                    slow.start()
                    time.sleep(SAVE_AFTER)
                started = time.perf_counter()
                app.write_text(text)
                wait_for(ports[tool.name], version)
                elapsed = time.perf_counter() - started
                if inflight:
                    tool.inflight_samples.append(elapsed)
                    slow.join(SLOW_SECONDS + 30)
                    tool.inflight_completed += slow.completed
                else:
                    tool.samples.append(elapsed)
                time.sleep(settle)
            print(f"round {number}/{2 * rounds}", file=sys.stderr, end="\r")
        print(file=sys.stderr)


def bench_help(runs: int = 10) -> dict[str, float]:
    """Median start-up time of each CLI's --help, side by side, plus bare Python."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # Installed packages come with compiled bytecode; the checkout's must be written too.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "cherry --help": [sys.executable, "-m", "cherrycli", "--help"],
        "cherry serve --help": [sys.executable, "-m", "cherrycli", "serve", "--help"],
        "flask --help": [sys.executable, "-m", "flask", "--help"],
        "uvicorn --help": [sys.executable, "-m", "uvicorn", "--help"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # untimed: writes the bytecode caches
        subprocess.run(argv, env=env, capture_output=True, check=False)
    for _ in range(runs):  # interleaved, so machine noise hits every contender alike
        for name, argv in commands.items():
            started = time.perf_counter()
            done = subprocess.run(
                argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
            )
            if done.returncode == 0:
                samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(times) for name, times in samples.items() if times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--settle", type=float, default=0.7, help="seconds between saves")
    parser.add_argument("--help-only", action="store_true", help="time only the --help runs")
    parser.add_argument("--runs", type=int, default=10, help="--help runs per command")
    args = parser.parse_args()
    if args.help_only:
        print_help_times(args.runs)
        return

    candidates = [
        Tool("cherry", CHERRY_APP, "cherrycli"),
        Tool("cherry scaffold", "", "jinja2"),
        Tool("uvicorn", UVICORN_APP, "uvicorn"),
        Tool("flask", FLASK_APP, "flask"),
    ]
    sys.path.insert(0, str(REPO))
    tools = [t for t in candidates if importlib.util.find_spec(t.module)]
    skipped = sorted({t.name for t in candidates} - {t.name for t in tools})
    bench_reload(tools, args.rounds, args.settle)

    base = statistics.median(tools[0].samples)
    print(
        f"save -> new code answering, {args.rounds} rounds each, alternating; then "
        f"{args.rounds} more saves {SAVE_AFTER:g} s into a {SLOW_SECONDS:g} s request"
    )
    print(
        f"{'tool':<16}{'median ms':>11}{'min ms':>9}{'max ms':>9}{'vs cherry':>11}"
        f"{'in flight: median ms':>22}{'completed':>11}"
    )
    for tool in tools:
        median = statistics.median(tool.samples)
        inflight = statistics.median(tool.inflight_samples)
        print(
            f"{tool.name:<16}{median * 1000:>11.0f}{min(tool.samples) * 1000:>9.0f}"
            f"{max(tool.samples) * 1000:>9.0f}{median / base:>10.2f}x"
            f"{inflight * 1000:>22.0f}{f'{tool.inflight_completed}/{args.rounds}':>11}"
        )
    if skipped:
        print(f"skipped (not installed): {', '.join(skipped)}")
    print_help_times(args.runs)


def print_help_times(runs: int) -> None:
    """Print :func:`bench_help`'s medians and their ratios to ``cherry --help``'s."""
    helps = bench_help(runs)
    print(
        f"start-up to --help, median of {runs} interleaved runs "
        "(target: cherry --help at or below uvicorn --help)"
    )
    base = helps["cherry --help"]
    for name, median in helps.items():
        print(f"{name:<22}{median * 1000:>7.1f} ms{median / base:>8.2f}x")


if __name__ == "__main__":
    main()
