"""framework.lib.httputil: CherryPy's ``cherrypy.lib.httputil`` names and signatures."""

from __future__ import annotations

import pytest

from framework import headers, httputil
from framework.lib import httputil as lib


@pytest.mark.parametrize(
    "name",
    [
        "urljoin",
        "urljoin_bytes",
        "get_ranges",
        "protocol_from_http",
        "CaseInsensitiveDict",
        "HeaderMap",
        "Host",
        "valid_status",
    ],
)
def test_httputil_names_are_the_frameworks_own(name: str) -> None:
    assert getattr(lib, name) is getattr(httputil, name)


@pytest.mark.parametrize(
    "name",
    [
        "HeaderElement",
        "AcceptElement",
        "header_elements",
        "parse_header",
        "decode_TEXT",
        "decode_TEXT_maybe",
        "HTTPDate",
    ],
)
def test_header_names_are_the_frameworks_own(name: str) -> None:
    assert getattr(lib, name) is getattr(headers, name)


def test_response_codes_map_a_code_to_reason_and_message() -> None:
    assert lib.response_codes[404] == ("Not Found", "Nothing matches the given URI")


def test_parse_query_string_takes_cherrypys_keep_blank_values_argument() -> None:
    assert lib.parse_query_string("a=&b=1") == {"a": "", "b": "1"}
    assert lib.parse_query_string("a=&b=1", False) == {"b": "1"}
    assert lib.parse_query_string("k=%E9", encoding="latin-1") == {"k": "\xe9"}


def test_cherrypys_patterns_and_sanitized_host() -> None:
    from framework.lib.httputil import (
        RE_HEADER_SPLIT,
        SanitizedHost,
        image_map_pattern,
        q_separator,
    )

    assert RE_HEADER_SPLIT.split('a, b="x,y", c') == ["a", ' b="x,y"', " c"]
    assert q_separator.split("text/html; q=0.5") == ["text/html", "0.5"]
    assert image_map_pattern.match("12,34")
    host = SanitizedHost("evil\r\nhost")
    assert host == "evilhost" and host.raw == "evil\r\nhost"
    assert type(SanitizedHost("example.com")) is str
