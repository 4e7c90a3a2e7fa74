"""tools.cpstats and StatsPage: request statistics per site, application and URI.

The tool's numbers are checked after known requests (counts, errors, bytes, times);
the page is checked in HTML (values escaped) and JSON; pause and resume take POST only.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

import framework
from framework.lib import cpstats
from framework.lib.statspage import extrapolate_statistics
from framework.testing import Client


@pytest.fixture(autouse=True)
def _fresh_statistics() -> Iterator[None]:
    saved = dict(cpstats.appstats)
    for key in ("Total Requests", "Total Bytes Read", "Total Bytes Written", "Current Requests"):
        cpstats.appstats[key] = 0
    cpstats.appstats["Total Time"] = 0
    for key in ("Requests", "Applications", "URIs"):
        cpstats.appstats[key] = {}
    for key in ("Slow Queries", "URI Set Tracking"):
        cpstats.appstats.pop(key, None)
    cpstats.appstats["Enabled"] = True
    yield
    cpstats.appstats.clear()
    cpstats.appstats.update(saved)


class Api:
    @framework.expose
    def index(self) -> str:
        return "hello"

    @framework.expose
    def echo(self, text: str = "") -> str:
        return text

    @framework.expose
    def fail(self) -> str:
        raise RuntimeError("boom")

    @framework.expose
    def slow(self) -> str:
        time.sleep(0.06)
        return "slow"

    @framework.expose
    def stream(self) -> Any:
        yield "a"
        yield "b"

    stream._cp_config = {"response.stream": True}  # type: ignore[attr-defined]


class Root:
    api = Api()
    stats = cpstats.StatsPage()

    @framework.expose
    def index(self) -> str:
        return "root"


@pytest.fixture
def client() -> Client:
    tree = framework.Tree()
    tree.mount(Root(), "", {"/api": {"tools.cpstats.on": True}})
    tree.mount(Api(), "/other", {"/": {"tools.cpstats.on": True}})
    return Client(tree)


def test_requests_are_counted_per_site_application_and_uri(
    client: Client, error_records: list[Any]
) -> None:
    assert client.get("/api/").text == "hello"
    assert client.get("/api/").text == "hello"
    assert client.post("/api/echo", data={"text": "abc"}).text == "abc"
    assert client.get("/api/missing").status_code == 404
    assert client.get("/api/fail").status_code == 500
    assert client.get("/other/").text == "hello"
    assert client.get("/").text == "root"  # not recorded: the tool is off there
    stats = extrapolate_statistics(cpstats.appstats)
    assert stats["Total Requests"] == 6
    assert stats["Current Requests"] == 0
    assert stats["Total Bytes Read"] == len("text=abc")
    apps = stats["Applications"]
    assert apps["/"]["Requests"] == 5
    assert apps["/"]["Client Errors"] == 1
    assert apps["/"]["Server Errors"] == 1
    assert apps["/other"]["Requests"] == 1
    uris = stats["URIs"]
    assert uris["/api/"]["Requests"] == 2
    assert uris["/api/"]["Bytes Written"] == 2 * len("hello")
    assert uris["/api/echo"]["Bytes Read"] == len("text=abc")
    assert uris["/api/fail"]["Server Errors"] == 1
    assert "/" not in uris
    assert uris["/api/"]["Average Time"] == pytest.approx(uris["/api/"]["Total Time"] / 2)
    assert stats["Bytes Read/Request"] == pytest.approx(len("text=abc") / 6)


def test_each_thread_shows_its_last_request(client: Client) -> None:
    client.get("/api/stream")
    (record,) = extrapolate_statistics(cpstats.appstats)["Requests"].values()
    assert record["Request-Line"] == "GET /api/stream HTTP/1.1"
    assert record["Bytes Written"] == "chunked"
    assert record["Response Status"] == "200 OK"
    assert record["Client"].startswith("127.0.0.1:")


def test_uri_sets_and_slow_queries() -> None:
    config = {
        "/": {
            "tools.cpstats.on": True,
            "tools.cpstats.uriset": "api",
            "tools.cpstats.slow_queries": 0.05,
            "tools.cpstats.slow_queries_count": 1,
        }
    }
    client = Client(Api(), config=config)
    client.get("/")
    client.get("/slow")
    client.get("/slow")
    stats = extrapolate_statistics(cpstats.appstats)
    tracked = stats["URI Set Tracking"]["api"]
    assert tracked["Count"] == 3
    assert tracked["Max"] >= 0.05 > tracked["Min"]
    assert tracked["Avg"] == pytest.approx(tracked["Sum"] / 3)
    (slow,) = stats["Slow Queries"]
    assert slow["Request-Line"] == "GET /slow HTTP/1.1"


def test_uris_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpstats, "MAX_URIS", 2)
    client = Client(Api(), config={"/": {"tools.cpstats.on": True}})
    for path in ("/", "/echo", "/nope1", "/nope2"):
        client.get(path)
    uris = cpstats.appstats["URIs"]
    assert set(uris) == {"/", "/echo", "(other)"}
    assert uris["(other)"]["Requests"] == 2


def test_paused_statistics_record_nothing(client: Client) -> None:
    paused = client.post("/stats/pause", data={"namespace": "CherryPy Applications"})
    assert paused.status_code == 303
    client.get("/api/")
    assert cpstats.appstats["Total Requests"] == 0
    client.post("/stats/resume", data={"namespace": "CherryPy Applications"})
    client.get("/api/")
    assert cpstats.appstats["Total Requests"] == 1


def test_pause_and_resume_need_post(client: Client) -> None:
    page = client.get("/stats/pause?namespace=CherryPy%20Applications")
    assert page.status_code == 405
    assert cpstats.appstats["Enabled"] is True


def test_the_html_page_escapes_what_clients_sent(client: Client) -> None:
    client.get("/api/<script>alert(1)</script>")
    page = client.get("/stats/")
    assert page.status_code == 200
    assert "<h1>CherryPy Applications</h1>" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'value="Pause" disabled' not in page.text  # enabled: only Resume is disabled
    assert "<h2>URIs</h2>" in page.text and "<h2>Applications</h2>" in page.text


def test_the_json_page(client: Client) -> None:
    client.get("/api/")
    page = client.get("/stats/data")
    assert page.headers["Content-Type"] == "application/json"
    data = json.loads(page.body)
    assert data["CherryPy Applications"]["URIs"]["/api/"]["Requests"] == 1
    assert isinstance(data["CherryPy Applications"]["Uptime"], float)


def test_other_namespaces_of_logging_statistics_are_shown(client: Client) -> None:
    logging.statistics["My Cache"] = {  # type: ignore[attr-defined]
        "Hits": 3,
        "Ratio": lambda s: 0.5,
        "Shards": {"a": 1, "b": {"Size": 2}},  # another library's shapes: plain values too
        "Recent": ["x", {"Key": "y"}],
    }
    try:
        text = client.get("/stats/").text
    finally:
        del logging.statistics["My Cache"]  # type: ignore[attr-defined]
    assert "<h1>My Cache</h1>" in text and "<td>0.5</td>" in text
    assert "<h2>Shards</h2>" in text and "<h2>Recent</h2>" in text


def test_byte_count_wrapper() -> None:
    import io

    wrapped = cpstats.ByteCountWrapper(io.BytesIO(b"one\ntwo\nthree"))
    assert wrapped.readline() == b"one\n"
    assert list(wrapped) == [b"two\n", b"three"]
    assert wrapped.bytes_read == 13
    wrapped = cpstats.ByteCountWrapper(io.BytesIO(b"a\nb\nc\n"))
    assert wrapped.readlines(2) == [b"a\n"]
    assert wrapped.read() == b"b\nc\n" and wrapped.bytes_read == 6


def test_the_page_shows_a_cheroot_server_namespace(client: Client) -> None:
    # cheroot registers "Cheroot HTTPServer <id>" (with a "Worker Threads" collection
    # that has no format of its own) for every server, started or stopped.
    from framework.process.server import serve_in_thread

    def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "0")])
        return []

    with serve_in_thread(hello, statistics=True):
        page = client.get("/stats/")
    assert page.status_code == 200
    assert "Cheroot HTTPServer" in page.text


def test_a_statistic_that_fails_is_shown_as_a_dash_not_a_500(client: Client) -> None:
    # cheroot's Accepts/sec divides by the run time of a server that never started.
    logging.statistics["Never Started"] = {  # type: ignore[attr-defined]
        "Accepts": 0,
        "Accepts/sec": lambda s: s["Accepts"] / 0,
    }
    try:
        page = client.get("/stats/")
        data = client.get("/stats/data").json()
    finally:
        del logging.statistics["Never Started"]  # type: ignore[attr-defined]
    assert page.status_code == 200 and "<td>-</td>" in page.text
    assert data["Never Started"] == {"Accepts": 0, "Accepts/sec": None}
