"""The request lifetime owned by Application.__call__: when the context is current, when
``on_end_request`` runs, and that both hold whichever way the WSGI exchange ends.

These tests drive the WSGI callable by hand (not through the test client), so they can
look between the call, the iteration of the body and its ``close()``, as a server does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.util import FileWrapper

import pytest

import framework
from framework.context import serving

MakeEnviron = Callable[..., dict[str, Any]]


def start_response(status: str, headers: list[tuple[str, str]]) -> Callable[[bytes], None]:
    return lambda data: None


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
def app(calls: list[str]) -> framework.Application:
    def end() -> None:
        calls.append(f"end (current: {serving.request is not None})")

    class Root:
        @framework.expose
        def index(self) -> str:
            calls.append("handler")
            return "fixed"

        @framework.expose
        def stream(self) -> Iterator[bytes]:
            framework.response.stream = True

            def chunks() -> Iterator[bytes]:
                for chunk in (b"a", b"b"):
                    calls.append(f"chunk {chunk.decode()} ({framework.request.path_info})")
                    yield chunk

            return chunks()

        @framework.expose
        def broken_stream(self) -> Iterator[bytes]:
            framework.response.stream = True

            def chunks() -> Iterator[bytes]:
                yield b"a"
                raise RuntimeError("stream broke")

            return chunks()

    return framework.Application(Root(), "", {"/": {"hooks.on_end_request": end}})


def test_on_end_request_runs_when_the_server_closes_a_fixed_body(
    app: framework.Application, calls: list[str], make_environ: MakeEnviron
) -> None:
    body = app(make_environ(), start_response)
    assert calls == ["handler"]  # not before the body was sent
    assert b"".join(body) == b"fixed"
    assert calls == ["handler"]
    body.close()  # type: ignore[attr-defined]
    assert calls == ["handler", "end (current: True)"]
    assert serving.get() is None


def test_on_end_request_runs_after_every_streamed_chunk(
    app: framework.Application, calls: list[str], make_environ: MakeEnviron
) -> None:
    body = app(make_environ(path="/stream"), start_response)
    assert serving.get() is None  # not current between the call and the iteration
    assert b"".join(body) == b"ab"
    body.close()
    assert calls == ["chunk a (/stream)", "chunk b (/stream)", "end (current: True)"]
    assert serving.get() is None


def test_closing_twice_ends_the_request_once(
    app: framework.Application, calls: list[str], make_environ: MakeEnviron
) -> None:
    body = app(make_environ(path="/stream"), start_response)
    body.close()
    body.close()
    assert calls == ["end (current: True)"]


def test_start_response_failing_still_ends_the_request(
    app: framework.Application, calls: list[str], make_environ: MakeEnviron
) -> None:
    def failing(status: str, headers: list[tuple[str, str]]) -> Callable[[bytes], None]:
        raise OSError("client went away")

    with pytest.raises(OSError, match="client went away"):
        app(make_environ(), failing)
    assert calls == ["handler", "end (current: True)"]
    assert serving.get() is None


def test_a_stream_that_breaks_raises_to_the_server_and_still_ends(
    app: framework.Application, calls: list[str], make_environ: MakeEnviron
) -> None:
    body = app(make_environ(path="/broken_stream"), start_response)
    chunks = iter(body)
    assert next(chunks) == b"a"
    with pytest.raises(RuntimeError, match="stream broke"):
        next(chunks)
    assert serving.get() is None
    body.close()
    assert calls == ["end (current: True)"]


def test_without_end_of_request_work_the_body_is_a_plain_list(make_environ: MakeEnviron) -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            return "x"

    application = framework.Application(Root())
    # Nobody reads the access log (pytest attaches its capture to the global one).
    application.log.access_log.propagate = False
    body = application(make_environ(), start_response)
    assert type(body) is list  # PERF: nothing to close, nothing wrapped
    assert serving.get() is None


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_lines(app: framework.Application) -> Iterator[list[str]]:
    handler = _Lines()
    app.log.access_log.addHandler(handler)
    try:
        yield handler.lines
    finally:
        app.log.access_log.removeHandler(handler)


@pytest.mark.parametrize("path", ["/", "/stream"])
def test_the_access_line_is_written_once_the_server_sent_the_body(
    app: framework.Application, access_lines: list[str], make_environ: MakeEnviron, path: str
) -> None:
    body = app(make_environ(path=path), start_response)
    assert access_lines == []  # nothing is logged before the body went out
    assert b"".join(body) in (b"fixed", b"ab")
    assert access_lines == []
    body.close()
    assert len(access_lines) == 1
    assert f'"GET {path} HTTP/1.1" 200 ' in access_lines[0]


@pytest.mark.parametrize("path", ["/", "/stream", "/broken_stream"])
def test_a_body_the_server_could_not_send_is_never_logged_as_sent(
    app: framework.Application,
    access_lines: list[str],
    error_records: list[logging.LogRecord],
    make_environ: MakeEnviron,
    path: str,
) -> None:
    body = app(make_environ(path=path), start_response)
    chunks = iter(body)
    next(chunks)  # the write of this chunk failed: the server stops and closes
    body.close()
    assert len(access_lines) == 1
    assert f'"GET {path} HTTP/1.1" - - ' in access_lines[0]
    assert any(
        f"GET {path} HTTP/1.1: the 200 response was not delivered" in r.getMessage()
        for r in error_records
    )


def test_an_internal_redirect_ends_the_first_request_before_the_second_runs(
    make_environ: MakeEnviron,
) -> None:
    calls: list[str] = []

    def end() -> None:
        calls.append(f"end {framework.request.path_info}")

    class Root:
        @framework.expose
        def index(self) -> str:
            raise framework.InternalRedirect("/target")

        @framework.expose
        def target(self) -> str:
            calls.append("target")
            return "t"

    app = framework.Application(Root(), "", {"/": {"hooks.on_end_request": end}})
    body = app(make_environ(), start_response)
    assert calls == ["end /", "target"]
    body.close()  # type: ignore[attr-defined]
    assert calls == ["end /", "target", "end /target"]


def test_the_servers_file_wrapper_is_handed_back_and_ends_the_request(
    tmp_path: Path, make_environ: MakeEnviron
) -> None:
    calls: list[str] = []
    served = tmp_path / "big.bin"
    served.write_bytes(b"x" * 100_000)

    class Root:
        @framework.expose
        def index(self) -> Any:
            from framework.lib.static import serve_file

            return serve_file(str(served))

    app = framework.Application(
        Root(), "", {"/": {"hooks.on_end_request": lambda: calls.append("end")}}
    )
    environ = make_environ()
    environ["wsgi.file_wrapper"] = FileWrapper
    body = app(environ, start_response)
    assert isinstance(body, FileWrapper)  # sendfile() stays possible for the server
    assert b"".join(body) == served.read_bytes()
    assert calls == []
    body.close()
    assert calls == ["end"]
