"""Specification of ``framework.response``: status, headers, cookies and bodies.

Handlers set the response through the ``framework.response`` proxy or by returning a
body; the tests read what reached the client through ``framework.testing.Client``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.core.response import Response, file_generator, http_date
from framework.testing import Client, TestResponse

Page = Callable[[], Any]


def serve(page: Page, method: str = "GET", **kwargs: Any) -> TestResponse:
    """Serve ``page`` as ``/`` of a fresh app and return the client's response."""

    class Root:
        @framework.expose
        def index(self) -> Any:
            return page()

    config = kwargs.pop("config", None)
    return Client(Root(), config=config).request(method, "/", **kwargs)


# -- status ---------------------------------------------------------------------------
def test_default_status_is_200_ok() -> None:
    assert serve(lambda: "x").status == "200 OK"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (201, "201 Created"),
        ("202", "202 Accepted"),
        ("299 Custom Reason", "299 Custom Reason"),
        (418, "418 I'm a Teapot"),
    ],
)
def test_status_set_by_the_handler_is_sent(status: Any, expected: str) -> None:
    def page() -> str:
        framework.response.status = status
        return "x"

    assert serve(page).status.lower() == expected.lower()


@pytest.mark.parametrize("status", ["abc", 99, 600, "1000 Big"])
def test_invalid_status_is_a_500(status: Any) -> None:
    def page() -> str:
        framework.response.status = status
        return "x"

    assert serve(page).status_code == 500


def test_an_invalid_status_names_itself_in_production_too() -> None:
    # The status is the application's value, not the request's (COMPAT: as CherryPy).
    def page() -> str:
        framework.response.status = "ZOO OK"
        return "x"

    response = serve(page, config={"/": {"request.show_tracebacks": False}})
    assert response.status_code == 500
    assert "Illegal response status from server ('ZOO' is non-numeric)." in response.text


@pytest.mark.parametrize("status", [204, 304])
def test_bodiless_status_drops_body_and_content_length(status: int) -> None:
    def page() -> str:
        framework.response.status = status
        return "ignored"

    response = serve(page)
    assert (response.body, "Content-Length" in response.headers) == (b"", False)


def test_response_status_is_normalized_after_finalize() -> None:
    seen: list[str] = []

    def record() -> None:
        seen.append(framework.response.status)

    def page() -> str:
        framework.response.status = 201
        return "x"

    serve(page, config={"/": {"hooks.on_end_resource": record}})
    assert seen == ["201 Created"]


# -- headers ----------------------------------------------------------------------------
def test_default_content_type_is_html_utf8() -> None:
    assert serve(lambda: "x").headers["Content-Type"] == "text/html;charset=utf-8"


def test_default_headers_include_server_and_date() -> None:
    headers = serve(lambda: "x").headers
    assert headers["Server"] == "Cherry"
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", headers["Date"])


@pytest.mark.parametrize("name", ["x-custom", "X-Custom", "X-CUSTOM"])
def test_headers_set_in_any_case_are_sent_once(name: str) -> None:
    def page() -> str:
        framework.response.headers["X-Custom"] = "old"
        framework.response.headers[name] = "new"
        return "x"

    assert serve(page).headers.get_all("x-custom") == ["new"]


@pytest.mark.parametrize(
    ("name", "sent"), [("X-QA", "X-QA"), ("x-qa", "X-Qa"), ("WWW-Authenticate", "WWW-Authenticate")]
)
def test_a_header_name_goes_on_the_wire_as_the_handler_spelled_it(name: str, sent: str) -> None:
    def page() -> str:
        framework.response.headers[name] = "yes"
        return "x"

    raw = serve(page).headers.raw
    assert (sent, "yes") in raw


def test_a_header_name_from_config_keeps_its_spelling() -> None:
    response = serve(lambda: "x", config={"/": {"response.headers.X-QA": "1"}})
    assert ("X-QA", "1") in response.headers.raw


