"""Limits and safe defaults of the framework itself, under any WSGI server.

Form field counts and sizes, JSON size and depth, the Cookie header in linear time,
only sane charsets, same-origin redirects and ``url()``, ``Host`` validation and
``request.allowed_hosts``, production error pages that never show input back, and
``wsgi.input`` failures mapped to 4xx.
"""

from __future__ import annotations

import io
import time
from typing import Any

import pytest

import framework
from framework.errors import HTTPRedirect
from framework.headers import cookie_pairs, sane_charset
from framework.lib.compression import decompress
from framework.testing import Client


class Root:
    @framework.expose
    def form(self, **params: Any) -> str:
        return str(len(params))

    @framework.expose
    @framework.tools.json_in(max_bytes=1000, max_depth=5)
    def doc(self) -> str:
        return repr(framework.request.json)

    @framework.expose
    def cookies(self) -> str:
        return ",".join(f"{k}={m.value}" for k, m in sorted(framework.request.cookie.items()))

    @framework.expose
    def go(self, to: str = "/") -> str:
        raise HTTPRedirect(to)

    @framework.expose
    def link(self, to: str = "/", relative: str = "") -> str:
        return framework.url(to, relative=relative or None)

    @framework.expose
    def count(self, n: str) -> str:
        return str(int(n))

    @framework.expose
    def body(self) -> bytes:
        return framework.request.body.read()


@pytest.fixture
def client() -> Client:
    return Client(Root())


# -- form limits --------------------------------------------------------------------------
def test_urlencoded_fields_over_the_limit_are_413_before_splitting(client: Client) -> None:
    began = time.monotonic()
    response = client.post(
        "/form", data=b"a&" * 500_000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert time.monotonic() - began < 1.0


def test_urlencoded_fields_up_to_the_limit_are_parsed(client: Client) -> None:
    body = "&".join(f"f{i}=x" for i in range(999))
    response = client.post("/form", data=body, content_type="application/x-www-form-urlencoded")
    assert response.text == "999"


def test_max_fields_is_configurable(client: Client) -> None:
    framework.config.update({"request.body.max_fields": 3})
    response = client.post("/form", data={"a": "1", "b": "2", "c": "3", "d": "4"})
    assert response.status_code == 413


def test_multipart_parts_over_the_limit_are_413(client: Client) -> None:
    framework.config.update({"request.body.max_fields": 5})
    files = {f"f{i}": ("x.txt", b"x") for i in range(6)}
    assert client.post("/form", files=files).status_code == 413


def test_a_multipart_text_field_over_max_field_size_is_413(client: Client) -> None:
    framework.config.update({"request.body.max_field_size": 100})
    ok = client.post("/form", files={"f": ("big.bin", b"x" * 1000)}, data={"t": "y" * 100})
    assert ok.status_code == 200  # files are not held in memory: only the body limit
    assert client.post("/form", files={"f": ("a", b"x")}, data={"t": "y" * 101}).status_code == 413


# -- JSON -------------------------------------------------------------------------------
def test_json_over_max_bytes_is_413(client: Client) -> None:
    assert client.post("/doc", json=["x" * 2000]).status_code == 413


def test_json_nested_deeper_than_max_depth_is_400(client: Client) -> None:
    assert client.post("/doc", json=[[[[[1]]]]]).text == "[[[[[1]]]]]"
    assert client.post("/doc", json=[[[[[[1]]]]]]).status_code == 400


def test_brackets_inside_json_strings_do_not_count(client: Client) -> None:
    assert client.post("/doc", json=["[[[[[[[[[[{{{{"]).status_code == 200


def test_very_deep_json_is_400_not_500_with_the_default_limit() -> None:
    class Deep:
        @framework.expose
        @framework.tools.json_in()
        def index(self) -> str:
            return "parsed"

    body = b"[" * 100_000 + b"]" * 100_000
    response = Client(Deep()).post("/", data=body, content_type="application/json")
    assert response.status_code in (400, 413)


# -- cookies ------------------------------------------------------------------------------
def test_a_huge_cookie_header_parses_in_linear_time(client: Client) -> None:
    header = "a=" + "b" * 60_000 + "; " + "x" * 30_000 + "; =;" * 5000 + "; c=1"
    began = time.monotonic()
    response = client.get("/cookies", headers={"Cookie": header})
    assert time.monotonic() - began < 1.0
    assert response.status_code == 200


def test_cookie_pairs_are_capped() -> None:
    assert len(cookie_pairs("; ".join(f"c{i}=v" for i in range(1000)))) == 300


def test_malformed_cookie_pairs_are_skipped(client: Client) -> None:
    header = 'a=1; junk; b c=2; $Path=/; q="open; d=\x01; e="x y"'
    assert client.get("/cookies", headers={"Cookie": header}).text == "a=1,e=x y"


# -- charsets -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["utf-7", "unicode_escape", "raw_unicode_escape", "punycode", "idna", "iso-2022-jp", "nope"],
)
def test_insane_charsets_are_not_honoured(name: str) -> None:
    assert sane_charset(name) is None


@pytest.mark.parametrize("name", ["UTF-8", "latin-1", "windows-1252", "shift_jis", '"utf-16"'])
def test_sane_charsets(name: str) -> None:
    assert sane_charset(name) is not None


