"""tools.auth_digest: HTTP Digest authentication (RFC 7616) with MD5 and SHA-256.

The client side is written here from the RFC (hashlib only), so the tests do not lean
on the code under test to compute what a browser would send. Covered: the challenge,
right and wrong credentials, malformed headers (400), replayed nonce counts, stale and
forged nonces, SHA-256, the RFC's own example digests and the credential stores.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import framework
from framework.lib import auth_digest, digest
from framework.testing import Client, TestResponse

USERS = {"alice": "wonderland", "☃йюзер": "їпароль"}
KEY = "a565c27146791cfb"


def h(algorithm: str, text: str) -> str:
    name = {"MD5": "md5", "SHA-256": "sha256"}[algorithm.removesuffix("-sess")]
    return hashlib.new(name, text.encode("utf-8")).hexdigest()


def challenge(page: TestResponse) -> dict[str, str]:
    header = page.headers["WWW-Authenticate"]
    assert header.startswith("Digest ")
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def answer(
    fields: dict[str, str],
    user: str = "alice",
    password: str = "wonderland",
    uri: str = "/private",
    nc: str = "00000001",
    method: str = "GET",
    realm: str | None = None,
) -> dict[str, str]:
    """The Authorization header a client sends for ``fields`` (RFC 7616 section 3.4)."""
    algorithm = fields["algorithm"]
    realm = realm if realm is not None else fields["realm"]
    cnonce = "0a4f113b"
    ha1 = h(algorithm, f"{user}:{realm}:{password}")
    if algorithm.endswith("-sess"):
        ha1 = h(algorithm, f"{ha1}:{fields['nonce']}:{cnonce}")
    ha2 = h(algorithm, f"{method}:{uri}")
    response = h(algorithm, f"{ha1}:{fields['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    header = (
        f'Digest username="{user}", realm="{realm}", nonce="{fields["nonce"]}", '
        f'uri="{uri}", algorithm={algorithm}, response="{response}", qop=auth, '
        f'nc={nc}, cnonce="{cnonce}"'
    )
    return {"Authorization": header.encode("utf-8").decode("latin-1")}


def make_client(**options: object) -> Client:
    conf = {"realm": "localhost", "get_ha1": auth_digest.get_ha1_dict_plain(USERS), "key": KEY}
    conf.update(options)

    class Root:
        @framework.expose
        def index(self) -> str:
            return "public"

        @framework.expose
        @framework.tools.auth_digest(**conf)
        def private(self) -> str:
            return f"hello {framework.request.login}"

    return Client(Root())


@pytest.fixture(autouse=True)
def _fresh_nonce_counts() -> Iterator[None]:
    digest.nonce_counts.clear()
    yield
    digest.nonce_counts.clear()


@pytest.fixture
def client() -> Client:
    return make_client()


def test_no_credentials_get_the_challenge(client: Client) -> None:
    page = client.get("/private")
    assert page.status_code == 401
    fields = challenge(page)
    assert fields["realm"] == "localhost"
    assert fields["algorithm"] == "MD5"
    assert fields["qop"] == "auth"
    assert fields["charset"] == "UTF-8"
    assert "stale" not in fields
    assert client.get("/").text == "public"


@pytest.mark.parametrize("user", ["alice", "☃йюзер"])
def test_right_credentials_reach_the_handler(client: Client, user: str) -> None:
    fields = challenge(client.get("/private"))
    page = client.get("/private", headers=answer(fields, user, USERS[user]))
    assert page.status_code == 200
    assert page.text == f"hello {user}"


@pytest.mark.parametrize(
    ("user", "password", "realm"),
    [("alice", "wrong", None), ("nobody", "wonderland", None), ("alice", "wonderland", "other")],
    ids=["wrong-password", "unknown-user", "wrong-realm"],
)
def test_wrong_credentials_get_401(
    client: Client, user: str, password: str, realm: str | None
) -> None:
    fields = challenge(client.get("/private"))
    page = client.get("/private", headers=answer(fields, user, password, realm=realm))
    assert page.status_code == 401
    assert challenge(page)["realm"] == "localhost"


def test_another_scheme_gets_401(client: Client) -> None:
    page = client.get("/private", headers={"Authorization": "Basic foo:bar"})
    assert page.status_code == 401
    assert page.headers["WWW-Authenticate"].startswith("Digest ")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: h.replace("qop=auth", "qop=auth-int"),
        lambda h: re.sub(r", qop=auth, nc=\w+, cnonce=\"\w+\"", "", h),
        lambda h: h.replace("algorithm=MD5", "algorithm=SHA-1"),
        lambda h: re.sub(r'response="\w+", ', "", h),
        lambda h: h.replace("nc=00000001", "nc=zz"),
        lambda h: "Digest garbage",
        lambda h: h.replace('uri="/private"', 'uri="/elsewhere"'),
    ],
    ids=["auth-int", "no-qop", "unknown-algorithm", "no-response", "bad-nc", "garbage", "uri"],
)
def test_malformed_credentials_get_400(client: Client, mangle: object) -> None:
    fields = challenge(client.get("/private"))
    header = answer(fields)["Authorization"]
    page = client.get("/private", headers={"Authorization": mangle(header)})  # type: ignore[operator]
    assert page.status_code == 400


def test_a_replayed_nonce_count_is_refused(client: Client) -> None:
    fields = challenge(client.get("/private"))
    first = answer(fields, nc="00000001")
    assert client.get("/private", headers=first).status_code == 200
    replay = client.get("/private", headers=first)
    assert replay.status_code == 401
    assert "stale" not in challenge(replay)
    # The next count on the same nonce is fine; going back is not.
    assert client.get("/private", headers=answer(fields, nc="00000002")).status_code == 200
    assert client.get("/private", headers=answer(fields, nc="00000002")).status_code == 401
    assert client.get("/private", headers=answer(fields, nc="00000001")).status_code == 401


def test_every_challenge_has_its_own_nonce(client: Client) -> None:
    first = challenge(client.get("/private"))
    second = challenge(client.get("/private"))
    assert first["nonce"] != second["nonce"]
    # Two clients challenged in the same second both use nc=1 without a false replay.
    assert client.get("/private", headers=answer(first)).status_code == 200
    assert client.get("/private", headers=answer(second)).status_code == 200


def test_a_stale_nonce_gets_stale_true(client: Client) -> None:
    old = digest.synthesize_nonce("localhost", KEY, int(time.time()) - digest.NONCE_LIFETIME - 5)
    fields = {"realm": "localhost", "nonce": old, "algorithm": "MD5"}
    page = client.get("/private", headers=answer(fields))
    assert page.status_code == 401
    renewed = challenge(page)
    assert renewed["stale"] == "true"
    assert renewed["nonce"] != old
    assert client.get("/private", headers=answer(renewed)).status_code == 200


def test_a_stale_nonce_with_a_wrong_password_is_not_called_stale(client: Client) -> None:
    old = digest.synthesize_nonce("localhost", KEY, int(time.time()) - digest.NONCE_LIFETIME - 5)
    fields = {"realm": "localhost", "nonce": old, "algorithm": "MD5"}
    page = client.get("/private", headers=answer(fields, password="wrong"))
    assert page.status_code == 401
    assert "stale" not in challenge(page)


@pytest.mark.parametrize(
    "nonce",
    [
        f"{int(time.time())}:{'0' * 64}",
        digest.synthesize_nonce("localhost", "another key"),
        digest.synthesize_nonce("another realm", KEY),
        "not-a-nonce",
    ],
    ids=["forged-signature", "other-key", "other-realm", "garbage"],
)
def test_a_nonce_we_did_not_sign_is_refused(client: Client, nonce: str) -> None:
    fields = {"realm": "localhost", "nonce": nonce, "algorithm": "MD5"}
    assert client.get("/private", headers=answer(fields)).status_code == 401


@pytest.mark.parametrize("algorithm", ["SHA-256", "SHA-256-sess", "MD5-sess"])
def test_other_algorithms(algorithm: str) -> None:
    client = make_client(algorithm=algorithm)
    fields = challenge(client.get("/private"))
    assert fields["algorithm"] == algorithm
    assert client.get("/private", headers=answer(fields)).text == "hello alice"


def test_several_algorithms_are_offered_preferred_first() -> None:
    client = make_client(algorithm=["SHA-256", "MD5"])
    header = client.get("/private").headers["WWW-Authenticate"]
    assert re.findall(r'algorithm="([^"]+)"', header) == ["SHA-256", "MD5"]
    assert header.count("Digest ") == 2
    nonce = re.findall(r'nonce="([^"]+)"', header)[0]
    fields = {"realm": "localhost", "nonce": nonce, "algorithm": "MD5"}
    assert client.get("/private", headers=answer(fields)).status_code == 200


def test_an_algorithm_not_offered_is_refused() -> None:
    client = make_client(algorithm="SHA-256")
    nonce = challenge(client.get("/private"))["nonce"]
    fields = {"realm": "localhost", "nonce": nonce, "algorithm": "MD5"}
    assert client.get("/private", headers=answer(fields)).status_code == 401


@pytest.mark.parametrize(
    ("options", "error"),
    [({"key": ""}, "key"), ({"algorithm": "SHA-1"}, "algorithm"), ({"realm": 'a"b'}, "Realm")],
)
def test_bad_config_is_a_500(options: dict[str, str], error: str, error_records: list) -> None:
    assert make_client(**options).get("/private").status_code == 500
    assert any(error in str(record.exc_info) for record in error_records if record.exc_info)


def test_rfc_7616_example_digests() -> None:
    """RFC 7616 section 3.9.1: the same request with MD5 and SHA-256."""
    expected = {
        "MD5": "8ca523f5e9506fed4657c9700eebdbec",
        "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    }
    for algorithm, response in expected.items():
        header = (
            'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
            f'algorithm={algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
            'nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
            f'response="{response}"'
        )
        auth = digest.HttpDigestAuthorization(header, "GET")
        ha1 = auth_digest.get_ha1_dict_plain({"Mufasa": "Circle of Life"})(
            "http-auth@example.org", "Mufasa", algorithm
        )
        assert ha1 is not None
        assert auth.request_digest(ha1) == response


def test_username_star_is_decoded() -> None:
    header = (
        'Digest username*=UTF-8\'\'%E2%98%83, realm="r", nonce="1:x", uri="/", '
        'response="x", qop=auth, nc=00000001, cnonce="c"'
    )
    assert digest.HttpDigestAuthorization(header, "GET").username == "☃"


def test_credential_stores(tmp_path: Path) -> None:
    plain = auth_digest.get_ha1_dict_plain({"alice": "pw"})
    md5 = h("MD5", "alice:r:pw")
    assert plain("r", "alice") == md5
    assert plain("r", "alice", algorithm="SHA-256") == h("SHA-256", "alice:r:pw")
    assert plain("r", "bob") is None
    by_hash = auth_digest.get_ha1_dict({"alice": md5})
    assert by_hash("r", "alice") == md5
    assert by_hash("r", "alice", algorithm="SHA-256") is None
    htdigest = tmp_path / "users.htdigest"
    htdigest.write_text(f"bob:other:{'0' * 32}\nalice:r:{md5}\n")
    from_file = auth_digest.get_ha1_file_htdigest(str(htdigest))
    assert from_file("r", "alice") == md5
    assert from_file("r", "bob") is None
    assert from_file("r", "alice", algorithm="SHA-256") is None


def test_the_challenge_builder_refuses_unknown_values() -> None:
    with pytest.raises(ValueError, match="qop"):
        digest.www_authenticate("r", KEY, qop="other")
    with pytest.raises(ValueError, match="algorithm"):
        digest.www_authenticate("r", KEY, algorithm="SHA-1")
    assert 'stale="true"' in digest.www_authenticate("r", KEY, stale=True)
    assert "charset" not in digest.www_authenticate("r", KEY, accept_charset="iso-8859-1")


def test_nonce_counts_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digest._NonceCounts, "limit", 3)
    counts = digest._NonceCounts()
    now = time.time()
    assert counts.advance("old", 1, now - digest.NONCE_LIFETIME - 1)
    for name in ("a", "b", "c"):
        assert counts.advance(name, 1, now)
    assert len(counts._seen) == 3
    assert "old" not in counts._seen  # expired entries go first
    assert counts.advance("d", 1, now)
    assert len(counts._seen) == 3


def test_digest_auth_called_directly_like_cherrypy() -> None:
    get_ha1 = auth_digest.get_ha1_dict_plain(USERS)

    class App:
        @framework.expose
        def index(self) -> str:
            auth_digest.digest_auth("localhost", get_ha1, KEY)
            return framework.request.login or ""

    client = Client(App())
    fields = challenge(client.get("/"))
    assert client.get("/", headers=answer(fields, uri="/")).text == "alice"