def test_header_can_be_deleted() -> None:
    def page() -> str:
        del framework.response.headers["server"]
        return "x"

    assert "Server" not in serve(page).headers


def test_content_length_is_computed_for_a_fixed_body() -> None:
    assert serve(lambda: "héllo").headers["Content-Length"] == str(len("héllo".encode()))


def test_content_type_set_by_handler_is_kept() -> None:
    def page() -> bytes:
        framework.response.headers["Content-Type"] = "application/octet-stream"
        return b"\x00"

    assert serve(page).headers["Content-Type"] == "application/octet-stream"


def test_response_headers_config_namespace_sets_headers() -> None:
    response = serve(lambda: "x", config={"/": {"response.headers.X-Frame-Options": "DENY"}})
    assert response.headers["X-Frame-Options"] == "DENY"


def test_response_config_namespace_sets_attributes() -> None:
    def page() -> Iterator[bytes]:
        yield b"a"

    response = serve(page, config={"/": {"response.stream": True}})
    assert (response.body, "Content-Length" in response.headers) == (b"a", False)


# -- cookies ----------------------------------------------------------------------------
def test_cookie_is_sent_as_set_cookie() -> None:
    def page() -> str:
        framework.response.cookie["sid"] = "abc"
        framework.response.cookie["sid"]["path"] = "/"
        framework.response.cookie["sid"]["max-age"] = 60
        return "x"

    assert serve(page).headers.get_all("Set-Cookie") == ["sid=abc; Max-Age=60; Path=/"]


def test_each_cookie_gets_its_own_set_cookie_header() -> None:
    def page() -> str:
        framework.response.cookie["a"] = "1"
        framework.response.cookie["b"] = "2"
        return "x"

    assert sorted(serve(page).headers.get_all("Set-Cookie")) == ["a=1", "b=2"]


def test_no_set_cookie_without_cookies() -> None:
    assert serve(lambda: "x").headers.get_all("Set-Cookie") == []


def test_cookie_can_be_replaced_by_a_new_simplecookie() -> None:
    from http.cookies import SimpleCookie

    def page() -> str:
        jar: SimpleCookie = SimpleCookie()
        jar["z"] = "9"
        framework.response.cookie = jar
        return "x"

    assert serve(page).headers.get_all("Set-Cookie") == ["z=9"]


def _morsel(name: str, value: str, made: list[str]) -> Callable[[], Any]:
    from http.cookies import Morsel

    def make() -> Morsel[str]:
        made.append(name)
        morsel: Morsel[str] = Morsel()
        morsel.set(name, value, value)
        return morsel

    return make


def test_a_preset_cookie_is_sent_as_formatted_when_nobody_reads_the_cookies() -> None:
    made: list[str] = []

    def page() -> str:
        framework.response.preset_cookie("s", "s=1; Path=/", _morsel("s", "1", made))
        assert framework.response.sets_cookies
        return "x"

    assert serve(page).headers.get_all("Set-Cookie") == ["s=1; Path=/"]
    assert made == []  # no Morsel was needed


def test_reading_the_cookies_turns_preset_cookies_into_morsels() -> None:
    made: list[str] = []

    def page() -> str:
        framework.response.preset_cookie("s", "s=1; Path=/", _morsel("s", "1", made))
        framework.response.cookie["s"]["path"] = "/app"  # the Morsel is changed and sent
        framework.response.cookie["t"] = "2"
        return "x"

    assert sorted(serve(page).headers.get_all("Set-Cookie")) == ["s=1; Path=/app", "t=2"]
    assert made == ["s"]


def test_a_cookie_preset_after_the_cookies_were_read_is_a_morsel_at_once() -> None:
    made: list[str] = []

    def page() -> str:
        framework.response.cookie["t"] = "2"
        framework.response.preset_cookie("s", "ignored", _morsel("s", "1", made))
        assert made == ["s"]
        return "x"

    assert sorted(serve(page).headers.get_all("Set-Cookie")) == ["s=1", "t=2"]


