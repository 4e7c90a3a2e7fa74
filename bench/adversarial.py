"""Hostile requests against Cherry, stock CherryPy 18 and waitress: how many each refuses.

Every payload of ``tests/support/payloads.py`` (framing tricks that smuggle a request,
malformed heads, oversized lines, headers and bodies) is sent on a fresh connection to
each server, each in its own subprocess on 127.0.0.1 with the same tiny WSGI app (it
answers with the path it served). A payload counts as refused when the first answer is
a 4xx/5xx and no hidden ``/smuggled`` request was served; "smuggled" counts the payloads
where a hidden request was answered.

    python bench/adversarial.py            # summary per class
    python bench/adversarial.py --detail   # one row per payload

Needs cherrypy 18 and waitress (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))  # the shared payload corpus

from payloads import ALL, Payload  # noqa: E402
from rawhttp import exchange  # noqa: E402

SERVERS = ("cherry", "cherrypy", "waitress")
MAX_BODY = 1_000_000


def echo(environ: dict, start_response) -> list[bytes]:  # type: ignore[no-untyped-def]
    environ["wsgi.input"].read()
    body = environ["PATH_INFO"].encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def serve(name: str, port: int) -> None:
    if name == "cherrypy":
        import cherrypy

        cherrypy.config.update(
            {
                "environment": "production",
                "log.screen": False,
                "server.socket_port": port,
                "server.max_request_body_size": MAX_BODY,
            }
        )
        cherrypy.tree.graft(echo, "/")
        cherrypy.engine.subscribe("start", lambda: print("READY", flush=True), priority=90)
        cherrypy.engine.start()
        cherrypy.engine.block()
    elif name == "waitress":
        import waitress

        print("READY", flush=True)
        waitress.serve(
            echo, host="127.0.0.1", port=port, max_request_body_size=MAX_BODY, _quiet=True
        )
    else:
        from framework.process import bus
        from framework.process.server import server

        server.wsgi_app = echo
        server.socket_port, server.max_request_body_size = port, MAX_BODY
        bus.subscribe("start", lambda: print("READY", flush=True), priority=90)
        bus.signals.subscribe()  # type: ignore[attr-defined]
        bus.start()
        bus.block()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(name: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", name, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "READY":
        raise SystemExit(f"{name} failed to start")
    return proc, port


def verdict(port: int, payload: Payload) -> str:
    """``refused``, ``smuggled`` or ``accepted`` (answered 2xx/3xx, nothing hidden)."""
    try:
        result = exchange(port, payload.data, 2.0)
    except OSError:
        return "refused"  # reset before any answer: nothing was served
    if any(reply.body == b"/smuggled" for reply in result.replies):
        return "smuggled"
    if not result.replies:
        return "refused" if result.closed else "accepted"  # silence: it is still waiting
    return "refused" if result.replies[0].status >= 400 else "accepted"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=SERVERS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--detail", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    procs = {name: launch(name) for name in SERVERS}
    try:
        results = {
            name: {p.name: verdict(port, p) for p in ALL} for name, (_, port) in procs.items()
        }
    finally:
        for proc, _ in procs.values():
            proc.terminate()
            proc.wait(30)
    kinds = sorted({p.kind for p in ALL})
    print(f"\n{len(ALL)} hostile requests; cells: refused / smuggled a hidden request\n")
    print("| class | payloads | " + " | ".join(SERVERS) + " |")
    print("|---|---|" + "---|" * len(SERVERS))
    for kind in [*kinds, "all"]:
        names = [p.name for p in ALL if kind in ("all", p.kind)]
        cells = []
        for server in SERVERS:
            refused = sum(results[server][n] == "refused" for n in names)
            smuggled = sum(results[server][n] == "smuggled" for n in names)
            cells.append(f"{refused} / {smuggled}")
        print(f"| {kind} | {len(names)} | " + " | ".join(cells) + " |")
    if args.detail:
        print("\n| payload | " + " | ".join(SERVERS) + " |")
        print("|---|" + "---|" * len(SERVERS))
        for p in ALL:
            print(f"| {p.name} | " + " | ".join(results[s][p.name] for s in SERVERS) + " |")


if __name__ == "__main__":
    main()
