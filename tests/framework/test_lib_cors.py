"""tools.cors: allowed origins (exact, patterns, any), preflights answered by the tool.

A preflight never reaches the handler nor the tools after CORS (authentication
included); error responses carry the CORS headers too; every response that depends
on the origin says ``Vary: Origin``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import framework
from framework.dispatch import MethodDispatcher
from framework.lib import auth_basic
from framework.testing import Client

calls: list[str] = []


class Api:
    @framework.expose
    def items(self) -> str:
        calls.append(framework.request.method)
        framework.response.headers["X-Total-Count"] = "3"
        return "items"

    @framework.expose
    def broken(self) -> str:
        raise framework.HTTPError(409, "conflict")


def client(**options: Any) -> Client:
    calls.clear()
    conf = {"tools.cors.on": True, "tools.cors.origins": ["https://app.example"]}
    conf.update({f"tools.cors.{key}": value for key, value in options.items()})
    return Client(Api(), config={"/": conf})


def preflight(method: str = "PUT", origin: str = "https://app.example", **extra: str) -> dict:
    return {"Origin": origin, "Access-Control-Request-Method": method, **extra}


def test_an_allowed_origin_may_read_the_response() -> None:
    page = client().get("/items", headers={"Origin": "https://app.example"})
    assert page.text == "items"
    assert page.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert page.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in page.headers


def test_another_origin_gets_no_cors_headers_but_vary() -> None:
    page = client().get("/items", headers={"Origin": "https://evil.example"})
    assert page.text == "items"  # the browser, not the server, withholds it
    assert "Access-Control-Allow-Origin" not in page.headers
    assert page.headers["Vary"] == "Origin"


def test_no_origin_no_cors_headers() -> None:
    page = client().get("/items")
    assert "Access-Control-Allow-Origin" not in page.headers
    assert page.headers["Vary"] == "Origin"


@pytest.mark.parametrize(
    ("origins", "origin", "allowed"),
    [
        (["https://*.example.org"], "https://api.example.org", True),
        (["https://*.example.org"], "https://a.b.example.org", True),
        (["https://*.example.org"], "https://example.org", False),
        (["https://*.example.org"], "http://api.example.org", False),
        (["https://*.example.org"], "https://api.example.org.evil.com", False),
        ([re.compile(r"https://[a-z]+\.test")], "https://abc.test", True),
        ([re.compile(r"https://[a-z]+\.test")], "https://abc.test.evil", False),
        (["https://App.Example/"], "https://app.example", True),
        (["https://app.example"], "null", False),
        (["null"], "null", True),
        ("*", "https://anyone.example", True),
    ],
)
def test_origin_matching(origins: Any, origin: str, allowed: bool) -> None:
    page = client(origins=origins).get("/items", headers={"Origin": origin})
    assert ("Access-Control-Allow-Origin" in page.headers) is allowed


def test_any_origin_without_credentials_is_a_star_and_does_not_vary() -> None:
    page = client(origins="*").get("/items", headers={"Origin": "https://x.example"})
    assert page.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in page.headers


def test_credentials_echo_the_origin_even_for_any_origin() -> None:
    page = client(origins="*", credentials=True).get("/items", headers={"Origin": "https://x.io"})
    assert page.headers["Access-Control-Allow-Origin"] == "https://x.io"
    assert page.headers["Access-Control-Allow-Credentials"] == "true"
    assert page.headers["Vary"] == "Origin"


def test_exposed_headers() -> None:
    page = client(expose_headers=["X-Total-Count"]).get(
        "/items", headers={"Origin": "https://app.example"}
    )
    assert page.headers["Access-Control-Expose-Headers"] == "X-Total-Count"


def test_error_responses_carry_the_cors_headers() -> None:
    page = client().get("/broken", headers={"Origin": "https://app.example"})
    assert page.status_code == 409
    assert page.headers["Access-Control-Allow-Origin"] == "https://app.example"
    missing = client().get("/nothing", headers={"Origin": "https://app.example"})
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == "https://app.example"


def test_a_preflight_is_answered_without_calling_the_handler() -> None:
    cors = client(methods=["GET", "PUT"], headers=["X-Token"], max_age=600, credentials=True)
    page = cors.options(
        "/items",
        headers=preflight("PUT", **{"Access-Control-Request-Headers": "X-Token, Content-Type"}),
    )
    assert page.status_code == 200
    assert page.body == b""
    assert page.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert page.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert page.headers["Access-Control-Allow-Headers"] == "x-token"
    assert page.headers["Access-Control-Max-Age"] == "600"
    assert page.headers["Access-Control-Allow-Credentials"] == "true"
    assert page.headers["Vary"] == "Origin"
    assert calls == []


def test_a_preflight_skips_authentication() -> None:
    check = auth_basic.checkpassword_dict({"a": "b"})
    config = {
        "/": {
            "tools.cors.on": True,
            "tools.cors.origins": ["https://app.example"],
            "tools.auth_basic.on": True,
            "tools.auth_basic.realm": "r",
            "tools.auth_basic.checkpassword": check,
        }
    }
    protected = Client(Api(), config=config)
    assert protected.options("/items", headers=preflight("GET")).status_code == 200
    page = protected.get("/items", headers={"Origin": "https://app.example"})
    assert page.status_code == 401  # the real request still needs credentials...
    assert page.headers["Access-Control-Allow-Origin"] == "https://app.example"  # ...readably


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (preflight("PUT", origin="https://evil.example"), "origin is not allowed"),
        (preflight("DELETE"), "method DELETE is not allowed"),
        (
            preflight("GET", **{"Access-Control-Request-Headers": "X-Secret"}),
            "headers not allowed: x-secret",
        ),
    ],
)
def test_a_refused_preflight_is_403_and_says_why(headers: dict, message: str) -> None:
    page = client(methods=["GET", "PUT"]).options("/items", headers=headers)
    assert page.status_code == 403
    assert message in page.text
    assert "Access-Control-Allow-Origin" not in page.headers
    assert calls == []


def test_safelisted_and_any_headers() -> None:
    page = client().options(
        "/items",
        headers=preflight("POST", **{"Access-Control-Request-Headers": "Content-Type, Accept"}),
    )
    assert page.status_code == 200
    anything = client(headers="*").options(
        "/items", headers=preflight("POST", **{"Access-Control-Request-Headers": "X-A, X-B"})
    )
    assert anything.headers["Access-Control-Allow-Headers"] == "X-A, X-B"


def test_an_options_request_that_is_not_a_preflight_reaches_the_resource() -> None:
    @framework.expose
    class Resource:
        def GET(self) -> str:
            return "get"

    class Top:
        res = Resource()

    config = {
        "/": {
            "request.dispatch": MethodDispatcher(),
            "tools.cors.on": True,
            "tools.cors.origins": "*",
        }
    }
    page = Client(Top(), config=config).options("/res", headers={"Origin": "https://x.example"})
    assert page.status_code == 200
    assert page.headers["Allow"] == "GET, HEAD"
    assert page.headers["Access-Control-Allow-Origin"] == "*"


def test_a_bad_pattern_is_a_config_error(error_records: list[Any]) -> None:
    assert client(origins=[re.compile("ok"), 42]).get("/items").status_code == 500
