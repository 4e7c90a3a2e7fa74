"""``cherrycli.reload.live``: the event stream and the script on error pages."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from cherrycli.reload.live import EVENTS_PATH, RETRY_MS, LiveReload, script

PAGE = b"<html><body><h1>500</h1></body></html>"


def app_answering(status: str, content_type: str, body: bytes = PAGE) -> Callable[..., Any]:
    closed: list[bool] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(status, [("Content-Type", content_type), ("Content-Length", "41")])

        class Body(list[bytes]):
            def close(self) -> None:
                closed.append(True)

        return Body([body])

    app.closed = closed  # type: ignore[attr-defined]
    return app


def call(app: Any, method: str = "GET", path: str = "/") -> tuple[str, dict[str, str], bytes]:
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        got["status"], got["headers"] = status, dict(headers)
        return lambda data: None

    body = b"".join(app({"REQUEST_METHOD": method, "PATH_INFO": path}, start_response))
    return got["status"], got["headers"], body


@pytest.mark.parametrize("status", ["500 Internal Server Error", "404 Not Found"])
def test_an_html_error_page_gets_the_script_before_the_body_ends(status: str) -> None:
    inner = app_answering(status, "text/html;charset=utf-8")
    live = LiveReload(inner, token="t0k")
    got_status, headers, body = call(live)
    tag = script("t0k").encode()
    assert got_status == status
    assert body == PAGE.replace(b"</body>", tag + b"</body>")
    assert headers["Content-Length"] == str(len(body))
    assert inner.closed == [True]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "status", "content_type"),
    [
        ("POST", "500 Internal Server Error", "text/html"),  # a reload would resend it
        ("GET", "200 OK", "text/html"),
        ("GET", "500 Internal Server Error", "application/json"),
    ],
)
def test_other_responses_pass_untouched(method: str, status: str, content_type: str) -> None:
    live = LiveReload(app_answering(status, content_type), token="t0k")
    _, headers, body = call(live, method)
    assert body == PAGE
    assert headers["Content-Length"] == "41"


def test_the_script_reloads_when_another_token_arrives() -> None:
    tag = script("abc")
    assert f"new EventSource('{EVENTS_PATH}')" in tag
    assert "var own='abc'" in tag
    assert "if(e.data!==own){events.close();location.reload();}" in tag


def test_the_event_stream_sends_the_token_and_ends_when_the_worker_stops() -> None:
    live = LiveReload(app_answering("200 OK", "text/plain"), token="w1")
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        got["status"], got["headers"] = status, dict(headers)

    stream = iter(live({"REQUEST_METHOD": "GET", "PATH_INFO": EVENTS_PATH}, start_response))
    assert got["status"] == "200 OK"
    assert got["headers"]["Content-Type"] == "text/event-stream"
    assert next(stream) == f"retry: {RETRY_MS}\ndata: w1\n\n".encode()
    rest: list[bytes] = []
    reader = threading.Thread(target=lambda: rest.extend(stream))
    reader.start()
    reader.join(0.2)
    assert reader.is_alive()  # the stream stays open while the worker serves
    live.stop()
    reader.join(5)
    assert not reader.is_alive()
    assert rest == []