def test_a_new_simplecookie_replaces_preset_cookies() -> None:
    from http.cookies import SimpleCookie

    def page() -> str:
        framework.response.preset_cookie("s", "s=1", _morsel("s", "1", []))
        framework.response.cookie = SimpleCookie()
        assert not framework.response.sets_cookies
        return "x"

    assert serve(page).headers.get_all("Set-Cookie") == []


# -- bodies -----------------------------------------------------------------------------
def _gen() -> Iterator[str]:
    yield "ab"
    yield "cd"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text é", "text é".encode()),
        (b"\x00bytes", b"\x00bytes"),
        (["a", "b"], b"ab"),
        ([b"a", b"b"], b"ab"),
        (["a", b"b"], b"ab"),
        ((c for c in ("x", "y")), b"xy"),
        (("t", "u"), b"tu"),
        (None, b""),
        (42, b"42"),
    ],
    ids=["str", "bytes", "list-str", "list-bytes", "list-mixed", "genexpr", "tuple", "none", "int"],
)
def test_body_types_are_sent_as_bytes(value: Any, expected: bytes) -> None:
    response = serve(lambda: value)
    assert (response.body, response.headers["Content-Length"]) == (expected, str(len(expected)))


def test_generator_handler_body_is_collapsed_with_content_length() -> None:
    response = serve(_gen)
    assert (response.body, response.headers["Content-Length"]) == (b"abcd", "4")


def test_file_body_is_sent_and_closed(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"file content" * 10000)
    opened: list[Any] = []

    def page() -> Any:
        fileobj = path.open("rb")
        opened.append(fileobj)
        return fileobj

    response = serve(page)
    assert (response.body, opened[0].closed) == (path.read_bytes(), True)


def test_handler_return_value_replaces_body_set_on_response() -> None:
    def page() -> None:
        framework.response.body = "from attribute"

    # COMPAT: as in CherryPy, the handler's return value replaces response.body.
    assert serve(page).body == b""


def test_body_can_be_set_after_the_handler_by_a_hook() -> None:
    def replace() -> None:
        framework.response.body = b"replaced"

    response = serve(lambda: "orig", config={"/": {"hooks.before_finalize": replace}})
    assert response.body == b"replaced"


def test_head_sends_no_body_but_the_get_content_length() -> None:
    response = serve(lambda: "twelve bytes", method="HEAD")
    assert (response.body, response.headers["Content-Length"]) == (b"", "12")


# -- streaming --------------------------------------------------------------------------
def test_streamed_generator_is_sent_without_content_length() -> None:
    def page() -> Iterator[str]:
        framework.response.stream = True
        return _gen()

    response = serve(page)
    assert (response.body, "Content-Length" in response.headers) == (b"abcd", False)


def test_streamed_body_keeps_an_explicit_content_length() -> None:
    def page() -> Iterator[str]:
        framework.response.stream = True
        framework.response.headers["Content-Length"] = "4"
        return _gen()

    assert serve(page).headers["Content-Length"] == "4"


def test_streamed_chunks_are_produced_lazily() -> None:
    produced: list[str] = []

    def page() -> Iterator[bytes]:
        framework.response.stream = True

        def chunks() -> Iterator[bytes]:
            for name in ("a", "b"):
                produced.append(name)
                yield name.encode()

        return chunks()

    class Root:
        index = staticmethod(framework.expose(page))

    app = framework.Application(Root())
    from wsgiref.validate import validator

    environ = _environ()
    result = iter(validator(app)(environ, lambda s, h, e=None: None))
    assert produced == []
    assert next(result) == b"a"
    assert produced == ["a"]
    result.close()  # type: ignore[attr-defined]


