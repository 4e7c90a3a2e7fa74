"""Specification tests for framework.httputil: headers, statuses, query strings, hosts."""

from __future__ import annotations

import pytest

from framework.httputil import (
    RESPONSE_CODES,
    CaseInsensitiveDict,
    HeaderMap,
    Host,
    get_ranges,
    parse_query_string,
    protocol_from_http,
    urljoin,
    urljoin_bytes,
    valid_status,
)

# -- HeaderMap ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["content-type", "CONTENT-TYPE", "Content-Type", "cOnTeNt-TyPe"]
)
def test_headermap_get_is_case_insensitive(spelling: str) -> None:
    headers = HeaderMap({"content-type": "text/plain"})
    assert headers[spelling] == "text/plain"


def test_headermap_stores_title_case() -> None:
    headers = HeaderMap()
    headers["x-custom-thing"] = "1"
    assert list(headers) == ["X-Custom-Thing"]


def test_headermap_contains_any_case() -> None:
    assert "HOST" in HeaderMap({"Host": "h"})


def test_headermap_contains_non_string_is_false() -> None:
    assert HeaderMap({"Host": "h"}).__contains__(1) is False


def test_headermap_delete_any_case() -> None:
    headers = HeaderMap({"Host": "h"})
    del headers["host"]
    assert "Host" not in headers


def test_headermap_get_default() -> None:
    assert HeaderMap().get("missing", "d") == "d"


def test_headermap_pop_any_case() -> None:
    headers = HeaderMap({"X-A": "1"})
    assert (headers.pop("x-a"), "X-A" in headers) == ("1", False)


def test_headermap_pop_default() -> None:
    assert HeaderMap().pop("x-a", None) is None


def test_headermap_setdefault_keeps_existing() -> None:
    headers = HeaderMap({"X-A": "1"})
    assert (headers.setdefault("x-a", "2"), headers.setdefault("x-b", "3")) == ("1", "3")


def test_headermap_update_from_pairs_and_keywords() -> None:
    headers = HeaderMap()
    headers.update([("x-a", "1")], x_b="2")
    assert dict(headers) == {"X-A": "1", "X_B": "2"}


def test_headermap_copy_is_independent_headermap() -> None:
    original = HeaderMap({"X-A": "1"})
    copy = original.copy()
    copy["x-a"] = "2"
    assert (type(copy), original["X-A"]) == (HeaderMap, "1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", [("X-A", "plain")]),
        (5, [("X-A", "5")]),
        (["a", "b"], [("X-A", "a"), ("X-A", "b")]),
        (("a\r\nb",), [("X-A", "a  b")]),
        ("a\r\nInjected: 1", [("X-A", "a  Injected: 1")]),
        ("a\x00b", [("X-A", "a b")]),
    ],
)
def test_headermap_output(value: object, expected: list[tuple[str, str]]) -> None:
    assert HeaderMap({"X-A": value}).output() == expected


@pytest.mark.parametrize("name", ["X-A\r\nB", "X A", "X:A", ""])
def test_headermap_output_rejects_invalid_names(name: str) -> None:
    headers = HeaderMap()
    dict.__setitem__(headers, name, "v")
    with pytest.raises(ValueError, match="header name"):
        headers.output()


def test_headermap_elements() -> None:
    headers = HeaderMap({"Content-Type": "text/html; charset=utf-8"})
    (element,) = headers.elements("content-type")
    assert (element.value, element.params) == ("text/html", {"charset": "utf-8"})


def test_headermap_values_of_key() -> None:
    headers = HeaderMap({"Accept": "text/html;q=0.5, application/json"})
    assert headers.values("accept") == ["application/json", "text/html"]


def test_headermap_values_without_key_is_dict_values() -> None:
    assert list(HeaderMap({"X-A": "1"}).values()) == ["1"]


# -- valid_status -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, (200, "OK")),
        ("", (200, "OK")),  # COMPAT: CherryPy's test_core sets response.status = ''
        (200, (200, "OK")),
        ("404", (404, "Not Found")),
        ("404 Gone Fishing", (404, "Gone Fishing")),
        (" 201 ", (201, "Created")),
        (299, (299, "Unknown")),
        ("599 Custom", (599, "Custom")),
    ],
)
def test_valid_status(status: int | str | None, expected: tuple[int, str]) -> None:
    assert valid_status(status)[:2] == expected


