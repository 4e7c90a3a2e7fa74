"""The ``gzip`` tool (:mod:`framework.lib.compression`)."""

from __future__ import annotations

import gzip
import io
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.lib import compression
from framework.lib.compression import compress, decompress
from framework.testing import Client, TestResponse

PAGE = "<p>" + "Hello, compressible world! " * 200 + "</p>"
GZIP = {"Accept-Encoding": "gzip"}


class Root:
    @framework.expose
    def index(self) -> str:
        return PAGE

    @framework.expose
    def typed(self, ctype: str) -> str:
        framework.response.headers["Content-Type"] = ctype
        return PAGE

    @framework.expose
    def tagged(self) -> str:
        framework.response.headers["ETag"] = '"v1"'
        return PAGE

    @framework.expose
    def encoded(self) -> bytes:
        framework.response.headers["Content-Encoding"] = "br"
        return b"already compressed"

    @framework.expose
    def varied(self) -> str:
        framework.response.headers["Vary"] = "Cookie"
        return PAGE

    @framework.expose
    def not_modified(self) -> None:
        raise framework.HTTPRedirect([], 304)

    @framework.expose
    def empty(self) -> str:
        return ""


def get(
    path: str = "/",
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    **conf: Any,
) -> TestResponse:
    config = {"tools.gzip.on": True, **{f"tools.gzip.{k}": v for k, v in conf.items()}}
    return Client(Root(), config={"/": config}).get(path, headers=headers, params=params)


def test_html_is_gzipped_for_a_client_that_accepts_it() -> None:
    response = get(headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert int(response.headers["Content-Length"]) == len(response.body) < len(PAGE) / 10
    assert decompress(response.body).decode() == PAGE


def test_no_accept_encoding_sends_identity_but_still_varies() -> None:
    response = get()
    assert "Content-Encoding" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.text == PAGE


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip", True),
        ("x-gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("br", False),
        ("identity", False),
        ("identity;q=1, gzip;q=0.5", False),
        ("identity;q=0, gzip", True),
        ("*;q=0, gzip", True),
    ],
)
def test_accept_encoding_negotiation(accept: str, gzipped: bool) -> None:
    response = get(headers={"Accept-Encoding": accept})
    assert ("Content-Encoding" in response.headers) is gzipped
    body = decompress(response.body) if gzipped else response.body
    assert body.decode() == PAGE


@pytest.mark.parametrize("accept", ["gzip;q=0, identity;q=0", "*;q=0"])
def test_nothing_acceptable_is_406(accept: str) -> None:
    assert get(headers={"Accept-Encoding": accept}).status_code == 406


@pytest.mark.parametrize(
    ("ctype", "mime_types", "gzipped"),
    [
        ("text/plain", None, True),
        ("text/css", None, False),
        ("image/png", None, False),
        ("text/css", ["text/*"], True),
        ("application/atom+xml", ["application/*+xml"], True),
        ("application/json", ["application/*+xml"], False),
        ("application/json", ["application/json"], True),
    ],
)
def test_mime_types_with_wildcards(ctype: str, mime_types: list[str] | None, gzipped: bool) -> None:
    conf = {"mime_types": mime_types} if mime_types else {}
    response = get("/typed", headers=GZIP, params={"ctype": ctype}, **conf)
    assert ("Content-Encoding" in response.headers) is gzipped


def test_compress_level_is_honoured() -> None:
    fast = get(headers=GZIP, compress_level=1).body
    best = get(headers=GZIP, compress_level=9).body
    stored = get(headers=GZIP, compress_level=0).body
    assert len(best) <= len(fast) < len(stored)
    assert decompress(stored).decode() == PAGE


@pytest.mark.parametrize("level", [1, 5, 9])
def test_the_body_is_the_gzip_member_pythons_gzip_module_writes(level: int) -> None:
    before = int(time.time())
    body = get(headers=GZIP, compress_level=level).body
    after = int(time.time())
    buffer = io.BytesIO()
    with gzip.GzipFile(mode="wb", fileobj=buffer, compresslevel=level, mtime=0) as file:
        file.write(PAGE.encode())
    expected = buffer.getvalue()
    # Everything but the modification time (now, as gzip.GzipFile and CherryPy write it).
    assert body[:4] + body[8:] == expected[:4] + expected[8:]
    assert before <= struct.unpack("<L", body[4:8])[0] <= after