def test_error_while_streaming_reaches_the_server_and_is_logged(
    error_records: list[Any],
) -> None:
    # The server must see the failure so it cuts the connection: ending the iteration
    # quietly would frame a truncated body as a complete response.
    def page() -> Iterator[bytes]:
        framework.response.stream = True

        def chunks() -> Iterator[bytes]:
            yield b"first"
            raise RuntimeError("stream broke")

        return chunks()

    with pytest.raises(RuntimeError, match="stream broke"):
        serve(page)
    assert any("streaming" in r.getMessage() and r.exc_info for r in error_records)


# -- the Response object ------------------------------------------------------------------
def test_http_date_formats_rfc_7231() -> None:
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_http_date_defaults_to_now() -> None:
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", http_date())


def test_file_generator_yields_chunks_and_closes() -> None:
    import io

    fileobj = io.BytesIO(b"abcde")
    assert (list(file_generator(fileobj, 2)), fileobj.closed) == ([b"ab", b"cd", b"e"], True)


def test_collapse_body_joins_and_keeps_the_result() -> None:
    response = Response()
    response.body = ["a", b"b"]
    assert (response.collapse_body(), response.body) == (b"ab", [b"ab"])


def test_iter_body_encodes_text_chunks() -> None:
    response = Response()
    response.body = ["é", b"x"]
    assert list(response.iter_body()) == ["é".encode(), b"x"]


def test_repr_shows_status() -> None:
    assert repr(Response()) == "<Response 200 OK>"


def _environ() -> dict[str, Any]:
    import io

    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def test_streamed_list_body_is_sent() -> None:
    def page() -> list[bytes]:
        framework.response.stream = True
        return [b"x", b"y"]

    assert serve(page).body == b"xy"


def test_text_with_explicit_content_length_and_encode_off_is_sent_as_utf8() -> None:
    def page() -> str:
        framework.response.headers["Content-Length"] = "2"
        return "é"

    assert serve(page, config={"/": {"tools.encode.on": False}}).body == "é".encode()


@pytest.mark.parametrize("status", [204, 304])
def test_bodiless_status_sends_no_content_type(status: int) -> None:
    def page() -> None:
        framework.response.status = status

    assert "Content-Type" not in serve(page).headers


def test_headers_appended_after_finalize_may_be_bytes() -> None:
    # COMPAT: CherryPy tools append bytes pairs to header_list at on_end_resource.
    def append() -> None:
        framework.response.header_list.extend(
            [(b"WWW-Authenticate", b"Negotiate"), ("WWW-Authenticate", 'Basic realm="x"')]
        )

    class Root:
        @framework.expose
        def index(self) -> str:
            return "ok"

    client = Client(Root(), config={"/": {"hooks.on_end_resource": append}})
    response = client.get("/")
    assert response.headers.get_all("WWW-Authenticate") == ["Negotiate", 'Basic realm="x"']


@pytest.mark.parametrize(("entry", "named"), [((2, "3"), "key 2"), (("X-Bad", 3), "value 3")])
def test_a_header_entry_neither_text_nor_bytes_is_a_500_naming_it(
    entry: tuple[Any, Any], named: str
) -> None:
    # COMPAT: CherryPy answers 500 with the TypeError naming the entry a tool appended.
    def append() -> None:
        framework.response.header_list.append(entry)

    class Root:
        @framework.expose
        def index(self) -> str:
            return "ok"

    config = {"/": {"hooks.on_end_resource": append, "request.show_tracebacks": True}}
    response = Client(Root(), config=config).get("/")
    assert response.status == "500 Internal Server Error"
    assert f"TypeError: response.header_list {named} is not a byte string.".encode() in (
        response.body
    )
    assert response.headers["Content-Length"] == str(len(response.body))


def test_a_body_wrapped_after_content_length_was_set_is_sent_as_produced() -> None:
    def page() -> str:
        framework.response.headers["Content-Length"] = "5"
        return "hello"

    def wrap() -> None:
        body = framework.response.body
        framework.response.body = (chunk for chunk in body)  # a generator now

    response = serve(page, config={"/": {"hooks.before_finalize": wrap}})
    assert (response.status_code, response.body) == (200, b"hello")