@pytest.mark.parametrize("status", [99, 600, "abc", " ", "1000", "200 OK\r\nX: y", "200 a\x7fb"])
def test_valid_status_rejects(status: int | str) -> None:
    with pytest.raises(ValueError):
        valid_status(status)


def test_valid_status_message_defaults_to_table() -> None:
    assert valid_status(404)[2] == RESPONSE_CODES[404][1]


def test_valid_status_unknown_code_has_no_message() -> None:
    # COMPAT: CherryPy's test_httputil expects (444, 'Non-existent reason', '').
    assert valid_status("444 Non-existent reason") == (444, "Non-existent reason", "")


@pytest.mark.parametrize("status", [{"hey": "hi"}, [404], 4.04])
def test_valid_status_rejects_other_types_as_non_numeric(status: object) -> None:
    with pytest.raises(ValueError, match="is non-numeric"):
        valid_status(status)  # type: ignore[arg-type]


def test_valid_status_is_repeatable() -> None:
    assert valid_status("418") == valid_status("418")


# -- query strings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qs", "expected"),
    [
        ("", {}),
        ("a=1", {"a": "1"}),
        ("a=1&b=2", {"a": "1", "b": "2"}),
        ("a=1;b=2", {"a": "1", "b": "2"}),
        ("a=1&a=2&a=3", {"a": ["1", "2", "3"]}),
        ("a=", {"a": ""}),
        ("a", {"a": ""}),
        ("a=1&&b=2", {"a": "1", "b": "2"}),
        ("a+b=c+d", {"a b": "c d"}),
        ("k=%41%42", {"k": "AB"}),
        ("k=caf%C3%A9", {"k": "caf\u00e9"}),
        ("k=%zz", {"k": "%zz"}),
        ("k=100%", {"k": "100%"}),
        ("%6B=v", {"k": "v"}),
        ("k=a%26b", {"k": "a&b"}),
    ],
)
def test_parse_query_string(qs: str, expected: dict[str, object]) -> None:
    assert parse_query_string(qs) == expected


@pytest.mark.parametrize("qs", ["k=%ff", "%ff=v", "k=%c3%28"])
def test_parse_query_string_rejects_invalid_utf8(qs: str) -> None:
    with pytest.raises(UnicodeDecodeError):
        parse_query_string(qs)


@pytest.mark.parametrize(
    ("qs", "expected"), [("223,114", {"x": 223, "y": 114}), ("1,b", {"1,b": ""})]
)
def test_parse_query_string_reads_an_image_map_click(qs: str, expected: dict[str, object]) -> None:
    assert parse_query_string(qs) == expected


def test_parse_query_string_other_encoding() -> None:
    assert parse_query_string("k=%E9", encoding="latin-1") == {"k": "\u00e9"}


# -- Host ---------------------------------------------------------------------------------


def test_host_defaults() -> None:
    assert Host() == ("0.0.0.0", 80, "unknown.tld")


def test_host_fields() -> None:
    host = Host("127.0.0.1", 8080, "localhost")
    assert (host.ip, host.port, host.name) == ("127.0.0.1", 8080, "localhost")


def test_host_repr() -> None:
    assert repr(Host("1.2.3.4", 1, "n")) == "httputil.Host('1.2.3.4', 1, 'n')"


def test_response_codes_cover_common_statuses() -> None:
    assert all(code in RESPONSE_CODES for code in (200, 301, 302, 303, 304, 400, 404, 500))


# -- CaseInsensitiveDict, bytes and non-Latin-1 headers -------------------------------------


def test_case_insensitive_dict_is_headermaps_base_without_http_methods() -> None:
    data = CaseInsensitiveDict({"x-a": 1})
    assert (data["X-A"], list(data), isinstance(HeaderMap(), CaseInsensitiveDict)) == (
        1,
        ["X-A"],
        True,
    )
    assert not hasattr(data, "output")


def test_case_insensitive_dict_copy_and_fromkeys_keep_the_class() -> None:
    assert type(CaseInsensitiveDict({"a": 1}).copy()) is CaseInsensitiveDict
    assert CaseInsensitiveDict.fromkeys(["x-y"], 0) == {"X-Y": 0}


