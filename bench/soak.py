"""Soak: keep-alive load at 4x the thread pool, plus slow-drip and silent clients.

For each contender (Cherry on its strict cheroot server, and stock CherryPy 18 on stock
cheroot), one after the other in the same run, on 127.0.0.1:

- wrk drives hello-world requests over ``4 x threads`` keep-alive connections for
  ``--duration`` seconds (these are the well-behaved clients: their errors and
  timeouts must be 0, their p99 low);
- meanwhile ``--drip`` clients send a request head one byte every half second, and
  ``--silent`` clients connect and say nothing; each reconnects when the server
  closes it, so the pressure lasts the whole run;
- the server process's open file descriptors and threads are counted when idle before
  the run and again after it (once the misbehaving clients are gone and the server had
  ``--settle`` seconds to close what it holds).

    python bench/soak.py                       # 60 s per contender
    python bench/soak.py --duration 20 --only cherry

Reports req/s, p50/p99/max latency, wrk's errors (connect/read/write), timeouts (no
answer within 2 s) and non-2xx answers, and fd/thread counts before and after. Targets
on a 2-core machine (issue 11): 0 errors, 0 timeouts, p99 under 250 ms, no growth.
Needs wrk (``apt-get install wrk``) and cherrypy 18; Linux (/proc).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTENDERS = ("cherry", "cherrypy")
THREADS = 10
BODY = b"Hello world!"


def serve(name: str, port: int) -> None:
    settings = {
        "environment": "production",
        "log.screen": False,
        "log.access_file": "",
        "server.socket_host": "127.0.0.1",
        "server.socket_port": port,
        "server.thread_pool": THREADS,
    }
    if name == "cherrypy":
        import cherrypy as engine_module
    else:
        import framework as engine_module  # type: ignore[no-redef]

    class Root:
        @engine_module.expose
        def index(self) -> bytes:
            return BODY

    engine_module.config.update(settings)
    engine_module.tree.mount(Root(), "/")
    engine_module.engine.subscribe("start", lambda: print("READY", flush=True), priority=90)
    engine_module.engine.signals.subscribe()
    engine_module.engine.start()
    engine_module.engine.block()


# -- misbehaving clients --------------------------------------------------------------
class Pest(threading.Thread):
    """One slow-drip or silent client that reconnects whenever the server drops it."""

    HEAD = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: " + b"d" * 200 + b"\r\n\r\n"

    def __init__(self, port: int, drip: bool, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.drip, self.stop = port, drip, stop
        self.connections = 0
        self.cut = 0  # times the server closed it

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
            except OSError:
                time.sleep(0.1)
                continue
            self.connections += 1
            try:
                self._pester(sock)
            except OSError:
                pass
            finally:
                sock.close()
            self.cut += 1

    def _pester(self, sock: socket.socket) -> None:
        sock.settimeout(0.5)
        sent = 0
        while not self.stop.is_set():
            if self.drip and sent < len(self.HEAD) - 1:  # never the final byte
                sock.send(self.HEAD[sent : sent + 1])
                sent += 1
            try:
                if sock.recv(4096) == b"":
                    return  # closed by the server
            except TimeoutError:
                continue
            return  # an answer (408...): the server is done with it


# -- measuring ---------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: int = 0
    timeouts: int = 0
    non2xx: int = 0
    fds: tuple[int, int] = (0, 0)
    threads: tuple[int, int] = (0, 0)
    pests_cut: int = 0


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        return float("nan")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def counts(pid: int) -> tuple[int, int]:
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    status = Path(f"/proc/{pid}/status").read_text()
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return fds, threads


def wrk(url: str, duration: int, connections: int, result: Result) -> None:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "2s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result.rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    result.p50_ms = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    result.p99_ms = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    result.max_ms = _ms(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        connect, read, write, timeout = (int(x) for x in socket_errors.groups())
        result.errors = connect + read + write
        result.timeouts = timeout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result.non2xx = int(non2xx.group(1)) if non2xx else 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def soak(name: str, args: argparse.Namespace) -> Result:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", name, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    result = Result(name)
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "READY":
            raise SystemExit(f"{name} failed to start")
        url = f"http://127.0.0.1:{port}/"
        subprocess.run(["wrk", "-t1", "-c4", "-d2s", url], capture_output=True, check=True)
        time.sleep(1)
        before = counts(proc.pid)
        stop = threading.Event()
        pests = [Pest(port, True, stop) for _ in range(args.drip)]
        pests += [Pest(port, False, stop) for _ in range(args.silent)]
        for pest in pests:
            pest.start()
        time.sleep(1)  # the pests are in place before the load starts
        wrk(url, args.duration, 4 * THREADS, result)
        stop.set()
        for pest in pests:
            pest.join(5)
        result.pests_cut = sum(p.cut for p in pests)
        deadline = time.monotonic() + args.settle
        after = counts(proc.pid)
        while (after[0] > before[0] or after[1] > before[1]) and time.monotonic() < deadline:
            time.sleep(0.5)
            after = counts(proc.pid)
        result.fds = (before[0], after[0])
        result.threads = (before[1], after[1])
    finally:
        proc.terminate()
        proc.wait(30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=CONTENDERS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--drip", type=int, default=20, help="slow-drip clients")
    parser.add_argument("--silent", type=int, default=20, help="silent clients")
    parser.add_argument("--settle", type=float, default=15.0)
    parser.add_argument("--only", default=",".join(CONTENDERS))
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    load = os.getloadavg()
    results = [soak(name, args) for name in args.only.split(",")]
    print(
        f"\nsoak: {args.duration}s per contender, {4 * THREADS} keep-alive connections "
        f"(4 x {THREADS} threads), {args.drip} slow-drip + {args.silent} silent clients; "
        f"{os.cpu_count()} CPUs, load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    )
    print(
        "| contender | req/s | p50 ms | p99 ms | max ms | errors | timeouts | non-2xx "
        "| fds before/after | threads before/after | pests cut |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.name} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.0f} "
            f"| {r.errors} | {r.timeouts} | {r.non2xx} | {r.fds[0]}/{r.fds[1]} "
            f"| {r.threads[0]}/{r.threads[1]} | {r.pests_cut} |"
        )


if __name__ == "__main__":
    main()
