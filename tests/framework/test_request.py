"""Specification of ``framework.request`` as handlers and tools see it.

Every request goes in process through ``framework.testing.Client`` (and so through
``wsgiref.validate``). The handlers below report what they read from the request;
the tests assert on that report.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.validate import validator

import pytest

import framework
from framework.body import Part
from framework.context import OutsideRequestError, serving
from framework.core.plan import Plan
from framework.hooks import HookMap
from framework.httputil import Host
from framework.testing import Client

Probe = Callable[[Any], Any]


class Root:
    """``/probe/...`` evaluates the probe of the test on the current request."""

    def __init__(self) -> None:
        self.check: Probe = lambda request: None
        self.seen: list[Any] = []

    @framework.expose
    def index(self, *args: str, **kwargs: Any) -> str:
        self.seen.append(self.check(serving.request))
        return "ok"

    @framework.expose
    def probe(self, *args: str, **kwargs: Any) -> str:
        self.seen.append(self.check(serving.request))
        return "ok"


def ask(probe: Probe, method: str = "GET", path: str = "/probe", **kwargs: Any) -> Any:
    """Send one request to a fresh app; return what ``probe(request)`` returned."""
    root = Root()
    root.check = probe
    client_kwargs = {
        key: kwargs.pop(key) for key in ("base_url", "environ_overrides", "config") if key in kwargs
    }
    Client(root, **client_kwargs).request(method, path, **kwargs).assert_status(200)
    assert len(root.seen) == 1
    return root.seen[0]


# -- request line --------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_method_is_the_http_verb(method: str) -> None:
    assert ask(lambda r: r.method, method=method) == method


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/probe", "/probe"), ("/probe/a/b", "/probe/a/b"), ("/", "/"), ("/probe/%C3%A9", "/probe/é")],
)
def test_path_info_is_the_decoded_path_below_the_mount_point(path: str, expected: str) -> None:
    assert ask(lambda r: r.path_info, path=path) == expected


def test_script_name_and_path_info_split_at_the_mount_point() -> None:
    root = Root()
    root.check = lambda r: (r.script_name, r.path_info)
    framework.tree.mount(root, "/shop")
    Client(framework.tree).get("/shop/probe/x").assert_status(200)
    assert root.seen == [("/shop", "/probe/x")]


def test_query_string_is_raw() -> None:
    assert ask(lambda r: r.query_string, path="/probe?a=1&b=%20x") == "a=1&b=%20x"


def test_qs_is_the_parsed_query_string() -> None:
    assert ask(lambda r: r.qs, path="/probe?a=1&a=2&b=x") == {"a": ["1", "2"], "b": "x"}


def test_request_line_names_method_uri_and_protocol() -> None:
    assert ask(lambda r: r.request_line, path="/probe?x=1") == "GET /probe?x=1 HTTP/1.1"


# -- params ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a=1", {"a": "1"}),
        ("a=1&a=2", {"a": ["1", "2"]}),
        ("a=&b=x%20y", {"a": "", "b": "x y"}),
        ("", {}),
    ],
)
def test_params_come_from_the_query_string(query: str, expected: dict[str, Any]) -> None:
    assert ask(lambda r: dict(r.params), path=f"/probe?{query}") == expected


def test_params_include_urlencoded_body_fields() -> None:
    got = ask(lambda r: dict(r.params), method="POST", path="/probe?q=1", data={"f": "2"})
    assert got == {"q": "1", "f": "2"}


def test_params_are_passed_to_the_handler_as_keywords() -> None:
    class Echo:
        @framework.expose
        def index(self, name: str, n: str = "0") -> str:
            return f"{name}:{n}"

    assert Client(Echo()).get("/?name=ann&n=3").text == "ann:3"


# -- headers and cookies ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["X-Token", "x-token", "X-TOKEN", "x-ToKeN"])
def test_headers_are_case_insensitive(name: str) -> None:
    assert ask(lambda r: r.headers[name], headers={"X-Token": "abc"}) == "abc"


def test_headers_include_content_type_and_length() -> None:
    got = ask(
        lambda r: (r.headers["content-type"], r.headers["CONTENT-LENGTH"]),
        method="POST",
        data=b"xyz",
        content_type="text/plain",
    )
    assert got == ("text/plain", "3")


def test_rfc2047_encoded_header_values_are_decoded() -> None:
    got = ask(lambda r: r.headers["If-Match"], headers={"If-Match": "=?utf-8?q?f=C3=BCr?="})
    assert got == "f\xfcr"


def test_a_path_that_is_not_utf8_is_read_as_latin1() -> None:
    class Catch:
        @framework.expose
        def default(self, *segments: str) -> str:
            return repr(segments)

    # PEP 3333: the server hands the path over as Latin-1; b"\xe9" alone is not UTF-8.
    environ = {"PATH_INFO": "/caf\xe9"}
    response = Client(Catch(), environ_overrides=environ).get("/ignored")
    assert response.text == repr(("caf\xe9",))


def test_query_string_encoding_is_configurable() -> None:
    got = ask(
        lambda r: dict(r.params),
        path="/probe?Gruy%E8re=Bulgn%e9ville",
        config={"/": {"request.query_string_encoding": "latin-1"}},
    )
    assert got == {"Gruy\xe8re": "Bulgn\xe9ville"}


def test_unique_id_is_one_uuid4_per_request() -> None:
    first = ask(lambda r: (r.unique_id, r.unique_id))
    second = ask(lambda r: r.unique_id)
    assert first[0] == first[1] != second
    assert uuid.UUID(first[0]).version == 4


def test_missing_header_get_returns_default() -> None:
    assert ask(lambda r: r.headers.get("X-Absent", "none")) == "none"


def test_header_list_holds_name_value_pairs() -> None:
    assert ("X-One", "1") in ask(lambda r: r.header_list, headers={"X-One": "1"})


def test_cookie_holds_the_cookies_sent() -> None:
    got = ask(lambda r: {k: m.value for k, m in r.cookie.items()}, headers={"Cookie": "a=1; b=2"})
    assert got == {"a": "1", "b": "2"}


def test_cookie_is_empty_without_a_cookie_header() -> None:
    assert len(ask(lambda r: r.cookie)) == 0


def test_cookie_set_by_response_comes_back_on_the_next_request() -> None:
    class Counter:
        @framework.expose
        def index(self) -> str:
            old = framework.request.cookie.get("n")
            count = int(old.value) + 1 if old is not None else 1
            framework.response.cookie["n"] = str(count)
            return str(count)

    client = Client(Counter())
    assert [client.get("/").text for _ in range(3)] == ["1", "2", "3"]


# -- body -----------------------------------------------------------------------------
def test_body_read_returns_the_raw_body() -> None:
    got = ask(lambda r: r.body.read(), method="POST", data=b"\x00raw\xff", content_type="x/y")
    assert got == b"\x00raw\xff"


def test_body_read_in_pieces() -> None:
    got = ask(
        lambda r: (r.body.read(2), r.body.read()), method="PUT", data=b"abcdef", content_type="x/y"
    )
    assert got == (b"ab", b"cdef")


def test_body_params_hold_only_body_fields() -> None:
    got = ask(lambda r: r.body.params, method="POST", path="/probe?q=1", data={"f": ["2", "3"]})
    assert got == {"f": ["2", "3"]}


def test_body_is_not_processed_for_get() -> None:
    assert ask(lambda r: r.body.params, method="GET", path="/probe?q=1") == {}


def test_body_is_not_processed_when_process_request_body_is_off() -> None:
    got = ask(
        lambda r: (dict(r.params), r.body.read()),
        method="POST",
        data={"f": "1"},
        config={"/": {"request.process_request_body": False}},
    )
    assert got == ({}, b"f=1")


def test_multipart_file_part_has_file_filename_and_content_type() -> None:
    def probe(request: Any) -> Any:
        part = request.params["upload"]
        return (
            type(part),
            part.filename,
            str(part.content_type),
            part.file.read(),
            request.params["title"],
        )

    got = ask(
        probe,
        method="POST",
        data={"title": "holiday"},
        files={"upload": ("pic.png", b"\x89PNG data", "image/png")},
    )
    assert got == (Part, "pic.png", "image/png", b"\x89PNG data", "holiday")


def test_large_upload_is_spooled_to_a_disk_file() -> None:
    data = b"0123456789abcdef" * 16384  # 256 KiB

    def probe(request: Any) -> Any:
        part = request.body.params["upload"]
        return isinstance(part.file, io.BytesIO), part.file.fileno() >= 0, part.file.read()

    got = ask(probe, method="POST", files={"upload": ("big.bin", data)})
    assert got == (False, True, data)


def test_upload_files_are_closed_after_the_request() -> None:
    got = ask(
        lambda r: r.params["upload"],
        method="POST",
        files={"upload": ("big.bin", b"x" * 200_000)},
    )
    assert got.file.closed


# -- connection -----------------------------------------------------------------------
def test_remote_is_client_ip_and_port() -> None:
    remote = ask(lambda r: r.remote)
    assert (isinstance(remote, Host), remote.ip, remote.port) == (True, "127.0.0.1", 54321)


def test_remote_port_is_minus_one_when_unknown() -> None:
    assert ask(lambda r: r.remote.port, environ_overrides={"REMOTE_PORT": ""}) == -1


def test_local_is_server_address_and_port() -> None:
    local = ask(
        lambda r: r.local,
        base_url="http://example.org:8080",
        environ_overrides={"SERVER_ADDR": "10.0.0.1"},
    )
    assert (local.ip, local.port, local.name) == ("10.0.0.1", 8080, "example.org")


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://127.0.0.1", "http://127.0.0.1"),
        ("http://example.org:8080", "http://example.org:8080"),
        ("https://example.org", "https://example.org"),
    ],
)
def test_base_is_scheme_and_host(base_url: str, expected: str) -> None:
    assert ask(lambda r: r.base, base_url=base_url) == expected


@pytest.mark.parametrize(
    ("scheme", "port", "expected"),
    [
        ("http", "80", "http://h.example"),
        ("http", "8080", "http://h.example:8080"),
        ("https", "443", "https://h.example"),
        ("https", "80", "https://h.example:80"),
    ],
)
def test_base_falls_back_to_server_name_without_host(
    scheme: str, port: str, expected: str, make_environ: Callable[..., dict[str, Any]]
) -> None:
    environ = make_environ()
    del environ["HTTP_HOST"]
    environ.update(SERVER_PROTOCOL="HTTP/1.0", SERVER_NAME="h.example", SERVER_PORT=port)
    environ["wsgi.url_scheme"] = scheme
    root = Root()
    root.check = lambda r: r.base
    _run(framework.Application(root), environ)
    assert root.seen == [expected]


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_scheme_is_the_url_scheme(scheme: str) -> None:
    assert ask(lambda r: r.scheme, base_url=f"{scheme}://127.0.0.1") == scheme


@pytest.mark.parametrize(
    ("server_protocol", "expected"),
    [("HTTP/1.1", (1, 1)), ("HTTP/1.0", (1, 0)), ("HTTP/2.0", (2, 0)), ("bogus", (1, 0))],
)
def test_protocol_is_a_version_tuple(server_protocol: str, expected: tuple[int, int]) -> None:
    got = ask(lambda r: r.protocol, environ_overrides={"SERVER_PROTOCOL": server_protocol})
    assert got == expected


def test_protocol_with_non_digit_version_is_1_0() -> None:
    assert ask(lambda r: r.protocol, environ_overrides={"SERVER_PROTOCOL": "HTTP/x.y"}) == (1, 0)


# -- framework state ----------------------------------------------------------------------
def test_config_is_merged_config_for_the_path() -> None:
    conf = {"/": {"custom.a": 1, "custom.b": 1}, "/probe": {"custom.b": 2}}
    got = ask(lambda r: (r.config["custom.a"], r.config["custom.b"]), config=conf)
    assert got == (1, 2)


def test_config_includes_global_config() -> None:
    framework.config.update({"custom.global": "yes"})
    assert ask(lambda r: r.config["custom.global"]) == "yes"


def test_app_is_the_serving_application() -> None:
    root = Root()
    root.check = lambda r: r.app
    app = framework.Application(root, "")
    Client(app).get("/probe")
    assert root.seen == [app]


def test_handler_is_a_plan_wrapping_the_page_handler() -> None:
    handler = ask(lambda r: r.handler, path="/probe/x/y")
    assert isinstance(handler, Plan)
    assert (handler.callable.__name__, handler.args) == ("probe", ("x", "y"))


def test_login_defaults_to_none() -> None:
    assert ask(lambda r: r.login) is None


def test_login_can_be_set_by_a_hook() -> None:
    def set_login() -> None:
        framework.request.login = "ann"

    got = ask(lambda r: r.login, config={"/": {"hooks.before_handler": set_login}})
    assert got == "ann"


def test_hooks_is_the_request_hook_map() -> None:
    assert isinstance(ask(lambda r: r.hooks), HookMap)


def test_stage_is_handler_while_the_handler_runs() -> None:
    assert ask(lambda r: r.stage) == "handler"


def test_is_index_is_true_for_an_index_handler() -> None:
    assert ask(lambda r: r.is_index, path="/") is True


def test_rfile_is_wsgi_input() -> None:
    assert ask(lambda r: r.rfile is r.wsgi_environ["wsgi.input"]) is True


def test_time_is_the_response_start_time() -> None:
    assert ask(lambda r: r.time == r.response.time) is True


def test_repr_names_method_and_path() -> None:
    assert ask(repr, path="/probe/z") == "<Request GET /probe/z>"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; $foo=bar", {"a": "1"}),
        ("a=1; b c=2; d=4", {"a": "1", "d": "4"}),
        ("a=1; junk; d=4", {"a": "1", "d": "4"}),
        ('a="unterminated; d=4', {"d": "4"}),
        ('a="quoted value"; d=4', {"a": "quoted value", "d": "4"}),
    ],
)
def test_a_malformed_cookie_pair_is_skipped_and_the_others_kept(
    header: str, expected: dict[str, str]
) -> None:
    got = ask(lambda r: {k: m.value for k, m in r.cookie.items()}, headers={"Cookie": header})
    assert got == expected


# -- context locality ----------------------------------------------------------------------
def test_request_outside_a_request_raises_a_clear_error() -> None:
    with pytest.raises(OutsideRequestError, match="outside a request"):
        framework.request.method


def test_proxy_is_false_outside_a_request() -> None:
    assert (bool(framework.request), serving.request) == (False, None)


def test_proxy_repr_outside_a_request() -> None:
    assert repr(framework.response) == "<framework.response (outside a request)>"


def test_proxy_is_true_and_delegates_inside_a_request() -> None:
    got = ask(lambda r: (bool(framework.request), repr(framework.request), serving.request is r))
    assert got == (True, "<Request GET /probe>", True)


def test_proxy_setattr_and_delattr_reach_the_current_request() -> None:
    def probe(request: Any) -> Any:
        framework.request.custom = 1
        first = request.custom
        del framework.request.custom
        return first, hasattr(request, "custom")

    assert ask(probe) == (1, False)


def test_context_is_cleared_after_the_request() -> None:
    ask(lambda r: None)
    assert serving.get() is None


def test_each_thread_sees_its_own_request() -> None:
    workers = 6
    barrier = threading.Barrier(workers, timeout=10)

    class Slow:
        @framework.expose
        def index(self, n: str) -> str:
            before = framework.request.params["n"]
            barrier.wait()  # every request is now in flight at the same time
            after = (framework.request.params["n"], framework.request.query_string)
            return f"{n}|{before}|{after[0]}|{after[1]}"

    app = framework.Application(Slow())
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            results[i] = Client(app).get(f"/?n={i}").text
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    assert results == {i: f"{i}|{i}|{i}|n={i}" for i in range(workers)}


def _run(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    out: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        out["status"] = status
        return lambda data: None

    result = validator(app)(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return out["status"], body


def _open_stream(app: Any, environ: dict[str, Any], query: str) -> Iterator[bytes]:
    environ["QUERY_STRING"] = query
    return iter(validator(app)(environ, lambda status, headers, exc_info=None: None))


def test_request_is_still_valid_while_a_streamed_body_is_iterated(
    make_environ: Callable[..., dict[str, Any]],
) -> None:
    class Streamer:
        @framework.expose
        def index(self, who: str) -> Iterator[str]:
            framework.response.stream = True

            def chunks() -> Iterator[str]:
                for _ in range(3):
                    yield framework.request.params["who"] + framework.request.path_info + ";"

            return chunks()

    app = framework.Application(Streamer())
    first = _open_stream(app, make_environ(), "who=a")
    second = _open_stream(app, make_environ(), "who=b")
    interleaved = [next(first), next(second), next(first), next(second)]
    assert interleaved == [b"a/;", b"b/;"] * 2
    assert serving.get() is None  # nothing leaks between chunks
    for stream in (first, second):
        assert list(stream) == [b"a/;" if stream is first else b"b/;"]
        stream.close()  # type: ignore[attr-defined]


def test_type_error_inside_a_matching_handler_is_a_500_not_a_404() -> None:
    class App:
        @framework.expose
        def index(self) -> str:
            return len(3)  # type: ignore[arg-type, return-value]

    assert Client(App()).get("/").status_code == 500


def test_close_runs_on_end_request_only_once() -> None:
    ends: list[str] = []
    captured: list[Any] = []

    class App:
        @framework.expose
        def index(self) -> str:
            captured.append(serving.request)
            framework.request.hooks.attach("on_end_request", lambda: ends.append("end"))
            return "x"

    Client(App()).get("/")
    captured[0].close()
    assert (ends, captured[0].stage) == (["end"], "close")


def test_handler_repr_names_path_and_page_handler() -> None:
    assert ask(lambda r: repr(r.handler), path="/probe") == "<Plan '/probe' -> Root.probe>"
