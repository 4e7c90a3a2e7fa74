"""Tests for framework.testing (the in-process client).

The applications below are small but real WSGI callables; every call goes through
wsgiref.validate inside the client, so they must be protocol-correct themselves.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import multipart
import pytest

import framework
from framework.core.tree import Tree
from framework.testing import Client, TestResponse, encode_multipart

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


from testing_apps import TEXT, ClosingBody, echo, echo_app, streaming_app

# --- environ ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("REQUEST_METHOD", "GET"),
        ("SCRIPT_NAME", ""),
        ("SERVER_NAME", "127.0.0.1"),
        ("SERVER_PORT", "80"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REMOTE_ADDR", "127.0.0.1"),
        ("HTTP_HOST", "127.0.0.1"),
        ("wsgi.url_scheme", "http"),
        ("QUERY_STRING", ""),
    ],
)
def test_environ_has_server_defaults(key: str, expected: str) -> None:
    assert echo(Client(echo_app))[key] == expected


def test_environ_has_a_numeric_remote_port() -> None:
    assert echo(Client(echo_app))["REMOTE_PORT"].isdigit()


def test_base_url_sets_scheme_host_and_port() -> None:
    environ = echo(Client(echo_app, base_url="https://example.test:8443"))
    assert (environ["wsgi.url_scheme"], environ["SERVER_NAME"], environ["SERVER_PORT"]) == (
        "https",
        "example.test",
        "8443",
    )
    assert environ["HTTP_HOST"] == "example.test:8443"


@pytest.mark.parametrize("base_url", ["ftp://127.0.0.1", "127.0.0.1", "http://"])
def test_base_url_must_be_http_with_a_host(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        Client(echo_app, base_url=base_url)


def test_environ_overrides_win() -> None:
    client = Client(echo_app, environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert echo(client)["REMOTE_ADDR"] == "10.1.2.3"


@pytest.mark.parametrize(
    ("path", "path_info", "request_uri"),
    [
        ("/plain", "/plain", "/plain"),
        ("/a b", "/a b", "/a%20b"),
        ("/caf\u00e9", "/caf\u00c3\u00a9", "/caf%C3%A9"),  # UTF-8 bytes seen as latin-1
        ("/caf%C3%A9", "/caf\u00c3\u00a9", "/caf%C3%A9"),
        ("/a%2Fb", "/a/b", "/a%2Fb"),
        ("/%zz", "/%zz", "/%zz"),  # malformed escapes pass through untouched
        ("relative", "/relative", "/relative"),
        ("", "/", "/"),
        ("/page#frag", "/page", "/page"),
    ],
)
def test_path_is_encoded_then_decoded_as_pep_3333_says(
    path: str, path_info: str, request_uri: str
) -> None:
    environ = echo(Client(echo_app), path)
    assert (environ["PATH_INFO"], environ["REQUEST_URI"]) == (path_info, request_uri)


@pytest.mark.parametrize(
    ("path", "params", "query"),
    [
        ("/?a=1", None, "a=1"),
        ("/", {"a": "1", "b": "x y"}, "a=1&b=x+y"),
        ("/?a=1", {"b": 2}, "a=1&b=2"),
        ("/", {"tag": ["x", "y"]}, "tag=x&tag=y"),
        ("/?q=caf\u00e9", None, "q=caf%C3%A9"),
        ("/?q=%41", None, "q=%41"),
    ],
)
def test_query_string_combines_path_and_params(
    path: str, params: dict[str, Any] | None, query: str
) -> None:
    assert echo(Client(echo_app), path, params=params)["QUERY_STRING"] == query


# --- request bodies --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "body", "content_type"),
    [
        ({"data": {"a": "1", "b": ["x", "y"]}}, "a=1&b=x&b=y", "application/x-www-form-urlencoded"),
        ({"data": b"\x00raw"}, "\x00raw", None),
        ({"data": "caf\u00e9"}, "caf\u00c3\u00a9", None),
        ({"json": {"k": [1, 2]}}, '{"k": [1, 2]}', "application/json"),
        ({"data": "x", "content_type": "text/csv"}, "x", "text/csv"),
    ],
)
def test_body_is_encoded_with_its_content_type(
    kwargs: dict[str, Any], body: str, content_type: str | None
) -> None:
    environ = echo(Client(echo_app), method="POST", **kwargs)
    assert environ["body"] == body
    assert environ["CONTENT_LENGTH"] == str(len(body.encode("latin-1")))
    assert environ.get("CONTENT_TYPE") == content_type


def test_get_without_body_sends_no_content_length() -> None:
    assert "CONTENT_LENGTH" not in echo(Client(echo_app))


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_body_methods_without_body_send_content_length_zero(method: str) -> None:
    assert echo(Client(echo_app), method=method)["CONTENT_LENGTH"] == "0"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": 1, "data": {"a": "1"}},
        {"json": 1, "files": {"f": ("a.txt", b"")}},
        {"data": "raw", "files": {"f": ("a.txt", b"")}},
    ],
)
def test_conflicting_body_keywords_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"files=|json="):
        Client(echo_app).post("/", **kwargs)


def multipart_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """Parse a multipart body with a real parser and describe what arrived."""
    forms, files = multipart.parse_form_data(environ, strict=True)
    described = {
        "forms": {name: forms.getall(name) for name in forms},
        "files": {
            name: [
                [part.filename, part.content_type, part.raw.decode()] for part in files.getall(name)
            ]
            for name in files
        },
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(described).encode()]


def test_files_are_sent_as_multipart_with_form_fields() -> None:
    response = Client(multipart_app).post(
        "/",
        data={"title": "caf\u00e9", "tags": ["a", "b"]},
        files={
            "doc": ("notes.txt", b"hello", "text/x-notes"),
            "pics": [("a.png", io.BytesIO(b"PNG1")), ("b.bin", b"BIN2")],
        },
    )
    assert response.json() == {
        "forms": {"title": ["caf\u00e9"], "tags": ["a", "b"]},
        "files": {
            "doc": [["notes.txt", "text/x-notes", "hello"]],
            "pics": [["a.png", "image/png", "PNG1"], ["b.bin", "application/octet-stream", "BIN2"]],
        },
    }


def test_multipart_body_uses_crlf_and_a_closing_boundary() -> None:
    body, content_type = encode_multipart({"a": "1"}, {})
    boundary = content_type.split("boundary=")[1]
    part = 'Content-Disposition: form-data; name="a"\r\n\r\n1'
    assert body == f"--{boundary}\r\n{part}\r\n--{boundary}--\r\n".encode()


def test_multipart_escapes_quotes_in_filenames() -> None:
    body, _ = encode_multipart({}, {"f": ('say "hi"\n.txt', b"", "text/plain")})
    assert b'filename="say %22hi%22%0A.txt"' in body


# --- request headers -------------------------------------------------------------------


def test_headers_become_http_environ_keys() -> None:
    environ = echo(Client(echo_app), headers={"X-Trace-Id": "abc", "Accept": "text/html"})
    assert (environ["HTTP_X_TRACE_ID"], environ["HTTP_ACCEPT"]) == ("abc", "text/html")


def test_content_headers_map_to_cgi_keys() -> None:
    environ = echo(
        Client(echo_app),
        method="POST",
        data=b"abc",
        headers=[("Content-Type", "text/plain"), ("Content-Length", "2")],
    )
    assert (environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"], environ["body"]) == (
        "text/plain",
        "2",
        "ab",
    )
    assert "HTTP_CONTENT_TYPE" not in environ


def test_repeated_headers_are_folded_with_commas() -> None:
    environ = echo(Client(echo_app), headers=[("Accept", "a/b"), ("Accept", "c/d")])
    assert environ["HTTP_ACCEPT"] == "a/b, c/d"


def test_host_header_overrides_the_default() -> None:
    assert echo(Client(echo_app), headers={"Host": "site.test"})["HTTP_HOST"] == "site.test"


# --- responses -------------------------------------------------------------------------


def headers_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """Answer 201 with a latin-1 body and a repeated header."""
    start_response(
        "201 Created",
        [("Content-Type", "text/plain; charset=latin-1"), ("X-Multi", "1"), ("x-multi", "2")],
    )
    return ["caf\u00e9".encode("latin-1")]


def test_response_exposes_status_and_code() -> None:
    response = Client(headers_app).get("/")
    assert (response.status, response.status_code) == ("201 Created", 201)


def test_response_headers_are_case_insensitive_and_keep_repeats() -> None:
    headers = Client(headers_app).get("/").headers
    assert headers["x-MULTI"] == "1"
    assert headers.get_all("X-Multi") == ["1", "2"]
    assert list(headers) == ["Content-Type", "X-Multi"]
    assert len(headers) == 2


def test_text_uses_the_charset_from_content_type() -> None:
    assert Client(headers_app).get("/").text == "caf\u00e9"


def test_missing_headers_raise_key_error_or_give_the_default() -> None:
    headers = Client(headers_app).get("/").headers
    with pytest.raises(KeyError):
        headers["Location"]
    assert headers.get("Location", "none") == "none"


def test_charset_is_found_among_other_parameters() -> None:
    content_type = 'text/plain; format=flowed; Charset="latin-1"'
    response = TestResponse("200 OK", [("Content-Type", content_type)], b"\xe9", url="x")
    assert response.text == "\u00e9"


def test_text_defaults_to_utf8() -> None:
    response = TestResponse("200 OK", TEXT, "caf\u00e9".encode(), url="http://x/")
    assert response.text == "caf\u00e9"


def test_assert_status_returns_the_response_when_it_matches() -> None:
    response = Client(headers_app).get("/")
    assert response.assert_status(201) is response


def test_assert_status_reports_status_and_body() -> None:
    with pytest.raises(AssertionError, match=r"expected status 200, got '201 Created'.*caf"):
        Client(headers_app).get("/").assert_status(200)


def test_body_written_through_write_and_iteration_is_joined() -> None:
    assert Client(streaming_app).get("/").body == b"one two three"


@pytest.mark.parametrize("fail", [False, True])
def test_response_iterable_is_always_closed(fail: bool) -> None:
    body = ClosingBody(fail)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> ClosingBody:
        start_response("200 OK", TEXT)
        return body

    if fail:
        with pytest.raises(RuntimeError, match="boom"):
            Client(app).get("/")
    else:
        assert Client(app).get("/").body == b"part"
    assert body.closed


def test_wsgi_errors_output_is_kept_on_the_response() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        environ["wsgi.errors"].write("something odd\n")
        start_response("200 OK", TEXT)
        return [b""]

    assert Client(app).get("/").errors == "something odd\n"


def test_head_returns_what_the_application_produced() -> None:
    response = Client(echo_app).head("/")
    assert response.json()["REQUEST_METHOD"] == "HEAD"


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "head", "options"])
def test_method_helpers_send_their_method(method: str) -> None:
    response = getattr(Client(echo_app), method)("/")
    assert response.json()["REQUEST_METHOD"] == method.upper()


# --- WSGI protocol checks --------------------------------------------------------------


def no_start_response_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    return []


def no_content_type_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [])
    return [b"x"]


def double_start_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", TEXT)
    start_response("500 Internal Server Error", TEXT)
    return [b""]


def str_body_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[str]:
    start_response("200 OK", TEXT)
    return ["not bytes"]


@pytest.mark.parametrize(
    "app", [no_start_response_app, no_content_type_app, double_start_app, str_body_app]
)
def test_protocol_violations_raise_assertion_errors(app: Any) -> None:
    with pytest.raises(AssertionError):
        Client(app).get("/")


def test_exc_info_before_the_body_replaces_the_status() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", TEXT)
        try:
            raise ValueError("late failure")
        except ValueError:
            start_response("500 Internal Server Error", TEXT, sys.exc_info())
        return [b"error page"]

    response = Client(app).get("/")
    assert (response.status_code, response.body) == (500, b"error page")


def test_exc_info_after_the_body_started_reraises() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        yield b"half"
        try:
            raise ValueError("too late")
        except ValueError:
            start_response("500 Internal Server Error", TEXT, sys.exc_info())

    with pytest.raises(ValueError, match="too late"):
        Client(app).get("/")


# --- what can be tested ----------------------------------------------------------------


def test_objects_that_are_neither_roots_nor_callables_are_refused() -> None:
    with pytest.raises(TypeError, match="root object"):
        Client(42)


def test_config_is_refused_for_plain_wsgi_callables() -> None:
    with pytest.raises(ValueError, match="config="):
        Client(echo_app, config={"/": {}})


# --- framework roots -------------------------------------------------------------------


class Root:
    @framework.expose
    def index(self) -> str:
        return "root index"

    @framework.expose
    def greet(self, name: str = "world") -> str:
        return f"hello {name}"

    @framework.expose
    def go(self) -> None:
        raise framework.HTTPRedirect("/greet?name=redirected")


@pytest.mark.parametrize("app", [Root, Root()], ids=["class", "instance"])
def test_roots_are_mounted_privately(app: object) -> None:
    before = dict(framework.tree.apps)
    assert Client(app).get("/").text == "root index"
    assert framework.tree.apps == before


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"params": {"name": "ann"}}, "hello ann"),
        ({"method": "POST", "data": {"name": "bob"}}, "hello bob"),
    ],
)
def test_root_handlers_receive_query_and_form_params(kwargs: dict[str, Any], expected: str) -> None:
    response = Client(Root).request(kwargs.pop("method", "GET"), "/greet", **kwargs)
    assert response.text == expected


def test_root_handlers_answer_404_for_unknown_paths() -> None:
    assert Client(Root).get("/nowhere").status_code == 404


def test_framework_redirects_can_be_followed() -> None:
    response = Client(Root).get("/go", follow_redirects=True)
    assert [r.headers["Location"] for r in response.history] == [
        "http://127.0.0.1/greet?name=redirected"
    ]
    assert response.text == "hello redirected"


def test_applications_are_used_as_they_are() -> None:
    app = framework.Application(Root(), "")
    assert Client(app).app is app


def test_trees_route_by_script_name() -> None:
    tree = Tree()
    tree.mount(Root(), "/shop")
    assert Client(tree).get("/shop/greet", params={"name": "cy"}).text == "hello cy"
