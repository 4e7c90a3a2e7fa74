"""Hello-world throughput and latency over loopback with wrk: Cherry vs raw, Bottle, CherryPy.

Each contender runs in its own subprocess (one GIL each) on 127.0.0.1; rounds alternate
the contenders so drift (thermal, noisy neighbours) hits them all alike. Reported:
median req/s, p50/p99 latency of the median round, and the ratio to a raw WSGI callable
on the same server (Cherry's strict cheroot server). The ``cheroot`` contender is the
same raw callable on stock ``cheroot.wsgi.Server`` with the same thread count: ``raw``
against ``cheroot`` is what the strict HTTP layer (framework/process/http.py) costs.
A last run opens 100 keep-alive connections against a 10-thread pool and reports the
worst latency seen (CherryPy-era servers stalled here).

    python bench/wrk_bench.py                 # 3 rounds x 5 s per contender
    python bench/wrk_bench.py --rounds 5 --duration 10

Needs wrk (``apt-get install wrk``), cheroot, bottle and cherrypy 18.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTENDERS = ("cheroot", "raw", "cherry", "bottle", "cherrypy")
THREADS = 10
BODY = b"Hello world!"


# -- servers (run with --serve NAME --port N in a subprocess) ------------------------
def raw_app(environ: dict, start_response) -> list[bytes]:  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "12")])
    return [BODY]


def serve(name: str, port: int) -> None:
    if name == "cheroot":
        from cheroot import wsgi

        stock = wsgi.Server(("127.0.0.1", port), raw_app, numthreads=THREADS)
        stock.prepare()
        print("READY", flush=True)
        stock.serve()
        return
    if name == "cherrypy":
        import cherrypy

        class CPRoot:
            @cherrypy.expose
            def index(self) -> bytes:
                return BODY

        cherrypy.config.update(
            {
                "environment": "production",
                "log.screen": False,
                "log.access_file": "",
                "server.socket_host": "127.0.0.1",
                "server.socket_port": port,
                "server.thread_pool": THREADS,
            }
        )
        cherrypy.tree.mount(CPRoot(), "/")
        cherrypy.engine.subscribe("start", lambda: print("READY", flush=True), priority=90)
        cherrypy.engine.signals.subscribe()
        cherrypy.engine.start()
        cherrypy.engine.block()
        return

    from framework.process import bus
    from framework.process.server import server as srv  # already subscribed to bus

    if name == "cherry":
        import framework

        class Root:
            @framework.expose
            def index(self) -> bytes:
                return BODY

        framework.config.update({"environment": "production", "log.screen": False})
        srv.wsgi_app = framework.tree
        framework.tree.mount(Root(), "/")
    elif name == "bottle":
        import bottle

        bapp = bottle.Bottle()
        bapp.route("/", callback=lambda: BODY)
        srv.wsgi_app = bapp
    else:
        srv.wsgi_app = raw_app
    srv.socket_port, srv.thread_pool = port, THREADS
    bus.signals.subscribe()  # type: ignore[attr-defined]
    bus.start()
    print("READY", flush=True)
    bus.block()


# -- driver ----------------------------------------------------------------------------
@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    timeouts: int


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(
    url: str, duration: int, connections: int, threads: int = 1, headers: tuple[str, ...] = ()
) -> Result:
    extra = [arg for header in headers for arg in ("-H", header)]
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    try:
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
        p50 = re.search(r"\s50%\s+(\S+)", out)
        p99 = re.search(r"\s99%\s+(\S+)", out)
        timeouts = re.search(r"timeout (\d+)", out)
        return Result(
            rps,
            _ms(p50.group(1)),  # type: ignore[union-attr]
            _ms(p99.group(1)),  # type: ignore[union-attr]
            _ms(latency.group(3)),  # type: ignore[union-attr]
            int(timeouts.group(1)) if timeouts else 0,
        )
    except (AttributeError, ValueError) as exc:
        raise SystemExit(f"could not parse wrk output ({exc}):\n{out}") from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(name: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", name, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "READY":
        raise SystemExit(f"{name} failed to start")
    return proc, f"http://127.0.0.1:{port}/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=CONTENDERS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=10)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")

    servers: dict[str, tuple[subprocess.Popen[str], str]] = {}
    try:
        for name in CONTENDERS:
            servers[name] = launch(name)
        for _name, (_proc, url) in servers.items():
            wrk(url, 1, args.connections)  # warm-up
        rounds: dict[str, list[Result]] = {name: [] for name in CONTENDERS}
        for r in range(args.rounds):
            order = CONTENDERS[r % len(CONTENDERS) :] + CONTENDERS[: r % len(CONTENDERS)]
            for name in order:
                rounds[name].append(wrk(servers[name][1], args.duration, args.connections))
                time.sleep(0.5)
        print(f"\nhello world, {args.connections} keep-alive connections, {THREADS} threads,")
        print(f"{args.rounds} alternating rounds x {args.duration}s (median round shown)\n")
        print(f"| {'contender':<9} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | vs raw |")
        print("|-----------|----------|---------|---------|--------|")
        raw = statistics.median(x.rps for x in rounds["raw"])
        for name in CONTENDERS:
            ordered = sorted(rounds[name], key=lambda x: x.rps)
            mid = ordered[len(ordered) // 2]
            print(
                f"| {name:<9} | {mid.rps:>8.0f} | {mid.p50_ms:>7.2f} | {mid.p99_ms:>7.2f} "
                f"| {mid.rps / raw:>5.2f}x |"
            )
        stock = statistics.median(x.rps for x in rounds["cheroot"])
        print(
            f"\nstrict HTTP layer: raw on Cherry's server {raw:.0f} req/s, on stock cheroot "
            f"{stock:.0f} req/s ({(raw / stock - 1) * 100:+.1f}%)"
        )
        print(f"\n100 keep-alive connections vs a {THREADS}-thread pool, {args.duration * 2}s:\n")
        print(f"| {'contender':<9} | {'req/s':>8} | {'p99 ms':>7} | {'max ms':>8} | >2s |")
        print("|-----------|----------|---------|----------|-----|")
        for name in ("cherry", "cherrypy"):
            res = wrk(servers[name][1], args.duration * 2, 100, threads=2)
            print(
                f"| {name:<9} | {res.rps:>8.0f} | {res.p99_ms:>7.2f} | {res.max_ms:>8.1f} "
                f"| {res.timeouts:>3} |"
            )
    finally:
        for proc, _url in servers.values():
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
