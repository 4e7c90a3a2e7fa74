"""Per-thread start callbacks (ThreadManager) fire once per serving thread."""

from __future__ import annotations

import threading

import framework
from framework.testing import Client


class Root:
    @framework.expose
    def index(self) -> str:
        return "ok"


def test_start_thread_runs_once_per_thread() -> None:
    engine = framework.engine
    seen: list[int] = []

    def on_start(thread_index: int) -> None:
        seen.append(threading.get_ident())

    # Forget threads earlier tests registered: a finished thread's ident can be reused.
    engine.thread_manager.stop()
    engine.subscribe("start_thread", on_start)
    try:
        client = Client(Root())
        assert client.get("/").text == "ok"
        assert client.get("/").text == "ok"
        worker = threading.Thread(target=lambda: client.get("/"))
        worker.start()
        worker.join()
        assert len(seen) == len(set(seen))
        assert worker.ident in seen
    finally:
        engine.unsubscribe("start_thread", on_start)
        engine.thread_manager.stop()
