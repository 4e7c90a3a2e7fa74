"""Specification tests for errors, redirects and error pages (bad input: test_errors_input).

HTTP errors and redirects render themselves into the response; unexpected exceptions
become a 500 whose page shows a traceback only when ``request.show_tracebacks`` is on,
while the error log always gets it. Malformed requests get a short 4xx, never a 500,
and the application keeps serving afterwards.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from errors_app import Root, production

import framework
from framework.errors import HTTPError, HTTPRedirect, InternalRedirect, get_error_page
from framework.testing import Client


@pytest.fixture
def client() -> Client:
    return Client(Root())


# -- HTTPError -------------------------------------------------------------------------


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 418, 500, 502, 503])
def test_http_error_sets_status(client: Client, code: int) -> None:
    assert client.get(f"/error?code={code}").status_code == code


def test_http_error_message_in_page(client: Client) -> None:
    assert "just no" in client.get("/error?code=403&message=just no").text


def test_http_error_message_is_escaped(client: Client) -> None:
    text = client.get("/error?code=400&message=<script>").text
    assert ("<script>" in text, "&lt;script&gt;" in text) == (False, True)


def test_http_error_custom_reason(client: Client) -> None:
    assert client.get("/custom_reason").status == "418 Short And Stout"


def test_http_error_page_is_html(client: Client) -> None:
    assert client.get("/error?code=400").headers["Content-Type"] == "text/html;charset=utf-8"


@pytest.mark.parametrize("status", [200, 302, 600, "abc"])
def test_http_error_rejects_non_error_status(status: Any) -> None:
    with pytest.raises(ValueError):
        HTTPError(status)


def test_http_error_attributes() -> None:
    error = HTTPError(404, "gone")
    assert (error.code, error.reason, error.status, error._message) == (
        404,
        "Not Found",
        404,
        "gone",
    )


def test_http_error_handle_translates_exception(client: Client) -> None:
    assert client.get("/handled").status_code == 404


def test_not_found_names_current_path(client: Client) -> None:
    assert "/notfound" in client.get("/notfound").text


def test_not_found_names_given_path(client: Client) -> None:
    assert "/elsewhere" in client.get("/notfound_path").text


def test_render_outside_request_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="during a request"):
        HTTPError(404).set_response()


def test_error_page_outside_request_uses_default_template() -> None:
    page = get_error_page(404, message="m")
    assert b"<title>404 Not Found</title>" in page


# -- HTTPRedirect ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "protocol", "status"),
    [
        # COMPAT: CherryPy 18 answers 303 to every HTTP/1.1 request.
        ("GET", "HTTP/1.1", 303),
        ("HEAD", "HTTP/1.1", 303),
        ("POST", "HTTP/1.1", 303),
        ("PUT", "HTTP/1.1", 303),
        ("GET", "HTTP/1.0", 302),
        ("POST", "HTTP/1.0", 302),
    ],
)
def test_redirect_default_status(method: str, protocol: str, status: int) -> None:
    client = Client(Root(), environ_overrides={"SERVER_PROTOCOL": protocol})
    assert client.request(method, "/redirect").status_code == status


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_explicit_status(client: Client, status: int) -> None:
    assert client.get(f"/redirect?status={status}").status_code == status


@pytest.mark.parametrize(
    ("to", "location"),
    [
        ("/target", "http://127.0.0.1/target"),
        ("target", "http://127.0.0.1/target"),
        ("http://127.0.0.1/x", "http://127.0.0.1/x"),
        ("https://127.0.0.1:8443/x", "https://127.0.0.1:8443/x"),
        ("/caf\u00e9", "http://127.0.0.1/caf%C3%A9"),
    ],
)
def test_redirect_location_is_absolute(client: Client, to: str, location: str) -> None:
    assert client.get("/redirect", params={"to": to}).headers["Location"] == location


@pytest.mark.parametrize("evil", ["/x\r\nSet-Cookie: a=b", "/x\nX: y", "/x\rX: y"])
def test_redirect_location_never_holds_crlf(client: Client, evil: str) -> None:
    response = client.get("/redirect", params={"to": evil})
    assert ("\r" in response.headers["Location"], "\n" in response.headers["Location"]) == (
        False,
        False,
    )


def test_redirect_cannot_inject_header(client: Client) -> None:
    response = client.get("/redirect", params={"to": "/x\r\nSet-Cookie: a=b"})
    assert response.headers.get_all("Set-Cookie") == []


def test_redirect_body_links_every_url(client: Client) -> None:
    text = client.get("/redirect_many").text
    assert ("/one" in text, "/two" in text) == (True, True)


def test_redirect_multiple_location_is_first(client: Client) -> None:
    assert client.get("/redirect_many").headers["Location"] == "http://127.0.0.1/one"


def test_redirect_304_has_no_body(client: Client) -> None:
    response = client.get("/not_modified")
    assert (response.status_code, response.body, "Content-Type" in response.headers) == (
        304,
        b"",
        False,
    )


def test_redirect_305_sets_location(client: Client) -> None:
    assert client.get("/use_proxy").headers["Location"] == "http://127.0.0.1/proxy"


def test_redirect_other_3xx_sets_location(client: Client) -> None:
    response = client.get("/odd_redirect")
    assert (response.status_code, response.body) == (399, b"")


@pytest.mark.parametrize("status", [200, 404, 299, 400])
def test_redirect_rejects_non_3xx(status: int) -> None:
    with pytest.raises(ValueError):
        HTTPRedirect("/x", status)


def test_redirect_outside_request_keeps_url() -> None:
    redirect = HTTPRedirect(b"/plain")  # type: ignore[arg-type]
    assert redirect.urls_and_status == (["/plain"], 302)


def test_redirect_instance_used_as_handler() -> None:
    class Moved:
        index = HTTPRedirect("http://example.org/new", 301)
        index.exposed = True  # type: ignore[attr-defined]

    response = Client(framework.Application(Moved())).get("/")
    assert response.headers["Location"] == "http://example.org/new"


def test_redirect_followed_by_client(client: Client) -> None:
    assert client.post("/redirect", follow_redirects=True).text.startswith("target GET")


# -- no CR/LF in any header ------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=y", "a\nb", "a\rb", "a\x00b"])
def test_a_header_value_with_crlf_is_refused(client: Client, value: str) -> None:
    response = client.get("/header", params={"value": value})
    assert response.status_code == 500
    assert "X-Echo" not in response.headers


def test_header_value_cannot_inject_header(client: Client) -> None:
    response = client.get("/header", params={"value": "a\r\nSet-Cookie: x=y"})
    assert response.headers.get_all("Set-Cookie") == []


def test_header_name_with_crlf_never_reaches_client() -> None:
    class Evil:
        @framework.expose
        def index(self) -> str:
            framework.response.headers["X-A\r\nSet-Cookie"] = "x=y"
            return "ok"

    response = Client(Evil()).get("/")
    assert (response.status_code, response.headers.get_all("Set-Cookie")) == (500, [])


def test_cookie_value_cannot_inject_header() -> None:
    class Cookies:
        @framework.expose
        def index(self) -> str:
            framework.response.cookie["c"] = "v\r\nX-Injected: 1"
            return "ok"

    response = Client(Cookies()).get("/")
    assert "X-Injected" not in response.headers


@pytest.mark.parametrize("status", ["200 OK\r\nX-Injected: 1", "abc", "99", "600 Too Far"])
def test_invalid_status_set_by_handler_is_500(client: Client, status: str) -> None:
    response = client.get("/bad_status", params={"status": status})
    assert (response.status_code, "X-Injected" in response.headers) == (500, False)


# -- InternalRedirect ------------------------------------------------------------------


def test_internal_redirect_serves_target(client: Client) -> None:
    assert client.get("/internal").text == "target GET [('x', '1')] prev=/internal"


def test_internal_redirect_query_string_argument(client: Client) -> None:
    assert client.get("/internal_qs").text == "target GET [('y', '2')] prev=/internal_qs"


def test_internal_redirect_turns_post_into_get(client: Client) -> None:
    assert client.post("/internal", data={"to": "/target"}).text.startswith("target GET []")


def test_internal_redirect_keeps_status_200(client: Client) -> None:
    assert client.get("/internal").status_code == 200


def test_internal_redirect_loop_is_500(client: Client) -> None:
    assert client.get("/loop").status_code == 500


def test_internal_redirect_loop_is_logged(client: Client, error_records: list[Any]) -> None:
    client.get("/loop")
    assert any("visited the same URL twice" in str(r.exc_info[1]) for r in error_records)


def test_internal_redirect_under_script_name() -> None:
    framework.tree.mount(Root(), "/app")
    response = Client(framework.tree).get("/app/internal?to=/app/target")
    assert response.text == "target GET [] prev=/internal"


def test_internal_redirect_from_hook() -> None:
    def reroute() -> None:
        if framework.request.path_info == "/":
            raise InternalRedirect("/target")

    client = Client(Root(), config={"/": {"hooks.before_handler": reroute}})
    assert client.get("/").text.startswith("target GET")


def test_internal_redirect_outside_request_keeps_path() -> None:
    redirect = InternalRedirect("/a?b=1")
    assert (redirect.path, redirect.query_string) == ("/a", "b=1")


# -- error pages -------------------------------------------------------------------------
# Short pages are padded with spaces (see the padding tests below): content is compared
# without them.


def test_error_page_callable(client: Client) -> None:
    def page(status: str, message: str, traceback: str, version: str) -> str:
        return f"[{status}|{message}]"

    framework.config.update({"error_page.403": page})
    assert client.get("/error?code=403&message=m").text.rstrip(" ") == "[403 Forbidden|m]"


def test_error_page_callable_returning_bytes(client: Client) -> None:
    framework.config.update({"error_page.404": lambda **kwargs: b"raw bytes"})
    assert client.get("/missing").body.rstrip(b" ") == b"raw bytes"


@pytest.mark.parametrize(
    "result",
    [
        (chunk for chunk in [b"gen", b"erated"]),
        iter(["gen", "erated"]),
        [b"gen", "erated"],
    ],
)
def test_error_page_callable_returning_chunks_sends_their_content(
    client: Client, result: Any
) -> None:
    framework.config.update({"error_page.404": lambda **kwargs: result})
    assert client.get("/nope").body.rstrip(b" ") == b"generated"


def test_error_page_file_fields(client: Client, tmp_path: Path) -> None:
    page = tmp_path / "404.html"
    page.write_text("<h1>%(status)s</h1><p>%(message)s</p>")
    framework.config.update({"error_page.404": str(page)})
    assert client.get("/error?code=404&message=<b>").text.rstrip(" ") == (
        "<h1>404 Not Found</h1><p>&lt;b&gt;</p>"
    )


def test_error_page_default_key(client: Client) -> None:
    framework.config.update({"error_page.default": lambda **kwargs: "any error"})
    assert client.get("/error?code=409").text.rstrip(" ") == "any error"


@pytest.mark.parametrize(("code", "size"), [(404, 513), (403, 257), (500, 513), (409, 513)])
def test_a_short_error_page_is_padded_past_the_friendly_page_threshold(
    client: Client, code: int, size: int
) -> None:
    # COMPAT: CherryPy pads so Internet Explorer shows the page, not its own.
    framework.config.update({"error_page.default": lambda **kwargs: "short"})
    response = client.get(f"/error?code={code}")
    assert response.body == b"short" + b" " * (size - 5)
    assert response.headers["Content-Length"] == str(size)


@pytest.mark.parametrize("code", [401, 418, 503])
def test_error_pages_of_other_statuses_and_long_pages_are_not_padded(
    client: Client, code: int
) -> None:
    framework.config.update({"error_page.default": lambda **kwargs: "short"})
    assert client.get(f"/error?code={code}").body == b"short"
    framework.config.update({"error_page.default": lambda **kwargs: "x" * 600})
    assert client.get("/error?code=404").body == b"x" * 600


def test_error_page_for_other_code_not_used(client: Client) -> None:
    framework.config.update({"error_page.404": lambda **kwargs: "custom"})
    assert client.get("/error?code=403").text != "custom"


def test_error_page_per_path_config(tmp_path: Path) -> None:
    config = {"/": {"error_page.404": lambda **kwargs: "app page"}}
    assert Client(Root(), config=config).get("/missing").text.rstrip(" ") == "app page"


def test_error_page_used_for_500(client: Client) -> None:
    framework.config.update({"error_page.500": lambda **kwargs: "custom 500"})
    assert client.get("/crash").text.rstrip(" ") == "custom 500"


def test_broken_error_page_falls_back_to_default(client: Client, tmp_path: Path) -> None:
    framework.config.update({"error_page.404": str(tmp_path / "absent.html")})
    response = client.get("/missing")
    assert (response.status_code, "custom error page failed" in response.text) == (404, True)


def test_error_page_keeps_allow_header() -> None:
    client = Client(Root(), config={"/": {"tools.allow.on": True, "tools.allow.methods": "GET"}})
    response = client.post("/")
    assert (response.status_code, response.headers["Allow"]) == (405, "GET, HEAD")


# -- unexpected exceptions -------------------------------------------------------------


def test_unexpected_exception_is_500(client: Client) -> None:
    assert client.get("/crash").status_code == 500


def test_show_tracebacks_on_shows_traceback(client: Client) -> None:
    text = client.get("/crash").text
    assert ("Traceback" in text, "secret boom" in text) == (True, True)


def test_show_tracebacks_off_hides_traceback(client: Client) -> None:
    text = production(client).get("/crash").text
    assert "Traceback" not in text


def test_show_tracebacks_off_hides_exception_text(client: Client) -> None:
    text = production(client).get("/crash").text
    assert ("secret boom" in text, "ValueError" in text) == (False, False)


def test_show_tracebacks_off_still_logs_traceback(
    client: Client, error_records: list[logging.LogRecord]
) -> None:
    production(client).get("/crash")
    logged = [r for r in error_records if r.exc_info and isinstance(r.exc_info[1], ValueError)]
    assert str(logged[0].exc_info[1]) == "secret boom"  # type: ignore[index]


def test_app_keeps_serving_after_500(client: Client) -> None:
    client.get("/crash")
    assert client.get("/").text == "home"


def test_request_error_response(client: Client) -> None:
    def respond() -> None:
        framework.response.status = 503
        framework.response.body = b"sorry"

    framework.config.update({"request.error_response": respond})
    response = client.get("/crash")
    assert (response.status_code, response.body) == (503, b"sorry")


def test_error_response_may_redirect(client: Client) -> None:
    def respond() -> None:
        raise HTTPRedirect("/oops")

    framework.config.update({"request.error_response": respond})
    assert client.get("/crash").headers["Location"] == "http://127.0.0.1/oops"


def test_failing_error_response_gives_bare_500(client: Client) -> None:
    def respond() -> None:
        raise RuntimeError("error page broke")

    framework.config.update({"request.error_response": respond})
    response = client.get("/crash")
    assert (response.status_code, response.headers["Content-Type"]) == (
        500,
        "text/plain;charset=utf-8",
    )


def test_failing_error_response_hides_text_in_production(client: Client) -> None:
    def respond() -> None:
        raise RuntimeError("error page broke")

    framework.config.update({"request.error_response": respond})
    assert production(client).get("/crash").body == b""


def test_error_hooks_run_around_error_response(client: Client) -> None:
    calls: list[str] = []
    framework.config.update(
        {
            "hooks.before_error_response": lambda: calls.append("before"),
            "hooks.after_error_response": lambda: calls.append("after"),
        }
    )
    client.get("/crash")
    assert calls == ["before", "after"]


def test_throw_errors_still_answers_500(client: Client) -> None:
    framework.config.update({"request.throw_errors": True})
    assert client.get("/crash").status_code == 500


def test_broken_error_page_adds_traceback_when_shown(client: Client) -> None:
    def broken(**kwargs: Any) -> str:
        raise LookupError("page bug")

    framework.config.update({"error_page.404": broken})
    assert "page bug" in client.get("/missing").text


def test_broken_error_page_hides_its_traceback_in_production(client: Client) -> None:
    def broken(**kwargs: Any) -> str:
        raise LookupError("page bug")

    framework.config.update({"error_page.404": broken})
    assert "page bug" not in production(client).get("/missing").text


def test_a_before_finalize_tool_may_rewrite_an_error_page() -> None:
    # The page's Content-Length is measured at finalize, after the tools that change it.
    def shout() -> None:
        body = framework.response.body
        framework.response.body = (chunk.upper() + b"!" for chunk in body)

    class Locked:
        @framework.expose
        def index(self) -> str:
            raise HTTPError(401)

    response = Client(Locked(), config={"/": {"hooks.before_finalize": shout}}).get("/")
    assert response.status_code == 401
    assert response.body.endswith(b"</HTML>\n!")
    assert int(response.headers["Content-Length"]) == len(response.body)
