"""Static files and sessions over loopback with wrk: Cherry vs CherryPy 18 vs raw WSGI.

Two workloads, each server in its own subprocess on cheroot (10 threads) on 127.0.0.1,
rounds alternating the servers so drift hits them all alike:

- ``static``: ``GET`` of a 1 MiB file. ``raw`` is a minimal WSGI callable streaming the
  same file in 64 KiB chunks with a ``Content-Length``; ``cherry`` and ``cherrypy`` serve
  it with ``tools.staticfile``.
- ``session``: a handler reading and writing one key of an existing session (one cookie
  for every request). ``cherry-none`` is the same handler without sessions, ``cherry-ram``
  and ``cherrypy-ram`` use RAM sessions, ``cherry-redis`` Redis (``REDIS_URL``, from
  ``scripts/services.sh``).

    python bench/stateful_bench.py                     # 3 rounds x 5 s
    python bench/stateful_bench.py --rounds 5 --duration 10 --only static

Needs wrk (``apt-get install wrk``), cherrypy 18 and, for ``cherry-redis``, a Redis.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.wrk_bench import Result, free_port, wrk  # noqa: E402

THREADS = 10
SIZE = 1 << 20
CHUNK = 65536
WORKLOADS = {
    "static": ("raw", "cherry", "cherrypy"),
    "session": ("cherry-none", "cherry-ram", "cherry-redis", "cherrypy-ram"),
}


# -- servers (run with --serve NAME --port N --file F in a subprocess) -------------------
def serve_raw(port: int, path: str) -> None:
    from cheroot import wsgi

    size = str(os.path.getsize(path))

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response(
            "200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", size)]
        )
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk

    server = wsgi.Server(("127.0.0.1", port), app, numthreads=THREADS)
    server.prepare()
    print("READY", flush=True)
    server.serve()


def serve_cherrypy(name: str, port: int, path: str) -> None:
    import cherrypy

    class Root:
        @cherrypy.expose
        def session(self) -> str:
            cherrypy.session["hits"] = cherrypy.session.get("hits", 0) + 1
            return "ok"

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
    config = {
        "/file": {"tools.staticfile.on": True, "tools.staticfile.filename": path},
        "/session": {"tools.sessions.on": True},
    }
    cherrypy.tree.mount(Root(), "/", config)
    cherrypy.engine.subscribe("start", lambda: print("READY", flush=True), priority=90)
    cherrypy.engine.signals.subscribe()
    cherrypy.engine.start()
    cherrypy.engine.block()


def serve_cherry(name: str, port: int, path: str) -> None:
    import framework
    from framework.process import bus
    from framework.process.server import server as srv

    class Root:
        @framework.expose
        def session(self) -> str:
            framework.session["hits"] = framework.session.get("hits", 0) + 1
            return "ok"

        @framework.expose
        def plain(self) -> str:
            hits = 1  # the same work, minus the session
            return "ok" if hits else ""

    sessions: dict[str, Any] = {"tools.sessions.on": True}
    if name == "cherry-redis":
        sessions.update(
            {
                "tools.sessions.storage_type": "redis",
                "tools.sessions.url": os.environ["REDIS_URL"],
                "tools.sessions.prefix": f"bench-{os.getpid()}:",
            }
        )
    config = {
        "/file": {"tools.staticfile.on": True, "tools.staticfile.filename": path},
        "/session": sessions,
    }
    framework.config.update({"environment": "production", "log.screen": False})
    framework.tree.mount(Root(), "", config)
    srv.wsgi_app = framework.tree
    srv.socket_port, srv.thread_pool = port, THREADS
    bus.signals.subscribe()  # type: ignore[attr-defined]
    bus.start()
    print("READY", flush=True)
    bus.block()


# -- driver ------------------------------------------------------------------------------
def launch(name: str, path: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", name, "--port", str(port), "--file", path],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "READY":
        raise SystemExit(f"{name} failed to start")
    return proc, f"http://127.0.0.1:{port}"


def target(name: str, base: str) -> tuple[str, tuple[str, ...]]:
    """The URL and the extra request headers (a session cookie) for one server."""
    if name in WORKLOADS["static"]:
        return base + ("/" if name == "raw" else "/file"), ()
    if name == "cherry-none":
        return base + "/plain", ()
    with urllib.request.urlopen(base + "/session", timeout=10) as response:
        cookie = response.headers["Set-Cookie"].split(";")[0]
    return base + "/session", (f"Cookie: {cookie}",)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [n for group in WORKLOADS.values() for n in group]
    parser.add_argument("--serve", choices=names)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--file", default="")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--only", choices=list(WORKLOADS), action="append")
    args = parser.parse_args()
    if args.serve == "raw":
        serve_raw(args.port, args.file)
        return
    if args.serve in ("cherrypy", "cherrypy-ram"):
        serve_cherrypy(args.serve, args.port, args.file)
        return
    if args.serve:
        serve_cherry(args.serve, args.port, args.file)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "one-mib.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(SIZE))
        for workload in args.only or list(WORKLOADS):
            contenders = [
                n for n in WORKLOADS[workload] if n != "cherry-redis" or os.environ.get("REDIS_URL")
            ]
            bench(workload, contenders, path, args)


def bench(workload: str, contenders: list[str], path: str, args: argparse.Namespace) -> None:
    servers: dict[str, tuple[subprocess.Popen[str], str, tuple[str, ...]]] = {}
    try:
        for name in contenders:
            proc, base = launch(name, path)
            url, headers = target(name, base)
            servers[name] = (proc, url, headers)
            wrk(url, 1, args.connections, headers=headers)  # warm-up
        rounds: dict[str, list[Result]] = {name: [] for name in contenders}
        for r in range(args.rounds):
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
            for name in order:
                _, url, headers = servers[name]
                rounds[name].append(wrk(url, args.duration, args.connections, headers=headers))
                time.sleep(0.5)
        base_name = contenders[0]
        base = statistics.median(x.rps for x in rounds[base_name])
        print(f"\n{workload}: {args.connections} keep-alive connections, {THREADS} threads,")
        print(f"{args.rounds} alternating rounds x {args.duration}s (median round shown)\n")
        print(f"| {'server':<12} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | vs {base_name} |")
        print(f"|--------------|----------|---------|---------|{'-' * (len(base_name) + 5)}|")
        for name in contenders:
            ordered = sorted(rounds[name], key=lambda x: x.rps)
            mid = ordered[len(ordered) // 2]
            print(
                f"| {name:<12} | {mid.rps:>8.0f} | {mid.p50_ms:>7.2f} | {mid.p99_ms:>7.2f} "
                f"| {mid.rps / base:>{len(base_name) + 2}.2f}x |"
            )
    finally:
        for proc, _url, _headers in servers.values():
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
