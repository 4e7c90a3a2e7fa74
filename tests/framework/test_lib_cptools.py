"""Specification of the small built-in tools in :mod:`framework.lib.cptools`.

``trailing_slash``, ``response_headers``, ``allow``, ``expires``, ``log_tracebacks``
and ``log_headers``, each switched on the way applications do it.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest

import framework
from framework.lib import cptools
from framework.testing import Client


class Sub:
    @framework.expose
    def index(self) -> str:
        return "sub index"

    @framework.expose
    def page(self) -> str:
        return "sub page"


class Root:
    sub = Sub()

    @framework.expose
    def index(self) -> str:
        return "root"

    @framework.expose
    def page(self) -> str:
        return "page"

    @framework.expose
    def cached(self) -> str:
        framework.response.headers["Cache-Control"] = "private"
        return "cached"

    @framework.expose
    def tagged(self) -> str:
        framework.response.headers["ETag"] = '"v1"'
        return "tagged"

    @framework.expose
    def expiring(self) -> str:
        framework.response.headers["Expires"] = "Mon, 01 Jan 2035 00:00:00 GMT"
        return "expiring"

    @framework.expose
    def boom(self) -> str:
        raise RuntimeError("kaboom")


def client(config: dict[str, Any] | None = None) -> Client:
    return Client(Root(), config={"/": config or {}})


# -- trailing_slash -------------------------------------------------------------------------
def test_missing_slash_on_an_index_redirects_301() -> None:
    response = client().get("/sub?x=1")
    assert (response.status_code, response.headers["Location"]) == (
        301,
        "http://127.0.0.1/sub/?x=1",
    )


def test_slashed_index_is_served() -> None:
    assert client().get("/sub/").text == "sub index"


def test_missing_false_serves_the_index_without_slash() -> None:
    assert client({"tools.trailing_slash.missing": False}).get("/sub").text == "sub index"


def test_status_option_sets_the_redirect_status() -> None:
    assert client({"tools.trailing_slash.status": 308}).get("/sub").status_code == 308


def test_extra_slash_is_served_by_default() -> None:
    assert client().get("/page/").text == "page"


def test_extra_option_redirects_an_extra_slash_away() -> None:
    response = client({"tools.trailing_slash.extra": True}).get("/sub/page/")
    assert (response.status_code, response.headers["Location"]) == (
        301,
        "http://127.0.0.1/sub/page",
    )


def test_extra_option_leaves_the_site_root_alone() -> None:
    assert client({"tools.trailing_slash.extra": True}).get("/").text == "root"


def test_trailing_slash_off_serves_the_index_without_slash() -> None:
    assert client({"tools.trailing_slash.on": False}).get("/sub").text == "sub index"


@pytest.mark.parametrize(
    ("path", "extra", "expected"),
    [("/sub/", False, "sub index"), ("/page", True, "page"), ("/page/", False, "page")],
)
def test_trailing_slash_function_leaves_correct_urls_alone(
    path: str, extra: bool, expected: str
) -> None:
    # Called directly as a hook: the tool itself only attaches where a redirect is due.
    def hook() -> None:
        cptools.trailing_slash(extra=extra)

    config = {"tools.trailing_slash.on": False, "hooks.before_handler": hook}
    assert client(config).get(path).text == expected


def test_trailing_slash_function_ignores_unknown_paths() -> None:
    config = {"tools.trailing_slash.on": False, "hooks.before_handler": cptools.trailing_slash}
    assert client(config).get("/nowhere/").status_code == 404


# -- response_headers -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [[("X-A", "1"), ("X-B", "2")], {"X-A": "1", "X-B": "2"}],
    ids=["pairs", "dict"],
)
def test_response_headers_sets_each_header(headers: Any) -> None:
    response = client(
        {"tools.response_headers.on": True, "tools.response_headers.headers": headers}
    )
    got = response.get("/page").headers
    assert (got["X-A"], got["X-B"]) == ("1", "2")


def test_response_headers_without_headers_changes_nothing() -> None:
    response = client({"tools.response_headers.on": True}).get("/page")
    assert response.headers.get("X-A") is None


def test_response_headers_by_decorator() -> None:
    class App:
        @framework.expose
        @framework.tools.response_headers(headers=[("Content-Language", "fr")])
        def index(self) -> str:
            return "bonjour"

    assert Client(App()).get("/").headers["Content-Language"] == "fr"


# -- allow ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("methods", "method", "status"),
    [
        (None, "GET", 200),
        (None, "HEAD", 200),
        (None, "POST", 405),
        (["POST"], "POST", 200),
        (["POST"], "GET", 405),
        ("put", "PUT", 200),
        (["GET", "POST"], "DELETE", 405),
    ],
)
def test_allow_answers_405_for_other_methods(methods: Any, method: str, status: int) -> None:
    config: dict[str, Any] = {"tools.allow.on": True}
    if methods is not None:
        config["tools.allow.methods"] = methods
    assert client(config).request(method, "/page").status_code == status


@pytest.mark.parametrize(
    ("methods", "header"),
    [(None, "GET, HEAD"), (["get", "post"], "GET, POST, HEAD"), (["POST"], "POST")],
)
def test_allow_sends_the_allow_header(methods: Any, header: str) -> None:
    config: dict[str, Any] = {"tools.allow.on": True, "tools.allow.methods": methods}
    assert client(config).request("DELETE", "/page").headers["Allow"] == header


# -- expires ------------------------------------------------------------------------------
def test_expires_zero_forbids_caching_of_a_cacheable_response() -> None:
    headers = client({"tools.expires.on": True, "tools.expires.secs": 0}).get("/tagged").headers
    assert (headers["Pragma"], headers["Cache-Control"], headers["Expires"]) == (
        "no-cache",
        "no-cache, must-revalidate",
        "Sun, 28 Jan 2007 00:00:00 GMT",
    )


def test_expires_zero_sends_no_cache_control_to_http_1_0() -> None:
    config = {"tools.expires.on": True, "tools.expires.secs": 0}
    http10 = Client(Root(), config={"/": config}, environ_overrides={"SERVER_PROTOCOL": "HTTP/1.0"})
    page = http10.get("/tagged")
    assert (page.headers["Pragma"], "Cache-Control" in page.headers) == ("no-cache", False)


@pytest.mark.parametrize("secs", [3600, datetime.timedelta(hours=1)])
def test_expires_seconds_sets_a_future_date_only(secs: Any) -> None:
    headers = client({"tools.expires.on": True, "tools.expires.secs": secs}).get("/tagged").headers
    lifetime = _date_epoch(headers["Expires"]) - _date_epoch(headers["Date"])
    assert (lifetime, "Cache-Control" in headers, "Pragma" in headers) == (3600, False, False)


@pytest.mark.parametrize("secs", [0, 60])
def test_expires_leaves_a_response_without_cache_validators_alone(secs: int) -> None:
    headers = client({"tools.expires.on": True, "tools.expires.secs": secs}).get("/page").headers
    assert not {"Expires", "Cache-Control", "Pragma"} & set(headers.keys())


def test_expires_keeps_an_existing_expires() -> None:
    config = {"tools.expires.on": True, "tools.expires.secs": 0}
    headers = client(config).get("/expiring").headers
    assert headers["Expires"] == "Mon, 01 Jan 2035 00:00:00 GMT"
    assert headers["Pragma"] == "no-cache"


def test_expires_force_applies_to_any_response_and_replaces_headers() -> None:
    config = {"tools.expires.on": True, "tools.expires.secs": 0, "tools.expires.force": True}
    headers = client(config).get("/cached").headers
    assert (headers["Cache-Control"], headers["Expires"]) == (
        "no-cache, must-revalidate",
        "Sun, 28 Jan 2007 00:00:00 GMT",
    )


def test_expires_with_a_wrong_type_is_a_500() -> None:
    config = {"tools.expires.on": True, "tools.expires.secs": object()}
    assert client(config).get("/tagged").status_code == 500


def _date_epoch(value: str) -> float:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(value).timestamp()


# -- log_tracebacks / log_headers -----------------------------------------------------
def test_log_tracebacks_is_on_by_default(error_records: list[logging.LogRecord]) -> None:
    client().get("/boom").assert_status(500)
    logged = [r for r in error_records if "Error while serving GET /boom" in r.getMessage()]
    assert [r.exc_info[0] for r in logged if r.exc_info] == [RuntimeError]


def test_log_tracebacks_off_logs_no_traceback_line(
    error_records: list[logging.LogRecord],
) -> None:
    client({"tools.log_tracebacks.on": False}).get("/boom")
    assert not [r for r in error_records if "Error while serving" in r.getMessage()]


def test_log_headers_logs_the_request_headers_on_error(
    error_records: list[logging.LogRecord],
) -> None:
    client().get("/boom", headers={"X-Trace": "t-1"})
    messages = [r.getMessage() for r in error_records]
    assert any("Request Headers:" in m and "X-Trace: t-1" in m for m in messages)


def test_log_functions_do_nothing_outside_a_request(
    error_records: list[logging.LogRecord],
) -> None:
    cptools.log_traceback()
    cptools.log_request_headers()
    assert error_records == []


# -- redirect, err_redirect, flatten, log_hooks, convert_params ------------------------------


class Moved:
    @framework.expose
    def index(self) -> str:
        return f"landed at {framework.request.path_info}"

    @framework.expose
    @framework.tools.redirect(url="/")
    def old(self) -> str:
        raise AssertionError("the handler of a redirected path never runs")

    @framework.expose
    @framework.tools.redirect(url="/", internal=False)
    def moved(self) -> str:
        raise AssertionError("never runs")

    @framework.expose
    @framework.tools.err_redirect(url="/oops")
    def broken(self) -> str:
        raise RuntimeError("boom")

    @framework.expose
    def oops(self) -> str:
        return "sorry"


def test_redirect_tool_internal_and_external() -> None:
    client = Client(Moved())
    assert client.get("/old").text == "landed at /"
    page = client.get("/moved")
    assert page.status_code in (302, 303)
    assert page.headers["Location"] == "http://127.0.0.1/"


def test_err_redirect_shows_another_page_on_error(error_records: list[Any]) -> None:
    page = Client(Moved()).get("/broken")
    assert page.status_code == 200
    assert page.text == "sorry"


def test_flatten_sends_nested_generators() -> None:
    class Root:
        @framework.expose
        @framework.tools.flatten()
        def index(self) -> Any:
            def inner() -> Any:
                yield "b"
                yield (c for c in ["c", "d"])

            yield "a"
            yield inner()

    assert Client(Root()).get("/").text == "abcd"


def test_log_hooks_writes_the_hooks_of_the_request(error_records: list[Any]) -> None:
    class Root:
        @framework.expose
        @framework.tools.log_hooks()
        @framework.tools.response_headers(headers=[("X-A", "1")])
        def index(self) -> str:
            return "x"

    assert Client(Root()).get("/").text == "x"
    (message,) = [r.getMessage() for r in error_records if "Request Hooks" in r.getMessage()]
    assert "Request Hooks for http://127.0.0.1/:" in message
    assert message.index("on_start_resource:") < message.index("response_headers")
    assert message.index("response_headers") < message.index("on_end_request:")


def test_convert_params_as_cherrypy_calls_it() -> None:
    class Root:
        @framework.expose
        @framework.config(**{"hooks.before_handler": cptools.convert_params})
        def item(self, id: int, name: str = "") -> str:
            return f"{id + 1}:{name}"

    client = Client(Root())
    assert client.get("/item?id=41&name=x").text == "42:x"
    assert client.get("/item?id=x").status_code == 400


def test_tools_accept_cherrypys_debug_argument() -> None:
    class Root:
        @framework.expose
        @framework.tools.allow(methods=["GET"], debug=True)
        @framework.tools.response_headers(headers=[("X-A", "1")], debug=True)
        @framework.tools.expires(secs=60, debug=True)
        def index(self) -> str:
            return "x"

    page = Client(Root(), config={"/": {"tools.encode.debug": True}}).get("/")
    assert page.text == "x" and page.headers["X-A"] == "1"
