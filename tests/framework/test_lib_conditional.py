"""ETags and dates: If-Match, If-None-Match, If-(Un)Modified-Since, If-Range."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest

import framework
from framework.lib.conditional import (
    etag_matches,
    if_range_allows,
    parse_etags,
    validate_etags,
    validate_since,
)
from framework.testing import Client

LASTMOD = "Tue, 15 Nov 1994 12:45:26 GMT"


class Root:
    @framework.expose
    def tagged(self, etag: str = '"v1"') -> str:
        framework.response.headers["ETag"] = etag
        validate_etags()
        return "content"

    @framework.expose
    def auto(self) -> str:
        framework.response.body = "the body"
        validate_etags(autotags=True)
        return framework.response.body  # type: ignore[no-any-return]

    @framework.expose
    def dated(self) -> str:
        framework.response.headers["Last-Modified"] = LASTMOD
        validate_since()
        return "dated"


@pytest.fixture
def client() -> Client:
    return Client(Root())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"a", "b"', ['"a"', '"b"']),
        ('W/"a,b" ,"c"', ['W/"a,b"', '"c"']),
        ("*", ["*"]),
        ("", []),
    ],
)
def test_parse_etags(header: str, expected: list[str]) -> None:
    assert parse_etags(header) == expected


@pytest.mark.parametrize(
    ("etag", "candidates", "weak", "expected"),
    [
        ('"a"', ['"a"'], False, True),
        ('"a"', ['W/"a"'], False, False),
        ('W/"a"', ['W/"a"'], False, False),
        ('W/"a"', ['"a"'], True, True),
        ('"a"', ['W/"a"'], True, True),
        ('"a"', ['"b"'], True, False),
        (None, ['"a"'], True, False),
        (None, ["*"], False, True),
    ],
)
def test_etag_comparison(
    etag: str | None, candidates: list[str], weak: bool, expected: bool
) -> None:
    assert etag_matches(etag, candidates, weak=weak) is expected


def test_if_none_match_on_get_is_304_and_keeps_the_etag(client: Client) -> None:
    response = client.get("/tagged", headers={"If-None-Match": '"v0", "v1"'})
    assert response.status_code == 304
    assert response.body == b""
    assert response.headers["ETag"] == '"v1"'


def test_if_none_match_compares_weakly(client: Client) -> None:
    assert client.get("/tagged", headers={"If-None-Match": 'W/"v1"'}).status_code == 304


def test_if_none_match_star_is_304(client: Client) -> None:
    assert client.get("/tagged", headers={"If-None-Match": "*"}).status_code == 304


def test_if_none_match_other_tag_is_200(client: Client) -> None:
    response = client.get("/tagged", headers={"If-None-Match": '"v2"'})
    assert (response.status_code, response.text) == (200, "content")


def test_if_none_match_on_post_is_412(client: Client) -> None:
    assert client.post("/tagged", headers={"If-None-Match": '"v1"'}).status_code == 412


def test_if_match_other_tag_is_412(client: Client) -> None:
    assert client.post("/tagged", headers={"If-Match": '"v2"'}).status_code == 412


def test_if_match_compares_strongly(client: Client) -> None:
    response = client.post("/tagged", params={"etag": 'W/"v1"'}, headers={"If-Match": 'W/"v1"'})
    assert response.status_code == 412


@pytest.mark.parametrize("header", ['"v1"', "*", '"x", "v1"'])
def test_if_match_that_matches_serves_the_page(client: Client, header: str) -> None:
    assert client.post("/tagged", headers={"If-Match": header}).text == "content"


def test_autotags_hash_the_body(client: Client) -> None:
    first = client.get("/auto")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and len(etag) == 34
    assert client.get("/auto", headers={"If-None-Match": etag}).status_code == 304


def test_if_modified_since_the_same_date_is_304(client: Client) -> None:
    assert client.get("/dated", headers={"If-Modified-Since": LASTMOD}).status_code == 304


def test_if_modified_since_a_later_date_is_304(client: Client) -> None:
    later = "Wed, 16 Nov 1994 12:45:26 GMT"
    assert client.get("/dated", headers={"If-Modified-Since": later}).status_code == 304


def test_if_modified_since_an_earlier_date_is_200(client: Client) -> None:
    earlier = "Mon, 14 Nov 1994 12:45:26 GMT"
    assert client.get("/dated", headers={"If-Modified-Since": earlier}).text == "dated"


def test_if_modified_since_garbage_is_ignored(client: Client) -> None:
    assert client.get("/dated", headers={"If-Modified-Since": "yesterday"}).text == "dated"


def test_if_modified_since_is_ignored_when_if_none_match_is_present(client: Client) -> None:
    headers = {"If-Modified-Since": LASTMOD, "If-None-Match": '"other"'}
    assert client.get("/dated", headers=headers).status_code == 200


def test_if_unmodified_since_an_earlier_date_is_412(client: Client) -> None:
    earlier = "Mon, 14 Nov 1994 12:45:26 GMT"
    assert client.post("/dated", headers={"If-Unmodified-Since": earlier}).status_code == 412


def test_if_unmodified_since_the_same_date_passes(client: Client) -> None:
    assert client.post("/dated", headers={"If-Unmodified-Since": LASTMOD}).text == "dated"


@pytest.mark.parametrize(
    ("header", "etag", "lastmod", "expected"),
    [
        (None, None, None, True),
        ('"a"', '"a"', None, True),
        ('"a"', '"b"', None, False),
        ('W/"a"', 'W/"a"', None, False),
        (LASTMOD, None, LASTMOD, True),
        (LASTMOD, None, "Wed, 16 Nov 1994 12:45:26 GMT", False),
        (LASTMOD, None, None, False),
    ],
)
def test_if_range(
    header: str | None, etag: str | None, lastmod: str | None, expected: bool
) -> None:
    assert if_range_allows(header, etag, lastmod) is expected


# -- the etags tool, with expires and gzip ---------------------------------------------
class Page:
    @framework.expose
    def index(self) -> str:
        return "hello " * 100


def etag_client(**extra: object) -> Client:
    conf = {"tools.etags.on": True, "tools.etags.autotags": True, **extra}
    return Client(Page(), config={"/": conf})


def test_the_etags_tool_tags_and_answers_304() -> None:
    client = etag_client()
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.post("/", headers={"If-Match": '"other"'}).status_code == 412


def test_expires_headers_survive_a_304() -> None:
    # force: the autotag comes after expires (priority 75 > 50), as in CherryPy.
    conf = {"tools.expires.on": True, "tools.expires.secs": 60, "tools.expires.force": True}
    client = etag_client(**conf)
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    # Each response computes its own Expires (now + 60 s): the two may straddle a second.
    expires = [parsedate_to_datetime(r.headers["Expires"]) for r in (first, again)]
    assert 0 <= (expires[1] - expires[0]).total_seconds() <= 1
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_gzipped_response_carries_a_weak_tag_that_still_validates() -> None:
    client = etag_client(**{"tools.gzip.on": True})
    gzip = {"Accept-Encoding": "gzip"}
    first = client.get("/", headers=gzip)
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["ETag"].startswith('W/"')
    again = client.get("/", headers={**gzip, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert "Content-Encoding" not in again.headers
