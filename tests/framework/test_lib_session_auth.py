"""tools.session_auth: the login form backed by the session, as CherryPy's and safer.

Login and logout by POST only, the session id regenerated at login (a planted id is
worthless) and logout, escaped form values, no redirect off the site, and no login at
all without a password check. The same session is replayed against CherryPy 18.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from compat_apps.side_by_side import Req, assert_app_answers_as_cherrypy

import framework
from framework.testing import Client

TOOLS_APP = Path(__file__).parent / "compat_apps" / "tools_app.py"
FORM = '<form method="post" action="do_login">'
events: list[str] = []


def check(username: str, password: str) -> str | None:
    if (username, password) != ("ann", "secret"):
        return "Wrong login/password"
    return None


class Members:
    @framework.expose
    def index(self, **kwargs: Any) -> str:
        return f"Hi {framework.request.login}"


def make_client(**options: Any) -> Client:
    events.clear()
    conf = {
        "tools.sessions.on": True,
        "tools.session_auth.on": True,
        "tools.session_auth.check_username_and_password": check,
        "tools.session_auth.on_login": lambda user: events.append(f"login {user}"),
        "tools.session_auth.on_logout": lambda user: events.append(f"logout {user}"),
    }
    conf.update({f"tools.session_auth.{key}": value for key, value in options.items()})
    return Client(Members(), config={"/": conf})


def session_id(client: Client) -> str | None:
    return client.cookies.get("session_id")


def login(client: Client, password: str = "secret", from_page: str = "/") -> Any:
    data = {"username": "ann", "password": password, "from_page": from_page}
    return client.post("/do_login", data=data)


def test_a_visitor_gets_the_login_form_not_the_page() -> None:
    page = make_client().get("/")
    assert page.status_code == 200
    assert FORM in page.text
    assert "Hi" not in page.text


def test_login_regenerates_the_session_and_lets_the_user_in() -> None:
    client = make_client()
    client.get("/")
    planted = session_id(client)
    page = login(client)
    assert page.status_code == 303
    assert page.headers["Location"] == "http://127.0.0.1/"
    assert session_id(client) not in (None, planted)
    assert client.get("/").text == "Hi ann"
    assert events == ["login ann"]


def test_a_wrong_password_shows_the_form_with_the_message() -> None:
    client = make_client()
    page = login(client, password="nope")
    assert page.status_code == 200
    assert "Message: Wrong login/password" in page.text
    assert 'value="ann"' in page.text
    assert FORM in client.get("/").text


def test_logout_ends_the_login_and_regenerates_the_session() -> None:
    client = make_client()
    login(client)
    before = session_id(client)
    page = client.post("/do_logout", data={"from_page": "/"})
    assert page.status_code == 303
    assert session_id(client) != before
    assert FORM in client.get("/").text
    assert events == ["login ann", "logout ann"]


@pytest.mark.parametrize("path", ["/do_login", "/do_logout"])
def test_login_and_logout_take_post_only(path: str) -> None:
    page = make_client().get(path + "?username=ann&password=secret")
    assert page.status_code == 405
    assert page.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    ("from_page", "location"),
    [
        ("/members/area", "http://127.0.0.1/members/area"),
        ("http://127.0.0.1/x?y=1", "http://127.0.0.1/x?y=1"),
        ("https://evil.example/", "http://127.0.0.1/"),
        ("//evil.example/", "http://127.0.0.1/"),
        ("/\\evil.example", "http://127.0.0.1/"),
        ("", "http://127.0.0.1/"),
    ],
)
def test_from_page_never_leaves_the_site(from_page: str, location: str) -> None:
    assert login(make_client(), from_page=from_page).headers["Location"] == location


def test_form_values_are_escaped() -> None:
    client = make_client()
    page = client.post(
        "/do_login",
        data={"username": '"><script>x</script>', "password": "p", "from_page": '"><b>'},
    )
    assert "<script>" not in page.text and "<b>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_without_a_check_nobody_logs_in() -> None:
    client = Client(
        Members(), config={"/": {"tools.sessions.on": True, "tools.session_auth.on": True}}
    )
    page = login(client)
    assert page.status_code == 200
    assert "no check_username_and_password is configured" in page.text
    assert FORM in client.get("/").text


def test_anonymous_users_and_on_check() -> None:
    checked: list[str] = []
    client = make_client(anonymous=lambda: "guest", on_check=checked.append)
    assert client.get("/").text == "Hi guest"
    assert checked == ["guest"]


def test_login_screen_without_a_from_page_returns_to_the_parent() -> None:
    from framework.lib.session_auth import SessionAuth

    page = SessionAuth().login_screen(None, username="nobody", password="anypass")
    assert isinstance(page, bytes)
    assert b'name="from_page" value=".."' in page


def test_the_login_screen_path() -> None:
    assert FORM in make_client().get("/login_screen").text


def test_sessions_are_required(error_records: list[Any]) -> None:
    client = Client(
        Members(),
        config={
            "/": {
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": check,
            }
        },
    )
    assert client.get("/").status_code == 500
    assert any("needs sessions" in str(r.exc_info) for r in error_records if r.exc_info)


SESSION = (
    Req("GET", "/members/", expect_in=FORM),
    Req("POST", "/members/do_login", body="username=test&password=wrong&from_page=/"),
    Req(
        "POST",
        "/members/do_login",
        body="username=test&password=password&from_page=/",
        page="redirect",
    ),
    Req("GET", "/members/", expect_body="Hi test, you are logged in"),
    Req("GET", "/members/do_logout", page="default", status=405),
    Req("POST", "/members/do_logout", body="from_page=/", page="redirect"),
    Req("GET", "/members/", expect_in=FORM),
)


def test_same_answers_as_cherrypy() -> None:
    assert_app_answers_as_cherrypy(TOOLS_APP, SESSION)