def test_a_body_declaring_utf_7_is_decoded_with_the_configured_charsets(client: Client) -> None:
    # "+ADw-" is "<" in UTF-7: honoured, it would smuggle markup past filters.
    response = client.post(
        "/form", data=b"a=%2BADw-", content_type="application/x-www-form-urlencoded; charset=utf-7"
    )
    assert response.status_code == 200


def test_accept_charset_never_selects_utf_7() -> None:
    class Text:
        @framework.expose
        def index(self) -> str:
            return "<p>"

    framework.config.update({"tools.encode.encoding": None})
    response = Client(Text()).get("/", headers={"Accept-Charset": "utf-7, utf-8;q=0.1"})
    assert "utf-7" not in response.headers["Content-Type"]


def test_decompress_refuses_a_gzip_bomb() -> None:
    import gzip

    bomb = gzip.compress(b"\0" * 10_000_000)
    with pytest.raises(ValueError):
        decompress(bomb, max_size=1_000_000)
    assert decompress(gzip.compress(b"ok")) == b"ok"


# -- redirects and url() ------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "//evil.test/",
        "http://evil.test/",
        "https://evil.test",
        "/\t/evil.test",
        "http://127.0.0.1@evil.test/",
        "http://evil.test\\@127.0.0.1/",
        "javascript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>",
        "//[",  # urljoin raises on it (found by the property tests): 400, not 500
    ],
)
def test_redirects_never_leave_the_site(client: Client, target: str) -> None:
    response = client.get("/go", params={"to": target})
    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/a", "http://127.0.0.1/a"),
        ("a", "http://127.0.0.1/a"),
        ("/\\evil.test", "http://127.0.0.1//evil.test"),
        ("https://127.0.0.1/secure", "https://127.0.0.1/secure"),
        ("/x%0d%0aSet-Cookie:%20a=b", "http://127.0.0.1/x%0d%0aSet-Cookie:%20a=b"),
    ],
)
def test_same_host_redirects_are_absolute(client: Client, target: str, location: str) -> None:
    response = client.get("/go", params={"to": target})
    assert response.headers["Location"] == location
    assert "Set-Cookie" not in response.headers


def test_allowed_hosts_open_redirects_to_those_hosts(client: Client) -> None:
    framework.config.update({"request.allowed_hosts": ["127.0.0.1", ".example.test"]})
    response = client.get("/go", params={"to": "https://login.example.test/x"})
    assert response.headers["Location"] == "https://login.example.test/x"
    assert client.get("/go", params={"to": "https://evil.test/"}).status_code == 400


def test_allowed_hosts_refuse_an_unexpected_host(client: Client) -> None:
    framework.config.update({"request.allowed_hosts": ["example.test"]})
    assert client.get("/count?n=1", headers={"Host": "example.test:8080"}).status_code == 200
    assert client.get("/count?n=1", headers={"Host": "evil.test"}).status_code == 400


@pytest.mark.parametrize("host", ["evil.test/x", "a@evil.test", "a b", "a\\b"])
def test_a_malformed_host_is_400(client: Client, host: str) -> None:
    assert client.get("/count?n=1", headers={"Host": host}).status_code == 400


@pytest.mark.parametrize("path", ["//evil.test/x", "/\\evil.test"])
def test_server_relative_urls_never_name_a_host(client: Client, path: str) -> None:
    link = client.get("/link", params={"to": path, "relative": "server"}).text
    assert not link.startswith("//") and not link.startswith("/\\")


# -- error pages in production --------------------------------------------------------------
def test_production_pages_never_show_the_path(client: Client) -> None:
    framework.config.update({"environment": "production"})
    page = client.get("/<script>nope").text
    assert "nope" not in page and "Traceback" not in page


def test_production_pages_never_show_a_bad_value(client: Client) -> None:
    class Typed:
        @framework.expose
        @framework.tools.params()
        def index(self, n: int) -> str:
            return str(n)

    framework.config.update({"environment": "production"})
    page = Client(Typed()).get("/?n=secret-input")
    assert page.status_code in (400, 404) and "secret-input" not in page.text


def test_production_pages_never_show_a_body_parser_message(client: Client) -> None:
    framework.config.update({"environment": "production"})
    body = b"--b\r\nContent-Disposition: form-data; name=secret-input\r\n\r\nx"  # cut short
    page = client.post("/form", data=body, content_type="multipart/form-data; boundary=b")
    assert page.status_code == 400
    assert "secret-input" not in page.text and "Malformed" not in page.text


def test_development_pages_do_show_the_path(client: Client) -> None:
    assert "nope" in client.get("/nope").text


def test_production_500_has_no_traceback_or_message(client: Client) -> None:
    framework.config.update({"environment": "production"})
    page = client.get("/count?n=not-a-number")
    assert page.status_code in (404, 500)
    assert "Traceback" not in page.text and "not-a-number" not in page.text


# -- wsgi.input failures under any server ----------------------------------------------------
class _Failing(io.RawIOBase):
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def read(self, size: int = -1) -> bytes:
        raise self.exc

    def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        raise self.exc


@pytest.mark.parametrize(("exc", "status"), [(TimeoutError(), 408), (ConnectionResetError(), 400)])
def test_a_failing_wsgi_input_is_4xx(exc: BaseException, status: int) -> None:
    from conftest import base_environ, run_wsgi

    app = framework.tree.mount(Root(), "")
    environ = base_environ("POST", "/body")
    environ["CONTENT_LENGTH"] = "10"
    environ["wsgi.input"] = _Failing(exc)
    status_line, _, _ = run_wsgi(app, environ)
    assert status_line.startswith(str(status))