def test_a_streamed_body_is_one_valid_gzip_member() -> None:
    chunks = list(compress(iter([b"first ", "second ", b"third"]), 9, flush=True))
    data = b"".join(chunks)
    assert gzip.decompress(data) == b"first second third"  # checks the CRC and size too
    assert (data[:4], data[8:10]) == (b"\x1f\x8b\x08\x00", b"\x02\xff")


def test_a_strong_etag_becomes_weak_once_compressed() -> None:
    assert get("/tagged", headers=GZIP).headers["ETag"] == 'W/"v1"'
    assert get("/tagged").headers["ETag"] == '"v1"'


def test_an_already_encoded_body_is_left_alone() -> None:
    response = get("/encoded", headers=GZIP)
    assert response.headers["Content-Encoding"] == "br"
    assert response.body == b"already compressed"


def test_an_existing_vary_header_is_extended() -> None:
    assert get("/varied", headers=GZIP).headers["Vary"] == "Cookie, Accept-Encoding"


def test_304_is_not_compressed() -> None:
    response = get("/not_modified", headers=GZIP)
    assert response.status_code == 304
    assert "Content-Encoding" not in response.headers


def test_empty_body_is_not_compressed() -> None:
    assert "Content-Encoding" not in get("/empty", headers=GZIP).headers


def test_206_is_not_compressed(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(PAGE)
    conf = {
        "/page.html": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(tmp_path / "page.html"),
            "tools.gzip.on": True,
        }
    }
    client = Client(Root(), config=conf)
    ranged = client.get("/page.html", headers={"Range": "bytes=0-2", **GZIP})
    assert (ranged.status_code, ranged.body) == (206, b"<p>")
    assert "Content-Encoding" not in ranged.headers
    whole = client.get("/page.html", headers=GZIP)
    assert decompress(whole.body).decode() == PAGE


def static_client(tmp_path: Path) -> Client:
    (tmp_path / "page.html").write_text(PAGE)
    conf = {
        "/page.html": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(tmp_path / "page.html"),
            "tools.gzip.on": True,
        }
    }
    return Client(Root(), config=conf)


def test_a_small_static_file_is_compressed_whole_with_its_length(tmp_path: Path) -> None:
    response = static_client(tmp_path).get("/page.html", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Length"] == str(len(response.body))
    assert decompress(response.body).decode() == PAGE


def test_a_static_file_over_the_buffer_limit_is_streamed_compressed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compression, "BUFFER_LIMIT", len(PAGE) - 1)
    response = static_client(tmp_path).get("/page.html", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in response.headers
    assert decompress(response.body).decode() == PAGE


def test_streamed_bodies_are_compressed_chunk_by_chunk() -> None:
    produced: list[str] = []

    class Streaming:
        @framework.expose
        def index(self) -> Iterator[str]:
            for word in ("first chunk ", "second chunk ", "third chunk"):
                produced.append(word)
                yield word

    conf = {"/": {"tools.gzip.on": True, "response.stream": True}}
    app = framework.Application(Streaming(), "", conf)
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT_ENCODING": "gzip", "wsgi.url_scheme": "http",
    }  # fmt: skip
    headers: dict[str, str] = {}

    def start_response(status: str, pairs: list[tuple[str, str]], exc_info: Any = None) -> None:
        headers.update(pairs)

    result = app(environ, start_response)
    assert headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in headers
    inflater = zlib.decompressobj(31)
    seen = b""
    try:
        for chunk in result:
            seen += inflater.decompress(chunk)
            # Everything produced so far has reached the client, no more.
            assert seen.decode() == "".join(produced)
    finally:
        result.close()
    assert seen.decode() == "first chunk second chunk third chunk"
    assert len(produced) == 3


def test_compress_closes_its_source() -> None:
    closed: list[bool] = []

    def source() -> Iterator[bytes]:
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    stream = compress(source(), 5)
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert closed == [True]