def test_headermap_takes_bytes_names_and_values() -> None:
    headers = HeaderMap()
    headers[b"x-raw"] = b"Bytes given header"  # type: ignore[index]
    assert "X-Raw" in headers
    assert headers.output() == [("X-Raw", "Bytes given header")]


def test_headermap_output_sends_non_latin1_values_as_rfc2047() -> None:
    headers = HeaderMap({"ETag": "\u212bngstr\xf6m", "X-Latin": "d\xf6g"})
    assert headers.output() == [("ETag", "=?utf-8?b?4oSrbmdzdHLDtm0=?="), ("X-Latin", "d\xf6g")]


def test_headermap_output_never_lets_a_value_split_the_header() -> None:
    assert HeaderMap({"X-A": "1\r\nSet-Cookie: x=1"}).output() == [("X-A", "1  Set-Cookie: x=1")]


# -- urljoin ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script_name", "path_info", "expected"),
    [
        ("/sn/", "/pi/", "/sn/pi/"),
        ("/sn/", "", "/sn/"),
        ("/sn", "", "/sn"),
        ("/", "/", "/"),
        ("", "", "/"),
        ("", "/pi", "/pi"),
    ],
)
def test_urljoin_joins_script_name_and_path_info(
    script_name: str, path_info: str, expected: str
) -> None:
    assert urljoin(script_name, path_info) == expected
    assert urljoin_bytes(script_name.encode(), path_info.encode()) == expected.encode()


def test_protocol_from_http() -> None:
    assert protocol_from_http("HTTP/1.0") == (1, 0)


# -- Range --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=3-6", [(3, 7)]),
        ("bytes=2-4,-1", [(2, 5), (7, 8)]),
        ("bytes=-100", [(0, 8)]),  # a suffix longer than the content: all of it
        ("bytes=5-", [(5, 8)]),
        ("bytes=5-100", [(5, 8)]),  # the last byte position is clamped
        ("bytes=8-9", []),  # nothing satisfiable: 416
        ("bytes=8-", []),  # an open range from the end: unsatisfiable too, not invalid
        ("bytes=9-", []),
        ("bytes=6-3", None),  # invalid: ignore the header
        ("bytes=-", None),
        ("bytes=a-b", None),
        ("items=0-1", None),
        ("bytes 0-1", None),
        ("", None),
        (None, None),
    ],
)
def test_get_ranges(header: str | None, expected: list[tuple[int, int]] | None) -> None:
    assert get_ranges(header, 8) == expected


def test_valid_status_names_the_non_numeric_code_not_the_reason() -> None:
    # COMPAT: CherryPy's message quotes the code part only: ('ZOO' is non-numeric).
    with pytest.raises(ValueError, match=r"\('ZOO' is non-numeric\)"):
        valid_status("ZOO OK")


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("X-QA", "X-QA"),
        ("WWW-Authenticate", "WWW-Authenticate"),
        ("ETag", "ETag"),
        ("x-qa", "X-Qa"),
        ("content-type", "Content-Type"),
        ("X-Request-Id", "X-Request-Id"),
    ],
)
def test_headermap_sends_a_name_as_it_was_spelled_unless_all_lower_case(
    given: str, sent: str
) -> None:
    headers = HeaderMap()
    headers[given] = "1"
    assert headers[given.lower()] == "1"
    assert headers.output() == [(sent, "1")]
    assert headers.copy().output() == [(sent, "1")]


def test_headermap_keeps_spellings_given_through_update_and_setdefault() -> None:
    headers = HeaderMap({"X-QA": "1"})
    headers.update([("X-CSRF-Token", "t")])
    headers.setdefault("X-UA-Compatible", "IE=edge")
    assert [name for name, _ in headers.output()] == ["X-QA", "X-CSRF-Token", "X-UA-Compatible"]


def test_host_is_mutable_and_unpacks_like_a_tuple() -> None:
    # COMPAT: CherryPy apps set request.remote.name / .ip.
    host = Host("1.2.3.4", 1, "n")
    host.name = "renamed"
    ip, port, name = host
    assert (ip, port, name) == ("1.2.3.4", 1, "renamed")
    assert host == Host("1.2.3.4", 1, "renamed") != ("1.2.3.4", 1, "n")
