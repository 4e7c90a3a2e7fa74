"""The strict request-head grammar (framework/process/head.py), rule by rule and by property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.process.head import (
    HeadError,
    Limits,
    check_head,
    parse_fields,
    parse_request_line,
    request_framing,
    valid_chunk_size,
)

LIMITS = Limits()


def status_of(func: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(HeadError) as info:
        func(*args, **kwargs)  # type: ignore[operator]
    return info.value.status[:3]


def test_a_plain_request_line() -> None:
    line = parse_request_line(b"GET /a?b=1 HTTP/1.1")
    assert (line.method, line.target, line.version, line.minor) == (
        b"GET",
        b"/a?b=1",
        b"HTTP/1.1",
        1,
    )


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (b"GET /a HTTP/01.01", "400"),
        (b"GET /a HTTP/1.10", "400"),
        (b"GET /a http/1.1", "400"),
        (b"GET /a HTTP/2.0", "505"),
        (b"GET /a HTTP/0.9", "505"),
        (b"GET /a HTTP/1.2", "505"),
        (b"GET  /a HTTP/1.1", "400"),
        (b"GET /a", "400"),
        (b"G\x00T /a HTTP/1.1", "400"),
        (b"GE(T /a HTTP/1.1", "400"),
        (b" /a HTTP/1.1", "400"),
    ],
)
def test_malformed_request_lines(line: bytes, status: str) -> None:
    assert status_of(parse_request_line, line) == status


@pytest.mark.parametrize(
    "head",
    [b"GET / HTTP/1.1\nHost: a\n\n", b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", b"X: \x00\r\n\r\n"],
)
def test_bare_cr_lf_and_controls_are_refused(head: bytes) -> None:
    assert status_of(check_head, head) == "400"


def test_tabs_and_obs_text_are_allowed_in_values() -> None:
    check_head(b"GET / HTTP/1.1\r\nX: a\tb \xe9\r\n\r\n")


def test_fields_are_title_cased_joined_and_cookies_use_semicolons() -> None:
    fields = parse_fields([b"accept: a", b"Accept: b", b"cookie: x=1", b"Cookie: y=2"], LIMITS)
    assert fields == {b"Accept": b"a, b", b"Cookie": b"x=1; y=2"}


def test_underscore_names_are_dropped() -> None:
    assert parse_fields([b"X-User: a", b"X_User: b"], LIMITS) == {b"X-User": b"a"}


@pytest.mark.parametrize(
    "line", [b"Host : a", b" folded", b"\tfolded", b"no colon", b": empty name", b"X\x01: a"]
)
def test_malformed_field_lines(line: bytes) -> None:
    assert status_of(parse_fields, [line], LIMITS) == "400"


@pytest.mark.parametrize("name", [b"Host", b"Content-Length", b"content-type", b"Authorization"])
def test_single_fields_may_not_repeat(name: bytes) -> None:
    assert status_of(parse_fields, [name + b": a", name + b": a"], LIMITS) == "400"


def test_too_many_fields_is_431() -> None:
    assert status_of(parse_fields, [b"X: y"] * 101, LIMITS) == "431"


def framing(**fields: bytes) -> int | None:
    named = {k.replace("_", "-").title().encode(): v for k, v in fields.items()}
    return request_framing({b"Host": b"a", **named}, 1, 1000)


def test_framing_of_bodies() -> None:
    assert framing() == 0
    assert framing(content_length=b"12") == 12
    assert framing(transfer_encoding=b"Chunked") is None


@pytest.mark.parametrize("value", [b"+1", b"-1", b"0x5", b"1 0", b"", b"5,5", b"1" * 19])
def test_bad_content_lengths(value: bytes) -> None:
    assert status_of(framing, content_length=value) == "400"


def test_a_content_length_over_the_limit_is_413() -> None:
    assert status_of(framing, content_length=b"1001") == "413"


@pytest.mark.parametrize("value", [b"gzip", b"gzip, chunked", b"chunked, chunked", b"identity"])
def test_anything_but_a_lone_chunked_is_refused(value: bytes) -> None:
    assert status_of(framing, transfer_encoding=value) == "400"


def test_transfer_encoding_with_content_length_is_refused() -> None:
    assert status_of(framing, transfer_encoding=b"chunked", content_length=b"5") == "400"


def test_transfer_encoding_in_http_1_0_is_refused() -> None:
    fields = {b"Transfer-Encoding": b"chunked"}
    assert status_of(request_framing, fields, 0, 0) == "400"


@pytest.mark.parametrize("host", [b"a/b", b"a@b", b"a b", b"a\\b", b"[zz]"])
def test_bad_hosts(host: bytes) -> None:
    assert status_of(request_framing, {b"Host": host}, 1, 0) == "400"


@pytest.mark.parametrize(
    "host", [b"example.com", b"example.com:8080", b"[::1]:80", b"", b"10.0.0.1"]
)
def test_good_hosts(host: bytes) -> None:
    assert request_framing({b"Host": host}, 1, 0) == 0


def test_http_1_1_needs_a_host_but_1_0_does_not() -> None:
    assert status_of(request_framing, {}, 1, 0) == "400"
    assert request_framing({}, 0, 0) == 0


@pytest.mark.parametrize(
    ("line", "size"), [(b"5", 5), (b"fF", 255), (b"a;ext=1", 10), (b"a ; ext", 10), (b"0", 0)]
)
def test_chunk_sizes(line: bytes, size: int) -> None:
    assert valid_chunk_size(line) == size


@pytest.mark.parametrize("line", [b"0x5", b"", b" 5", b"+5", b"-1", b"zz", b"5 ", b"1" * 17])
def test_bad_chunk_sizes(line: bytes) -> None:
    assert status_of(valid_chunk_size, line) == "400"


# -- properties ---------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_request_line_parses_or_is_refused_with_400_or_505(line: bytes) -> None:
    try:
        parsed = parse_request_line(line)
    except HeadError as exc:
        assert exc.status[:3] in ("400", "505")
    else:
        assert parsed.minor in (0, 1)
        assert b" " not in parsed.target and parsed.method.isascii()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=20))
def test_any_field_lines_parse_or_are_refused(lines: list[bytes]) -> None:
    try:
        fields = parse_fields(lines, LIMITS)
    except HeadError as exc:
        assert exc.status[:3] in ("400", "431")
    else:
        assert all(b"_" not in name and b":" not in name for name in fields)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_any_chunk_size_line_is_a_plain_hex_number_or_refused(line: bytes) -> None:
    try:
        size = valid_chunk_size(line)
    except HeadError as exc:
        assert exc.status[:3] == "400"
    else:
        digits = line.split(b";")[0].strip(b" \t")
        assert size == int(digits, 16) and digits.isalnum()


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([b"Host", b"Content-Length", b"Transfer-Encoding"]),
        st.binary(max_size=12),
    ),
    st.integers(0, 1),
)
def test_framing_is_a_length_chunked_or_refused(fields: dict[bytes, bytes], minor: int) -> None:
    try:
        length = request_framing(fields, minor, 10_000)
    except HeadError as exc:
        assert exc.status[:3] in ("400", "413")
    else:
        if length is None:
            assert fields[b"Transfer-Encoding"].lower() == b"chunked"
            assert b"Content-Length" not in fields
        else:
            assert 0 <= length <= 10_000
