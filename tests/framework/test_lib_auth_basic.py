"""tools.auth_basic: HTTP Basic authentication (RFC 7617), as CherryPy's.

Right credentials reach the handler with ``request.login`` set; missing, wrong or
other-scheme credentials get 401 with the right challenge; malformed headers get 400.
The same session is replayed against the real CherryPy 18 and must answer alike.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from compat_apps.side_by_side import Req, assert_app_answers_as_cherrypy

import framework
from framework.lib import auth_basic
from framework.testing import Client

USERS = {"alice": "wonderland", "юзер": "пароль"}
TOOLS_APP = Path(__file__).parent / "compat_apps" / "tools_app.py"


def basic(user: str, password: str, charset: str = "utf-8") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode(charset)).decode("ascii")
    return {"Authorization": f"Basic {token}"}


class Root:
    @framework.expose
    def index(self) -> str:
        return "public"

    @framework.expose
    @framework.tools.auth_basic(realm="secret", checkpassword=auth_basic.checkpassword_dict(USERS))
    def private(self) -> str:
        return f"hello {framework.request.login}"


@pytest.fixture
def client() -> Client:
    return Client(Root())


def test_public_pages_need_nothing(client: Client) -> None:
    assert client.get("/").body == b"public"


def test_right_credentials_reach_the_handler_with_login_set(client: Client) -> None:
    page = client.get("/private", headers=basic("alice", "wonderland"))
    assert page.status_code == 200
    assert page.text == "hello alice"


def test_non_ascii_credentials_in_utf8(client: Client) -> None:
    page = client.get("/private", headers=basic("юзер", "пароль"))
    assert page.text == "hello юзер"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("alice", "wrong"),
        basic("nobody", "wonderland"),
        basic("alice", ""),
        {"Authorization": "Bearer abc"},
        {"Authorization": 'Digest username="alice"'},
    ],
    ids=["missing", "wrong-password", "unknown-user", "empty-password", "bearer", "digest"],
)
def test_missing_or_wrong_credentials_get_401_with_the_challenge(
    client: Client, headers: dict[str, str]
) -> None:
    page = client.get("/private", headers=headers)
    assert page.status_code == 401
    assert page.headers["WWW-Authenticate"] == 'Basic realm="secret", charset="UTF-8"'
    assert "hello" not in page.text


@pytest.mark.parametrize(
    "value",
    ["Basic", "Basic !!!notbase64", "Basic " + base64.b64encode(b"nocolon").decode(), "Basic a"],
    ids=["no-token", "bad-base64", "no-colon", "short-base64"],
)
def test_malformed_basic_credentials_get_400(client: Client, value: str) -> None:
    page = client.get("/private", headers={"Authorization": value})
    assert page.status_code == 400
    assert "WWW-Authenticate" not in page.headers


def test_latin1_charset_has_no_charset_in_the_challenge() -> None:
    class App:
        @framework.expose
        @framework.tools.auth_basic(
            realm="r", checkpassword=lambda r, u, p: False, accept_charset="ISO-8859-1"
        )
        def index(self) -> str:
            return "x"

    assert Client(App()).get("/").headers["WWW-Authenticate"] == 'Basic realm="r"'


def test_latin1_credentials_fall_back_when_not_utf8(client: Client) -> None:
    check = auth_basic.checkpassword_dict({"zoë": "pw"})

    class App:
        @framework.expose
        @framework.tools.auth_basic(realm="r", checkpassword=check)
        def index(self) -> str:
            return framework.request.login or ""

    assert Client(App()).get("/", headers=basic("zoë", "pw", "latin-1")).text == "zoë"


def test_a_realm_with_a_quote_is_a_config_error(error_records: list[object]) -> None:
    class App:
        @framework.expose
        @framework.tools.auth_basic(realm='bad"realm', checkpassword=lambda r, u, p: True)
        def index(self) -> str:
            return "x"

    assert Client(App()).get("/").status_code == 500


def test_missing_checkpassword_is_a_config_error(error_records: list[object]) -> None:
    class App:
        @framework.expose
        @framework.tools.auth_basic(realm="r")
        def index(self) -> str:
            return "x"

    assert Client(App()).get("/").status_code == 500


def test_checkpassword_dict_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    compared: list[tuple[bytes, bytes]] = []
    real_compare = hmac.compare_digest

    def compare_digest(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr(auth_basic.hmac, "compare_digest", compare_digest)
    check = auth_basic.checkpassword_dict({"alice": "right"})
    assert check("r", "alice", "right") is True
    assert check("r", "alice", "wrong") is False
    # An unknown user costs a comparison too, so timing does not tell who exists.
    assert check("r", "nobody", "right") is False
    assert compared == [(b"right", b"right"), (b"wrong", b"right"), (b"right", b"right")]


def test_basic_auth_called_directly_like_cherrypy() -> None:
    class App:
        @framework.expose
        def index(self) -> str:
            auth_basic.basic_auth("r", lambda realm, user, password: password == "ok")
            return framework.request.login or ""

    client = Client(App())
    assert client.get("/", headers=basic("bob", "ok")).text == "bob"
    assert client.get("/", headers=basic("bob", "no")).status_code == 401


BASIC_SESSION = (
    Req("GET", "/basic/", page="default", status=401, compare=("www-authenticate",)),
    Req(
        "GET",
        "/basic/",
        headers=(("Authorization", "Basic eHVzZXI6eHBhc3N3b3JX"),),
        page="default",
        status=401,
        compare=("www-authenticate",),
    ),
    Req(
        "GET",
        "/basic/",
        headers=(("Authorization", "Basic eHVzZXI6eHBhc3N3b3Jk"),),
        status=200,
        expect_body="Hello xuser",
    ),
    Req(
        "GET",
        "/basic/",
        headers=(("Authorization", "Basic %%%"),),
        page="default",
        status=400,
    ),
)


def test_same_answers_as_cherrypy() -> None:
    assert_app_answers_as_cherrypy(TOOLS_APP, BASIC_SESSION)
