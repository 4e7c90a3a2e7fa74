"""tools.staticdir and tools.staticfile, through the in-process client."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.lib import byteranges, static
from framework.testing import Client


class Root:
    @framework.expose
    def index(self) -> str:
        return "home"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.css").write_text("body { color: red }")
    (tmp_path / "static" / "sub").mkdir()
    (tmp_path / "static" / "sub" / "index.html").write_text("<p>sub</p>")
    (tmp_path / "secret.txt").write_text("no")
    return tmp_path


def client_for(site: Path, **extra: object) -> Client:
    conf = {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.root": str(site),
            "tools.staticdir.dir": "static",
            **extra,
        },
        "/favicon.css": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(site / "static" / "app.css"),
        },
    }
    return Client(framework.Application(Root(), "", conf))


def test_staticdir_serves_a_file_with_type_and_length(site: Path) -> None:
    response = client_for(site).get("/static/app.css")
    assert response.status_code == 200
    assert response.text == "body { color: red }"
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Content-Length"] == "19"


def test_staticdir_missing_file_is_404(site: Path) -> None:
    assert client_for(site).get("/static/nope.css").status_code == 404


def test_staticdir_refuses_to_escape_its_root(site: Path) -> None:
    assert client_for(site).get("/static/%2e%2e/secret.txt").status_code in (403, 404)


def test_staticdir_index_file(site: Path) -> None:
    response = client_for(site, **{"tools.staticdir.index": "index.html"}).get("/static/sub/")
    assert response.text == "<p>sub</p>"


def test_staticdir_without_dir_names_the_missing_arguments(site: Path) -> None:
    conf = {"/error": {"tools.staticdir.on": True}}
    client = Client(framework.Application(Root(), "", conf))
    response = client.get("/error/thing.html")
    assert response.status_code == 500
    assert "staticdir() missing 2 required positional arguments" in response.text


def test_staticdir_answers_304_when_not_modified(site: Path) -> None:
    client = client_for(site)
    first = client.get("/static/app.css")
    again = client.get(
        "/static/app.css", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert again.status_code == 304
    assert again.body == b""


def test_staticdir_ignores_post(site: Path) -> None:
    assert client_for(site).post("/static/app.css", data={"a": "1"}).status_code == 404


def test_staticfile_serves_one_file(site: Path) -> None:
    assert client_for(site).get("/favicon.css").text == "body { color: red }"


def test_other_paths_still_reach_handlers(site: Path) -> None:
    assert client_for(site).get("/").text == "home"


# -- ranges ------------------------------------------------------------------------------
DIGITS = b"0123456789" * 10  # 100 bytes


@pytest.fixture
def numbers(site: Path) -> Client:
    (site / "static" / "digits.bin").write_bytes(DIGITS)
    return client_for(site)


def test_full_file_advertises_byte_ranges(numbers: Client) -> None:
    response = numbers.get("/static/digits.bin")
    assert response.status_code == 200
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.body == DIGITS


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-9", 0, 9), ("bytes=95-", 95, 99), ("bytes=-3", 97, 99), ("bytes=90-500", 90, 99)],
)
def test_single_range_is_206_with_content_range(
    numbers: Client, header: str, first: int, last: int
) -> None:
    response = numbers.get("/static/digits.bin", headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/100"
    assert response.headers["Content-Length"] == str(last - first + 1)
    assert response.body == DIGITS[first : last + 1]


def parse_multipart(response: Any) -> list[tuple[str, bytes]]:
    ctype = response.headers["Content-Type"]
    assert ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=")[1].encode()
    assert response.headers["Content-Length"] == str(len(response.body))
    parts = []
    for chunk in response.body.split(b"--" + boundary)[1:-1]:
        head, _, data = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        ranges = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-range")]
        parts.append((ranges[0].decode().split(": ")[1], data))
    assert response.body.endswith(b"--" + boundary + b"--\r\n")
    return parts


def test_several_ranges_are_multipart_byteranges(site: Path) -> None:
    (site / "static" / "big.bin").write_bytes(DIGITS * 100)
    response = client_for(site).get("/static/big.bin", headers={"Range": "bytes=0-4,5000-5009"})
    assert response.status_code == 206
    assert parse_multipart(response) == [
        ("bytes 0-4/10000", b"01234"),
        ("bytes 5000-5009/10000", b"0123456789"),
    ]


def test_overlapping_ranges_are_coalesced_so_no_byte_is_sent_twice(site: Path) -> None:
    (site / "static" / "big.bin").write_bytes(DIGITS * 100)
    header = "bytes=" + ",".join(["0-"] * 50)
    response = client_for(site).get("/static/big.bin", headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 0-9999/10000"
    assert len(response.body) == 10000


def test_too_many_ranges_serve_the_whole_file(site: Path) -> None:
    (site / "static" / "big.bin").write_bytes(DIGITS * 100)
    header = "bytes=" + ",".join(f"{i * 100}-{i * 100 + 1}" for i in range(65))
    response = client_for(site).get("/static/big.bin", headers={"Range": header})
    assert response.status_code == 200
    assert len(response.body) == 10000


def test_many_tiny_ranges_never_make_the_response_twice_the_file_and_more(
    numbers: Client,
) -> None:
    header = "bytes=" + ",".join(f"{i}-{i}" for i in range(63))  # ~7 KB of part headers
    response = numbers.get("/static/digits.bin", headers={"Range": header})
    assert len(response.body) <= 2 * len(DIGITS) + byteranges.FRAMING_ALLOWANCE
    assert response.status_code == 200


def test_overlapping_ranges_of_a_small_file_are_sent_as_asked(site: Path) -> None:
    # COMPAT: as CherryPy, in the order asked, each part typed and ranged.
    (site / "static" / "page.html").write_bytes(b"Hello, world\r\n")
    response = client_for(site).get("/static/page.html", headers={"Range": "bytes=4-6,2-5"})
    assert response.status_code == 206
    assert parse_multipart(response) == [("bytes 4-6/14", b"o, "), ("bytes 2-5/14", b"llo,")]
    assert b"\r\nContent-type: text/html\r\n" in response.body


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=500-600", "bytes=100-,200-"])
def test_unsatisfiable_range_is_416_with_the_length(numbers: Client, header: str) -> None:
    response = numbers.get("/static/digits.bin", headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */100"


@pytest.mark.parametrize("header", ["bytes=5-3", "items=0-1", "bytes=a-b", "bytes=-", "bytes"])
def test_malformed_range_is_ignored(numbers: Client, header: str) -> None:
    response = numbers.get("/static/digits.bin", headers={"Range": header})
    assert response.status_code == 200
    assert response.body == DIGITS


def test_if_range_with_the_current_date_honours_the_range(numbers: Client) -> None:
    stamp = numbers.get("/static/digits.bin").headers["Last-Modified"]
    response = numbers.get("/static/digits.bin", headers={"Range": "bytes=0-1", "If-Range": stamp})
    assert (response.status_code, response.body) == (206, b"01")


@pytest.mark.parametrize("validator", ["Mon, 01 Jan 2001 00:00:00 GMT", '"some-etag"'])
def test_if_range_that_does_not_match_sends_the_whole_file(numbers: Client, validator: str) -> None:
    response = numbers.get(
        "/static/digits.bin", headers={"Range": "bytes=0-1", "If-Range": validator}
    )
    assert (response.status_code, response.body) == (200, DIGITS)


def test_range_is_ignored_on_head(numbers: Client) -> None:
    response = numbers.head("/static/digits.bin", headers={"Range": "bytes=0-1"})
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "100"


def test_if_unmodified_since_an_older_date_is_412(numbers: Client) -> None:
    response = numbers.get(
        "/static/digits.bin", headers={"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
    )
    assert response.status_code == 412


def test_content_types_option_overrides_the_guess(site: Path) -> None:
    client = client_for(site, **{"tools.staticdir.content_types": {"css": "text/x-mine"}})
    ctype = client.get("/static/app.css").headers["Content-Type"]
    assert ctype.startswith("text/x-mine")


def test_unknown_extension_is_octet_stream_not_html(site: Path) -> None:
    (site / "static" / "upload.zzz").write_text("<script>alert(1)</script>")
    response = client_for(site).get("/static/upload.zzz")
    assert response.headers["Content-Type"] == "application/octet-stream"


# -- hostile paths -------------------------------------------------------------------------
HOSTILE = [
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/%2E%2E/etc/passwd",
    "/static/..%2fsecret.txt",
    "/static/sub/..%2f..%2fsecret.txt",
    "/static/..\\secret.txt",
    "/static/%5c..%5csecret.txt",
    "/static/app.css%00.txt",
    "/static/%00",
    "/static//etc/passwd",
    "/static/" + "a" * 5000,
    "/static/link-out/secret.txt",
    "/static/escape",
]


@pytest.fixture
def hostile_site(site: Path) -> Path:
    (site / "static" / "link-out").symlink_to(site)
    (site / "static" / "escape").symlink_to(site / "secret.txt")
    return site


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_paths_never_500_and_never_leave_the_root(hostile_site: Path, path: str) -> None:
    response = client_for(hostile_site).get(path)
    assert response.status_code in (400, 403, 404), response.status
    assert response.body != b"no"


@pytest.mark.live
@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_paths_over_a_real_server(hostile_site: Path, path: str) -> None:
    import http.client

    from framework.process.server import serve_in_thread

    app = client_for(hostile_site).app
    with serve_in_thread(app) as url:
        port = int(url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.putrequest("GET", path.replace("\\", "%5c"), skip_accept_encoding=True)
            conn.endheaders()
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
    assert response.status in (400, 403, 404), (response.status, body[:200])
    assert body != b"no"


# -- serve_file, serve_fileobj, serve_download -------------------------------------------
class Files:
    def __init__(self, site: Path) -> None:
        self.site = site

    @framework.expose
    def download(self, name: str | None = None) -> Any:
        return static.serve_download(str(self.site / "static" / "app.css"), name)

    @framework.expose
    def fileobj(self) -> Any:
        return static.serve_fileobj(
            open(self.site / "static" / "app.css", "rb"), "text/css", "inline", "app.css"
        )

    @framework.expose
    def bytesio(self) -> Any:
        return static.serve_fileobj(io.BytesIO(b"in memory"), "text/plain")

    @framework.expose
    def stream(self) -> Any:
        return static.serve_fileobj(_Unseekable(b"from a pipe"), "text/plain")

    @framework.expose
    def relative(self) -> Any:
        return static.serve_file("static/app.css")

    @framework.expose
    def missing(self) -> Any:
        return static.serve_file(str(self.site / "nothing.txt"))


def test_serve_download_is_an_attachment(site: Path) -> None:
    response = Client(Files(site)).get("/download")
    assert response.headers["Content-Type"] == "application/x-download"
    assert response.headers["Content-Disposition"] == 'attachment; filename="app.css"'
    assert response.text == "body { color: red }"


def test_serve_download_with_a_non_ascii_name_uses_rfc6266(site: Path) -> None:
    response = Client(Files(site)).get("/download", params={"name": 'résumé "final".css'})
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="resume final.css"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.css"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain.txt", 'inline; filename="plain.txt"'),
        ('a"b.txt', "inline; filename=\"ab.txt\"; filename*=UTF-8''a%22b.txt"),
        (
            "a\r\nSet-Cookie: x=1",
            "inline; filename=\"aSet-Cookie: x=1\"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1",
        ),
    ],
)
def test_content_disposition_never_breaks_the_header(name: str, expected: str) -> None:
    assert static.content_disposition("inline", name) == expected


def test_serve_fileobj_with_a_real_file_has_length_and_ranges(site: Path) -> None:
    client = Client(Files(site))
    response = client.get("/fileobj", headers={"Range": "bytes=0-3"})
    assert response.status_code == 206
    assert response.body == b"body"
    assert response.headers["Content-Disposition"] == 'inline; filename="app.css"'


class _Unseekable(io.BytesIO):
    def seekable(self) -> bool:
        return False


def test_serve_fileobj_of_a_seekable_object_has_length_and_ranges(site: Path) -> None:
    client = Client(Files(site))
    whole = client.get("/bytesio")
    assert (whole.text, whole.headers["Content-Length"]) == ("in memory", "9")
    part = client.get("/bytesio", headers={"Range": "bytes=3-"})
    assert (part.status_code, part.body) == (206, b"memory")


def test_serve_fileobj_that_cannot_seek_is_streamed(site: Path) -> None:
    response = Client(Files(site)).get("/stream")
    assert response.text == "from a pipe"
    assert "Accept-Ranges" not in response.headers
    assert "Content-Length" not in response.headers


def test_a_streamed_file_body_keeps_its_file_reachable(site: Path) -> None:
    # CherryPy apps look at body.input (how far a streamed file has been read).
    class Big:
        @framework.expose
        def index(self) -> Any:
            body = static.serve_file(str(site / "static" / "app.css"))
            seen.append(body)
            return body

    seen: list[Any] = []
    assert Client(Big()).get("/").text == "body { color: red }"
    assert seen[0].input.name == str(site / "static" / "app.css")
    assert seen[0].input.closed


def test_serve_file_needs_an_absolute_path(site: Path) -> None:
    assert Client(Files(site)).get("/relative").status_code == 500


def test_serve_file_of_a_missing_file_is_404(site: Path) -> None:
    assert Client(Files(site)).get("/missing").status_code == 404


def test_large_files_are_streamed_in_chunks(site: Path) -> None:
    (site / "static" / "big.bin").write_bytes(b"x" * 300_000)
    app = client_for(site).app
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/static/big.bin", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(),
    }  # fmt: skip
    chunks = app(environ, lambda status, headers, exc_info=None: None)
    try:
        sizes = [len(chunk) for chunk in chunks]
    finally:
        chunks.close()
    assert sum(sizes) == 300_000
    assert max(sizes) <= 65536


def test_wsgi_file_wrapper_is_used_when_the_server_offers_one(site: Path) -> None:
    wrapped: list[Any] = []

    class Wrapper:
        def __init__(self, fileobj: Any, size: int) -> None:
            wrapped.append(fileobj)
            self.fileobj = fileobj

        def __iter__(self) -> Any:
            return self

        def __next__(self) -> bytes:
            chunk: bytes = self.fileobj.read(65536)
            if not chunk:
                raise StopIteration
            return chunk

        def close(self) -> None:
            self.fileobj.close()

    client = Client(client_for(site).app, environ_overrides={"wsgi.file_wrapper": Wrapper})
    assert client.get("/static/app.css").text == "body { color: red }"
    assert len(wrapped) == 1 and wrapped[0].closed


def test_staticdir_section_url_without_slash_redirects_to_its_index(site: Path) -> None:
    # COMPAT: as CherryPy, tools.trailing_slash (on by default) adds the slash.
    client = client_for(site, **{"tools.staticdir.index": "index.html"})
    (site / "static" / "index.html").write_text("<p>top</p>")
    response = client.get("/static?x=1")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/static/?x=1")
    assert client.get("/static/").text == "<p>top</p>"


def test_staticdir_subdirectory_index_is_served_as_cherrypy_serves_it(site: Path) -> None:
    # COMPAT: CherryPy marks only a URL ending in "/" (or the section's own) an index.
    client = client_for(site, **{"tools.staticdir.index": "index.html"})
    response = client.get("/static/sub")
    assert response.status_code == 200
    assert response.text == "<p>sub</p>"
