"""Specification of the ``encode`` tool (:mod:`framework.lib.encoding`).

The tool is on by default: text bodies are encoded in the charset negotiated from
``Accept-Charset`` (UTF-8 preferred) and ``text/*`` content types get a charset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import framework
from framework.errors import HTTPError
from framework.lib.encoding import find_acceptable_charset
from framework.testing import Client, TestResponse


def serve(
    page: Callable[[], Any], config: dict[str, Any] | None = None, **kwargs: Any
) -> TestResponse:
    class Root:
        @framework.expose
        def index(self) -> Any:
            return page()

    return Client(Root(), config={"/": config or {}}).get("/", **kwargs)


def typed(ctype: str, body: Any) -> Callable[[], Any]:
    def page() -> Any:
        framework.response.headers["Content-Type"] = ctype
        return body

    return page


# -- negotiation ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "utf-8"),
        ("", "utf-8"),
        ("utf-8", "utf-8"),
        ("UTF-8", "utf-8"),
        ("*", "utf-8"),
        ("utf8", "utf-8"),
        ("iso-8859-1;q=0.5, utf-8;q=0.9", "utf-8"),
        ("iso-8859-5", "iso-8859-5"),
        ("utf-8;q=0, iso-8859-2", "iso-8859-2"),
        ("x-unknown-charset, utf-16", "utf-16"),
        ("utf-8;q=0, x-unknown", "iso-8859-1"),
        ("*;q=0, utf-8;q=0, latin-1;q=0, , koi8-r", "koi8-r"),
    ],
)
def test_find_acceptable_charset(header: str | None, expected: str) -> None:
    assert find_acceptable_charset(header, "utf-8") == expected


@pytest.mark.parametrize("header", ["utf-8;q=0, iso-8859-1;q=0", "*;q=0", "*;q=0, x-unknown"])
def test_find_acceptable_charset_406_when_nothing_fits(header: str) -> None:
    with pytest.raises(HTTPError) as info:
        find_acceptable_charset(header, "utf-8")
    assert info.value.code == 406


def test_body_is_utf8_by_default() -> None:
    response = serve(lambda: "é")
    assert (response.body, response.headers["Content-Type"]) == (
        "é".encode(),
        "text/html;charset=utf-8",
    )


def test_accept_charset_picks_the_encoding() -> None:
    response = serve(lambda: "é", headers={"Accept-Charset": "iso-8859-1, utf-8;q=0"})
    assert (response.body, response.headers["Content-Type"]) == (
        b"\xe9",
        "text/html;charset=iso-8859-1",
    )


def test_unacceptable_accept_charset_is_406() -> None:
    response = serve(lambda: "x", headers={"Accept-Charset": "utf-8;q=0, iso-8859-1;q=0"})
    assert response.status_code == 406


# -- configuration ----------------------------------------------------------------------
def test_encode_off_leaves_content_type_without_charset() -> None:
    response = serve(lambda: "é", {"tools.encode.on": False})
    assert response.headers["Content-Type"] == "text/html"


def test_encode_off_still_sends_text_as_utf8() -> None:
    assert serve(lambda: "é", {"tools.encode.on": False}).body == "é".encode()


def test_encode_off_ignores_accept_charset() -> None:
    response = serve(lambda: "x", {"tools.encode.on": False}, headers={"Accept-Charset": "koi8-r"})
    assert response.status_code == 200


def test_encoding_argument_forces_the_charset() -> None:
    response = serve(lambda: "é", {"tools.encode.encoding": "utf-16-le"})
    assert (response.body, response.headers["Content-Type"]) == (
        "é".encode("utf-16-le"),
        "text/html;charset=utf-16-le",
    )


def test_default_encoding_argument_changes_the_preference() -> None:
    response = serve(lambda: "é", {"tools.encode.default_encoding": "iso-8859-1"})
    assert response.body == b"\xe9"


def test_charset_declared_by_the_handler_wins() -> None:
    response = serve(typed('text/plain; charset="iso-8859-15"', "€"))
    assert (response.body, response.headers["Content-Type"]) == (
        "€".encode("iso-8859-15"),
        'text/plain; charset="iso-8859-15"',
    )


def test_non_text_types_get_no_charset() -> None:
    response = serve(typed("application/xml", "<a/>"))
    assert response.headers["Content-Type"] == "application/xml"


def test_text_only_false_adds_charset_to_any_type() -> None:
    response = serve(typed("application/xml", "<a/>"), {"tools.encode.text_only": False})
    assert response.headers["Content-Type"] == "application/xml;charset=utf-8"


def test_add_charset_false_leaves_content_type_alone() -> None:
    response = serve(lambda: "x", {"tools.encode.add_charset": False})
    assert response.headers["Content-Type"] == "text/html"


def test_text_the_first_charset_cannot_encode_goes_out_in_the_next_one() -> None:
    response = serve(lambda: "€", headers={"Accept-Charset": "iso-8859-1;q=1, utf-16;q=0.5"})
    assert (response.status_code, response.body, response.headers["Content-Type"]) == (
        200,
        "€".encode("utf-16"),
        "text/html;charset=utf-16",
    )


def test_the_client_preference_wins_over_ours() -> None:
    response = serve(lambda: "é", headers={"Accept-Charset": "iso-8859-1;q=1, utf-8;q=0.5"})
    assert response.headers["Content-Type"] == "text/html;charset=iso-8859-1"


@pytest.mark.parametrize("body", ["€", ["a", "€"]], ids=["str", "list"])
def test_text_no_accepted_charset_encodes_is_a_406_naming_what_was_tried(body: Any) -> None:
    response = serve(lambda: body, headers={"Accept-Charset": "us-ascii, ISO-8859-1, x-mac-ce"})
    assert response.status_code == 406
    assert (
        "Your client sent this Accept-Charset header: us-ascii, ISO-8859-1, x-mac-ce. "
        "We tried these charsets: ISO-8859-1, us-ascii, x-mac-ce."
    ) in response.text


def test_a_charset_a_client_must_never_choose_is_not_used() -> None:
    response = serve(lambda: "<script>", headers={"Accept-Charset": "utf-7"})
    assert response.headers["Content-Type"] == "text/html;charset=iso-8859-1"
    only_utf7 = serve(lambda: "<script>", headers={"Accept-Charset": "utf-7, *;q=0"})
    assert (only_utf7.status_code, b"+ADw-" in only_utf7.body) == (406, False)


def test_a_malformed_quality_is_a_400() -> None:
    response = serve(lambda: "x", headers={"Accept-Charset": "ISO-8859-1,utf-8;q=0.7,*;q=0.7)"})
    assert response.status_code == 400


def test_a_forced_encoding_the_client_refuses_is_a_406() -> None:
    config = {"tools.encode.encoding": "utf-8"}
    assert serve(lambda: "x", config, headers={"Accept-Charset": "us-ascii"}).status_code == 406
    assert serve(lambda: "x", config, headers={"Accept-Charset": "*"}).status_code == 200


def test_text_our_own_charset_cannot_encode_is_a_500() -> None:
    response = serve(lambda: "\ud800")  # a lone surrogate: no UTF-8 for it
    assert response.status_code == 500


def test_before_finalize_hooks_see_the_encoded_body() -> None:
    seen: list[Any] = []

    def look() -> None:
        seen.extend(framework.response.body)

    response = serve(lambda: "é", {"hooks.before_finalize": look})
    assert (seen, response.body) == (["é".encode()], "é".encode())


def test_an_error_in_a_generator_is_the_handlers() -> None:
    reached: list[str] = []

    def page() -> Iterator[str]:
        yield "partial"
        raise ValueError("boom")

    response = serve(page, {"hooks.before_finalize": lambda: reached.append("finalize")})
    assert (response.status_code, reached) == (500, [])


def test_errors_argument_replaces_unencodable_characters() -> None:
    response = serve(
        lambda: "a€",
        {"tools.encode.errors": "replace"},
        headers={"Accept-Charset": "iso-8859-1, utf-8;q=0"},
    )
    assert response.body == b"a?"


# -- body shapes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (["é", b"\xff", "ü"], b"\xe9\xff\xfc"),
        ([b"raw"], b"raw"),
        ([b"a", b"b"], b"ab"),
        ([], b""),
    ],
    ids=["mixed-list", "one-bytes", "bytes-list", "empty"],
)
def test_list_bodies_are_encoded_chunk_by_chunk(body: list[Any], expected: bytes) -> None:
    response = serve(lambda: body, headers={"Accept-Charset": "iso-8859-1"})
    assert response.body == expected


def test_generator_body_is_encoded() -> None:
    def page() -> Iterator[Any]:
        yield "é"
        yield b"!"

    assert serve(page, headers={"Accept-Charset": "iso-8859-1"}).body == b"\xe9!"


def test_streamed_body_is_encoded_lazily() -> None:
    def page() -> Iterator[str]:
        framework.response.stream = True
        return iter(["é", "ü"])

    response = serve(page, headers={"Accept-Charset": "iso-8859-1"})
    assert (response.body, "Content-Length" in response.headers) == (b"\xe9\xfc", False)


def test_decode_tool_chooses_the_form_charsets() -> None:
    class Root:
        @framework.expose
        @framework.tools.decode(encoding="latin-1")
        def latin(self, name: str) -> str:
            return name

        @framework.expose
        @framework.tools.decode(default_encoding="latin-1")
        def either(self, name: str) -> str:
            return name

        @framework.expose
        def strict(self, name: str) -> str:
            return name

    client = Client(Root())
    latin1 = "name=caf%E9"  # "café" in latin-1: not valid UTF-8
    utf8 = "name=caf%C3%A9"
    form = "application/x-www-form-urlencoded"
    assert client.post("/latin", data=latin1, content_type=form).text == "café"
    assert client.post("/latin", data=utf8, content_type=form).text == "cafÃ©"
    assert client.post("/either", data=utf8, content_type=form).text == "café"
    assert client.post("/either", data=latin1, content_type=form).text == "café"
    assert client.post("/strict", data=latin1, content_type=form).status_code == 400
