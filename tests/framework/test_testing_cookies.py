"""framework.testing: cookies kept between calls and redirects followed."""

from __future__ import annotations

from email.utils import formatdate
from typing import TYPE_CHECKING

import pytest

from framework.testing import Client, TooManyRedirects

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


from testing_apps import TEXT, cookie_app, redirect_app

# --- cookies ---------------------------------------------------------------------------


def set_cookies(client: Client, *values: str, path: str = "/") -> None:
    client.get(path, params={"set": list(values)}).assert_status(200)


def test_cookies_are_sent_back_on_later_calls() -> None:
    client = Client(cookie_app)
    set_cookies(client, "a=1", "b=2; HttpOnly")
    assert client.get("/").text == "a=1; b=2"
    assert dict(client.cookies) == {"a": "1", "b": "2"}


def test_a_new_value_replaces_the_old_one() -> None:
    client = Client(cookie_app)
    set_cookies(client, "a=1")
    set_cookies(client, "a=2")
    assert client.get("/").text == "a=2"


@pytest.mark.parametrize(
    ("cookie", "request_path", "sent"),
    [
        ("a=1; Path=/admin", "/admin", True),
        ("a=1; Path=/admin", "/admin/users", True),
        ("a=1; Path=/admin", "/", False),
        ("a=1; Path=/admin", "/administrator", False),
        ("a=1; Path=/admin/", "/admin/x", True),
    ],
)
def test_cookie_path_limits_where_it_is_sent(cookie: str, request_path: str, sent: bool) -> None:
    client = Client(cookie_app)
    set_cookies(client, cookie)
    assert client.get(request_path).text == ("a=1" if sent else "")


def test_cookie_without_path_defaults_to_the_request_directory() -> None:
    client = Client(cookie_app)
    set_cookies(client, "a=1", path="/shop/cart")
    assert (client.get("/shop/list").text, client.get("/other").text) == ("a=1", "")


def test_more_specific_paths_are_sent_first() -> None:
    client = Client(cookie_app)
    set_cookies(client, "a=root; Path=/", "a=deep; Path=/x")
    assert client.get("/x/y").text == "a=deep; a=root"


@pytest.mark.parametrize(
    "deletion",
    [
        "a=; Max-Age=0",
        "a=; Max-Age=-1",
        "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "a=; Expires=Thu, 01-Jan-1970 00:00:00 GMT",
        "a=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0",
    ],
)
def test_expired_cookies_are_deleted(deletion: str) -> None:
    client = Client(cookie_app)
    set_cookies(client, "a=1", "b=2")
    set_cookies(client, deletion)
    assert client.get("/").text == "b=2"
    assert "a" not in client.cookies


def test_future_expiry_keeps_the_cookie() -> None:
    client = Client(cookie_app)
    future = formatdate(timeval=4102444800, usegmt=True)  # 2100-01-01
    set_cookies(client, f"a=1; Expires={future}", "b=2; Max-Age=3600")
    assert client.get("/").text == "a=1; b=2"


def test_unreadable_expires_leaves_a_session_cookie() -> None:
    client = Client(cookie_app)
    set_cookies(client, "a=1; Expires=someday", "b=2")
    assert (client.get("/").text, len(client.cookies)) == ("a=1; b=2", 2)


def test_max_age_wins_over_expires() -> None:
    client = Client(cookie_app)
    set_cookies(client, "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=3600")
    assert client.get("/").text == "a=1"


@pytest.mark.parametrize(
    ("base_url", "sent"), [("http://127.0.0.1", ""), ("https://127.0.0.1", "s=1")]
)
def test_secure_cookies_go_only_over_https(base_url: str, sent: str) -> None:
    client = Client(cookie_app, base_url=base_url)
    set_cookies(client, "s=1; Secure")
    assert client.get("/").text == sent


def test_malformed_set_cookie_values_are_ignored() -> None:
    client = Client(cookie_app)
    set_cookies(client, "no-equals-sign", "=nameless", "ok=1")
    assert dict(client.cookies) == {"ok": "1"}


def test_cookies_can_be_set_and_cleared_by_the_test() -> None:
    client = Client(cookie_app)
    client.cookies.set("token", "t1")
    assert client.get("/").text == "token=t1"
    client.cookies.clear()
    assert client.get("/").text == ""


def test_explicit_cookie_header_is_merged_with_the_jar() -> None:
    client = Client(cookie_app)
    client.cookies.set("jar", "1")
    assert client.get("/", headers={"Cookie": "mine=2"}).text == "mine=2; jar=1"


# --- redirects -------------------------------------------------------------------------


def test_redirects_are_not_followed_by_default() -> None:
    response = Client(redirect_app).get("/go/302", params={"to": "/end"})
    assert (response.status_code, response.headers["Location"]) == (302, "/end")


@pytest.mark.parametrize(
    "location",
    [
        "/end?x=1",
        "http://127.0.0.1/end?x=1",
        "http://elsewhere.test/end?x=1",
        "../end?x=1",  # relative to the redirecting URL /go/301
    ],
)
def test_redirects_are_followed_on_the_same_app(location: str) -> None:
    response = Client(redirect_app).get("/go/301", params={"to": location}, follow_redirects=True)
    environ = response.json()
    assert (environ["PATH_INFO"], environ["QUERY_STRING"]) == ("/end", "x=1")
    assert [r.status_code for r in response.history] == [301]


@pytest.mark.parametrize(
    ("code", "method", "body"),
    [(303, "GET", ""), (302, "GET", ""), (307, "POST", "a=1"), (308, "POST", "a=1")],
)
def test_redirect_code_decides_method_and_body(code: int, method: str, body: str) -> None:
    response = Client(redirect_app).post(
        f"/go/{code}?to=/end", data={"a": "1"}, follow_redirects=True
    )
    environ = response.json()
    assert (environ["REQUEST_METHOD"], environ["body"]) == (method, body)


def test_redirect_chains_are_recorded_in_history() -> None:
    hop2 = "/go/302?to=/end"
    response = Client(redirect_app).get("/go/307", params={"to": hop2}, follow_redirects=True)
    assert [r.url for r in response.history] == [
        "http://127.0.0.1/go/307?to=%2Fgo%2F302%3Fto%3D%2Fend",
        "http://127.0.0.1/go/302?to=/end",
    ]


def test_redirect_loops_stop_after_ten_hops() -> None:
    with pytest.raises(TooManyRedirects, match="more than 10"):
        Client(redirect_app).get("/loop", follow_redirects=True)


def test_cookies_set_during_redirects_are_kept() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        if environ["PATH_INFO"] == "/login":
            start_response("303 See Other", [*TEXT, ("Location", "/"), ("Set-Cookie", "s=1")])
            return [b""]
        start_response("200 OK", TEXT)
        return [environ.get("HTTP_COOKIE", "").encode()]

    assert Client(app).post("/login", follow_redirects=True).text == "s=1"
