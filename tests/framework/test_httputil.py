"""Specification tests for framework.httputil: headers, statuses, query strings, hosts."""

from __future__ import annotations

import pytest

from framework.httputil import (
    RESPONSE_CODES,
    AcceptElement,
    HeaderElement,
    HeaderMap,
    Host,
    header_elements,
    parse_query_string,
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


@pytest.mark.parametrize("status", [99, 600, "abc", "", "1000", "200 OK\r\nX: y", "200 a\x7fb"])
def test_valid_status_rejects(status: int | str) -> None:
    with pytest.raises(ValueError):
        valid_status(status)


def test_valid_status_message_defaults_to_table() -> None:
    assert valid_status(404)[2] == RESPONSE_CODES[404][1]


def test_valid_status_unknown_code_message_is_reason() -> None:
    assert valid_status("299 Odd")[2] == "Odd"


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


def test_parse_query_string_other_encoding() -> None:
    assert parse_query_string("k=%E9", encoding="latin-1") == {"k": "\u00e9"}


# -- header elements ----------------------------------------------------------------------


def test_header_element_parse() -> None:
    assert HeaderElement.parse('text/html; level=1; name="q x"') == (
        "text/html",
        {"level": "1", "name": "q x"},
    )


def test_header_element_str_round_trip() -> None:
    assert str(HeaderElement.from_str("text/html;level=1")) == "text/html;level=1"


def test_header_element_equality_and_hash() -> None:
    a, b = HeaderElement.from_str("x;p=1"), HeaderElement("x", {"p": "1"})
    assert (a == b, hash(a) == hash(b), a == "x;p=1") == (True, True, False)


def test_header_element_repr() -> None:
    assert repr(HeaderElement("x")) == "HeaderElement('x', {})"


def test_header_element_orders_by_value() -> None:
    assert sorted([HeaderElement("b"), HeaderElement("a")])[0].value == "a"


def test_accept_element_qvalue() -> None:
    assert AcceptElement.from_str("text/html;level=1;q=0.4").qvalue == 0.4


def test_accept_element_q_moved_out_of_params() -> None:
    element = AcceptElement.from_str("text/html;level=1;q=0.4")
    assert element.params == {"level": "1", "q": "0.4"}


def test_accept_element_default_qvalue() -> None:
    assert AcceptElement.from_str("text/html").qvalue == 1.0


def test_accept_element_malformed_qvalue_is_zero() -> None:
    assert AcceptElement.from_str("text/html;q=high").qvalue == 0.0


def test_accept_elements_sorted_best_first() -> None:
    values = [e.value for e in header_elements("Accept", "a;q=0.1, b, c;q=0.5")]
    assert values == ["b", "c", "a"]


def test_accept_equal_quality_sorted_by_text() -> None:
    values = [e.value for e in header_elements("Accept-Charset", "utf-8, latin-1")]
    assert values == ["utf-8", "latin-1"]


def test_accept_element_compares_with_plain_element() -> None:
    assert (AcceptElement.from_str("a;q=0.5") < HeaderElement("b")) is True


def test_te_header_is_parsed_as_accept() -> None:
    assert [e.value for e in header_elements("TE", "gzip;q=0.1, trailers")] == [
        "trailers",
        "gzip",
    ]


def test_plain_header_keeps_order() -> None:
    assert [e.value for e in header_elements("Connection", "b, , a")] == ["b", "a"]


@pytest.mark.parametrize("value", [None, ""])
def test_header_elements_empty(value: str | None) -> None:
    assert header_elements("Accept", value) == []


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
