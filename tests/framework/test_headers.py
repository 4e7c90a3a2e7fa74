"""Specification tests for framework.headers: elements, parameters, encoded words, dates."""

from __future__ import annotations

import email.utils

import pytest

from framework.headers import (
    AcceptElement,
    HeaderElement,
    HTTPDate,
    decode_header_value,
    decode_TEXT,
    decode_TEXT_maybe,
    header_elements,
    parse_header,
    split_elements,
)

# -- quoting and escapes ------------------------------------------------------------------


def test_a_quoted_comma_does_not_split_elements() -> None:
    elements = header_elements("X-List", 'text/x; p="a,b", other')
    assert [(e.value, e.params) for e in elements] == [("text/x", {"p": "a,b"}), ("other", {})]


def test_split_elements_keeps_quoted_commas_and_escaped_quotes() -> None:
    assert split_elements('a; p="x\\",y", b,, c') == ['a; p="x\\",y"', "b", "c"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'form-data; name="f"; filename="a;b.txt"',
            ("form-data", {"name": "f", "filename": "a;b.txt"}),
        ),
        ('x; p="say \\"hi\\""', ("x", {"p": 'say "hi"'})),
        ('x; p="back\\\\slash"', ("x", {"p": "back\\slash"})),
        ("x; Charset=UTF-8", ("x", {"charset": "UTF-8"})),
        ("x; flag; p=1", ("x", {"p": "1"})),
        ("  text/plain  ", ("text/plain", {})),
        ("", ("", {})),
    ],
)
def test_parse_header(line: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_header(line) == expected


def test_a_filename_with_an_unescaped_quote_is_read_as_cherrypy_reads_it() -> None:
    # What browsers send for a file named file"name.csv.
    assert parse_header('form-data; name="f"; filename="file"name.csv"')[1]["filename"] == (
        'file"name.csv'
    )


# -- elements ----------------------------------------------------------------------


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


# -- RFC 2047 and dates -------------------------------------------------------------------


def test_decode_text_decodes_encoded_words() -> None:
    assert decode_TEXT("=?utf-8?q?f=C3=BCr?=") == "f\xfcr"
    assert decode_TEXT("=?utf-8?b?4oSrbmdzdHLDtm0=?=") == "\u212bngstr\xf6m"


def test_decode_text_keeps_the_text_around_encoded_words() -> None:
    assert decode_TEXT("a =?utf-8?q?f=C3=BCr?= b") == "a f\xfcr b"


def test_decode_text_maybe_leaves_plain_values_alone() -> None:
    assert decode_TEXT_maybe("plain =? value") == "plain =? value"
    assert decode_TEXT_maybe("=?utf-8?q?f=C3=BCr?=") == "f\xfcr"


def test_decode_text_rejects_an_unknown_charset() -> None:
    with pytest.raises(LookupError):
        decode_TEXT("=?no-such-charset?q?x?=")


def test_http_date() -> None:
    assert HTTPDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert email.utils.parsedate_to_datetime(HTTPDate()).tzname() == "UTC"


def test_request_header_values_are_decoded_and_a_bad_encoded_word_kept() -> None:
    assert decode_header_value("=?utf-8?q?f=C3=BCr?=") == "f\xfcr"
    assert decode_header_value("=?no-such-charset?q?x?=") == "=?no-such-charset?q?x?="
    assert decode_header_value("=?utf-8?b?/w==?=") == "=?utf-8?b?/w==?="


def test_decoded_request_values_never_carry_line_breaks_or_nul() -> None:
    assert decode_header_value("=?iso-8859-1?q?foo=0D=0Abar=00?=") == "foobar"
