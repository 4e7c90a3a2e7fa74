"""framework.process.adapter: CherryPy's ServerAdapter runs a server object with the engine."""

from __future__ import annotations

import urllib.request

import framework
from framework.process.adapter import ServerAdapter, Timeouts
from framework.process.server import Server
from framework.process.wspbus import Bus


class Root:
    @framework.expose
    def index(self) -> str:
        return "adapted"


def test_a_server_object_starts_and_stops_with_its_bus() -> None:
    app = framework.Application(Root(), "")
    inner = Server(app, engine=Bus())
    inner.socket_port = 0
    httpserver = inner.build_cheroot()
    bus = Bus()
    adapter = ServerAdapter(bus, httpserver, ("127.0.0.1", 0))
    adapter.subscribe()
    bus.start()
    try:
        adapter.wait()
        assert adapter.running
        with urllib.request.urlopen(adapter.base() + "/", timeout=10) as page:
            assert page.read() == b"adapted"
        assert "on http://127.0.0.1:" in adapter.description
    finally:
        bus.exit()
    assert not adapter.running


def test_restart_serves_again() -> None:
    framework.tree.mount(Root(), "")
    adapter = ServerAdapter(Bus(), None, ("127.0.0.1", 0))  # a cheroot serving the tree
    adapter.start()
    try:
        adapter.restart()
        with urllib.request.urlopen(adapter.base() + "/", timeout=10) as page:
            assert page.read() == b"adapted"
    finally:
        adapter.stop()


def test_wait_before_start_says_so() -> None:
    adapter = ServerAdapter(Bus(), None, ("127.0.0.1", 0))
    try:
        adapter.wait()
    except RuntimeError as exc:
        assert "is not running" in str(exc)
    else:
        raise AssertionError("wait() must refuse a server that is not running")


def test_timeouts() -> None:
    assert (Timeouts.occupied, Timeouts.free) == (5, 1)
