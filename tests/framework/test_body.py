"""Specification of request bodies: framing, limits, urlencoded and multipart forms."""

from __future__ import annotations

import gc
import io
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import framework.body
import framework.body.forms
from framework.body import SPOOL_LIMIT, MediaType, Part, RequestBody
from framework.errors import HTTPError
from framework.httputil import HeaderMap

FORM = "application/x-www-form-urlencoded"
BOUNDARY = "----cherrytestboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
UNDECODABLE = (
    "The request entity could not be decoded. The following charsets were attempted: ['utf-8']"
)
#: A multipart field without a charset is US-ASCII first (RFC 7578), as in CherryPy.
UNDECODABLE_PART = UNDECODABLE.replace("['utf-8']", "['us-ascii', 'utf-8']")

Make = Callable[..., RequestBody]


class UntouchableStream(io.BytesIO):
    """An input stream that fails the test if anything reads from it."""

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body stream was read")

    def readline(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body stream was read")


@pytest.fixture
def make() -> Iterator[Make]:
    """Build RequestBody objects over in-memory streams; close them afterwards."""
    built: list[RequestBody] = []

    def factory(
        data: bytes = b"",
        content_type: str | None = None,
        *,
        length: int | str | None = -1,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        maxbytes: int | None = None,
        stream: io.BytesIO | None = None,
    ) -> RequestBody:
        hdrs = HeaderMap(headers or {})
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        if length == -1:
            hdrs["Content-Length"] = str(len(data))
        elif length is not None:
            hdrs["Content-Length"] = str(length)
        body = RequestBody(
            stream if stream is not None else io.BytesIO(data),
            hdrs,
            params if params is not None else {},
        )
        if maxbytes is not None:
            body.maxbytes = maxbytes
        built.append(body)
        return body

    yield factory
    for body in built:
        body.close()
    gc.collect()  # a temp file leaked by the test warns (an error) here, not later


def status_of(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(HTTPError) as info:
        call()
    return info.value.code, info.value._message


def part(disposition: str, content: bytes, *headers: str) -> bytes:
    lines = [f"Content-Disposition: form-data{disposition}", *headers]
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + content


def field(name: str, value: str | bytes) -> bytes:
    return part(f'; name="{name}"', value.encode() if isinstance(value, str) else value)


def upload(name: str, filename: str, content: bytes, ctype: str = "text/plain") -> bytes:
    return part(f'; name="{name}"; filename="{filename}"', content, f"Content-Type: {ctype}")


def multipart(*parts: bytes) -> bytes:
    delimiter = b"--" + BOUNDARY.encode()
    out = b"".join(delimiter + b"\r\n" + p + b"\r\n" for p in parts)
    return out + delimiter + b"--\r\n"


# --- urlencoded -------------------------------------------------------------


def test_urlencoded_fields_become_str_params(make: Make) -> None:
    body = make(b"a=1&b=hello+world&c=%C3%A9", FORM)
    body.process()
    assert body.params == {"a": "1", "b": "hello world", "c": "é"}


def test_urlencoded_params_merge_into_request_params(make: Make) -> None:
    request_params: dict[str, Any] = {"q": "x"}
    make(b"a=1", FORM, params=request_params).process()
    assert request_params == {"q": "x", "a": "1"}


def test_urlencoded_keeps_blank_values(make: Make) -> None:
    body = make(b"a=&b&&c=3", FORM)
    body.process()
    assert body.params == {"a": "", "b": "", "c": "3"}


def test_urlencoded_repeated_name_becomes_list(make: Make) -> None:
    body = make(b"a=1&a=2&a=3", FORM)
    body.process()
    assert body.params == {"a": ["1", "2", "3"]}


def test_urlencoded_semicolon_separates_fields(make: Make) -> None:
    body = make(b"a=1;b=2", FORM)
    body.process()
    assert body.params == {"a": "1", "b": "2"}


def test_query_string_values_come_before_body_values(make: Make) -> None:
    qs_list = ["1", "2"]
    request_params: dict[str, Any] = {"a": "q", "x": qs_list}
    make(b"a=b1&a=b2&x=3", FORM, params=request_params).process()
    assert request_params == {"a": ["q", "b1", "b2"], "x": ["1", "2", "3"]}
    assert qs_list == ["1", "2"]  # the query-string list itself is left alone


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a=%zz", {"a": "%zz"}),
        (b"a=100%", {"a": "100%"}),
        (b"a=%2", {"a": "%2"}),
        (b"%=x", {"%": "x"}),
    ],
)
def test_urlencoded_malformed_escapes_are_kept_literally(
    make: Make, data: bytes, expected: dict[str, str]
) -> None:
    body = make(data, FORM)
    body.process()
    assert body.params == expected


def test_urlencoded_undecodable_body_is_400(make: Make) -> None:
    body = make(b"a=%FF", FORM)
    assert status_of(body.process) == (400, UNDECODABLE)


def test_urlencoded_falls_back_to_next_attempt_charset(make: Make) -> None:
    body = make(b"a=%FF", FORM)
    body.attempt_charsets = ["utf-8", "latin-1"]
    body.process()
    assert (body.params, body.charset) == ({"a": "ÿ"}, "latin-1")


def test_urlencoded_declared_charset_is_tried_first(make: Make) -> None:
    body = make(b"a=%E9", f"{FORM}; charset=latin-1")
    body.process()
    assert (body.params, body.charset) == ({"a": "é"}, "latin-1")


def test_urlencoded_unknown_declared_charset_falls_back(make: Make) -> None:
    body = make(b"a=%C3%A9", f"{FORM}; charset=no-such-codec")
    body.process()
    assert (body.params, body.charset) == ({"a": "é"}, "utf-8")


# --- content type -----------------------------------------------------------


def test_content_type_is_lowercase_media_type_with_params(make: Make) -> None:
    body = make(b"", 'Application/X-WWW-Form-Urlencoded; Charset="UTF-8"')
    assert body.content_type == FORM
    assert body.content_type.value == FORM
    assert body.content_type.params == {"charset": "UTF-8"}


def test_content_type_is_empty_without_header(make: Make) -> None:
    assert make(b"").content_type == ""


def test_media_type_parse_ignores_parameters_without_value() -> None:
    parsed = MediaType.parse("text/plain; flowed; format=fixed")
    assert (parsed, parsed.params) == ("text/plain", {"format": "fixed"})


# --- multipart --------------------------------------------------------------


def test_multipart_text_field_is_str_and_file_field_is_part(make: Make) -> None:
    data = multipart(field("name", "alice"), upload("doc", "a.txt", b"hello\r\nworld"))
    body = make(data, MULTIPART)
    body.process()
    assert body.params["name"] == "alice"
    doc = body.params["doc"]
    assert isinstance(doc, Part)
    assert (doc.name, doc.filename, doc.content_type) == ("doc", "a.txt", "text/plain")
    assert doc.headers["content-type"] == "text/plain"
    assert doc.file.read() == b"hello\r\nworld"
    assert doc.value == "hello\r\nworld"


@pytest.mark.parametrize(
    "filename",
    ['file"name.csv', "file;name.csv", "file; name.csv", "foo, bar.csv", "test_\u0142\xf3.txt"],
)
def test_multipart_file_names_keep_quotes_semicolons_and_commas(make: Make, filename: str) -> None:
    # What a browser (and CherryPy's test_http) sends: the name quoted, inner quotes not.
    data = multipart(upload("f", filename, b"x"))
    body = make(data, MULTIPART)
    body.process()
    assert body.params["f"].filename == filename


def test_multipart_extended_file_name_wins_over_the_plain_one(make: Make) -> None:
    disposition = '; name="f"; filename="plain.txt"; filename*=UTF-8\'\'caf%C3%A9.txt'
    body = make(multipart(part(disposition, b"x")), MULTIPART)
    body.process()
    assert body.params["f"].filename == "caf\xe9.txt"


def test_multipart_params_merge_into_request_params(make: Make) -> None:
    request_params: dict[str, Any] = {"name": "q"}
    make(multipart(field("name", "alice")), MULTIPART, params=request_params).process()
    assert request_params == {"name": ["q", "alice"]}


def test_multipart_small_part_stays_in_memory(make: Make) -> None:
    body = make(multipart(upload("doc", "a.bin", b"x" * SPOOL_LIMIT)), MULTIPART)
    body.process()
    assert isinstance(body.params["doc"].file, io.BytesIO)


def test_multipart_large_part_is_spooled_to_a_temp_file(make: Make) -> None:
    content = os.urandom(SPOOL_LIMIT * 3 + 17)
    body = make(multipart(upload("doc", "big.bin", content, "application/octet-stream")), MULTIPART)
    body.process()
    doc = body.params["doc"]
    assert not isinstance(doc.file, io.BytesIO)
    assert os.fstat(doc.file.fileno()).st_size == len(content)
    assert (doc.size, doc.file.read()) == (len(content), content)


def test_multipart_spool_threshold_is_part_maxrambytes(
    make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Part, "maxrambytes", 10)
    body = make(multipart(upload("doc", "a.bin", b"x" * 11), field("t", "a" * 11)), MULTIPART)
    body.process()
    assert not isinstance(body.params["doc"].file, io.BytesIO)
    assert body.params["t"] == "a" * 11  # a spooled text field still decodes


def test_multipart_part_without_charset_is_not_read_as_ascii_before_utf16(make: Make) -> None:
    # b"a\x00b\x00" is valid ASCII, but the app said its fields are UTF-16.
    body = make(multipart(field("t", "ab".encode("utf-16-le"))), MULTIPART)
    body.attempt_charsets = ["utf-16-le"]
    body.process()
    assert body.params == {"t": "ab"}


def test_multipart_parts_spool_once_memory_budget_is_used(
    make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(framework.body.forms, "MEMORY_LIMIT", 10)
    data = multipart(upload("a", "a.bin", b"12345678"), upload("b", "b.bin", b"12345678"))
    body = make(data, MULTIPART)
    body.process()
    assert isinstance(body.params["a"].file, io.BytesIO)
    assert not isinstance(body.params["b"].file, io.BytesIO)
    assert body.params["b"].file.read() == b"12345678"


def test_multipart_large_text_field_is_str(make: Make) -> None:
    text = "é" * SPOOL_LIMIT
    body = make(multipart(field("essay", text)), MULTIPART)
    body.process()
    assert body.params["essay"] == text


def test_close_closes_part_files(make: Make) -> None:
    body = make(multipart(upload("doc", "big.bin", b"x" * (SPOOL_LIMIT + 1))), MULTIPART)
    body.process()
    doc = body.params["doc"]
    body.close()
    assert doc.file.closed


def test_multipart_repeated_text_names_become_list(make: Make) -> None:
    body = make(multipart(field("tag", "a"), field("tag", "b")), MULTIPART)
    body.process()
    assert body.params == {"tag": ["a", "b"]}


def test_multipart_repeated_file_names_become_list_of_parts(make: Make) -> None:
    data = multipart(upload("f", "1.txt", b"one"), upload("f", "2.txt", b"two"))
    body = make(data, MULTIPART)
    body.process()
    assert [(p.filename, p.file.read()) for p in body.params["f"]] == [
        ("1.txt", b"one"),
        ("2.txt", b"two"),
    ]


def test_multipart_part_charset_decodes_text_field(make: Make) -> None:
    data = multipart(part('; name="t"', b"caf\xe9", "Content-Type: text/plain; charset=latin-1"))
    body = make(data, MULTIPART)
    body.process()
    assert body.params == {"t": "café"}


def test_multipart_undecodable_text_field_is_400(make: Make) -> None:
    # The spooled upload after the bad field must be closed too (else: ResourceWarning).
    data = multipart(field("t", b"\xff"), upload("f", "f.txt", b"x" * (SPOOL_LIMIT + 1)))
    body = make(data, MULTIPART)
    assert status_of(body.process) == (400, UNDECODABLE_PART)


def test_multipart_nameless_part_goes_to_parts(make: Make) -> None:
    body = make(multipart(part("", b"anonymous"), field("", "blank")), MULTIPART)
    body.process()
    assert body.params == {"": "blank"}
    [anonymous] = body.parts
    assert (anonymous.name, anonymous.content_type, anonymous.value) == (
        None,
        "text/plain",
        "anonymous",
    )


def test_multipart_empty_body_has_no_fields(make: Make) -> None:
    body = make(b"", MULTIPART)
    body.process()
    assert (body.params, body.parts) == ({}, [])


def test_multipart_chunked_body_is_parsed(make: Make) -> None:
    data = multipart(field("a", "1"))
    body = make(data, MULTIPART, length=None, headers={"Transfer-Encoding": "chunked"})
    body.process()
    assert body.params == {"a": "1"}


def test_multipart_too_many_parts_is_413(make: Make) -> None:
    data = multipart(*[field("f", "x")] * (framework.body.PART_LIMIT + 1))
    code, _ = status_of(make(data, MULTIPART).process)
    assert code == 413


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        pytest.param("multipart/form-data", multipart(field("a", "1")), id="no-boundary"),
        pytest.param(MULTIPART, multipart(field("a", "1"))[:-10], id="truncated"),
        pytest.param(MULTIPART, b"just some text, no boundary at all", id="not-multipart"),
        pytest.param(
            MULTIPART, multipart(b"X-Other: 1\r\n\r\nvalue"), id="missing-content-disposition"
        ),
        pytest.param(MULTIPART, multipart(b"no colon here\r\n\r\nvalue"), id="bad-header"),
        pytest.param(
            MULTIPART,
            f"--{BOUNDARY}\nContent-Disposition: form-data; name=a\n\n1\n--{BOUNDARY}--".encode(),
            id="bare-newlines",
        ),
    ],
)
def test_broken_multipart_is_400(make: Make, content_type: str, data: bytes) -> None:
    assert status_of(make(data, content_type).process)[0] == 400


def test_truncated_spooled_upload_is_400(make: Make) -> None:
    data = multipart(field("a", "1"), upload("doc", "big.bin", b"x" * (SPOOL_LIMIT * 2)))
    body = make(data[: SPOOL_LIMIT + 500], MULTIPART)
    code, message = status_of(body.process)
    # The half-written temp file was closed: no ResourceWarning (an error here).
    assert (code, message.startswith("Malformed multipart body:")) == (400, True)


def test_multipart_body_shorter_than_content_length_is_400(make: Make) -> None:
    data = multipart(field("a", "1"))
    body = make(data, MULTIPART, length=len(data) + 50)
    assert status_of(body.process) == (400, framework.body.TRUNCATED)


# --- raw reading ------------------------------------------------------------


def test_unknown_media_type_is_left_unread(make: Make) -> None:
    body = make(b"\x00\x01raw", "application/octet-stream")
    body.process()
    assert (body.params, body.read()) == ({}, b"\x00\x01raw")


def test_missing_content_type_is_left_unread(make: Make) -> None:
    body = make(b"a=1")
    body.process()
    assert (body.params, body.read()) == ({}, b"a=1")


def test_read_with_size_reads_in_pieces(make: Make) -> None:
    body = make(b"abcdefgh")
    assert [body.read(3), body.read(3), body.read(3), body.read()] == [b"abc", b"def", b"gh", b""]


def test_read_stops_at_content_length(make: Make) -> None:
    assert make(b"abcdef", length=3).read() == b"abc"


def test_readline_and_iteration_yield_lines(make: Make) -> None:
    body = make(b"one\ntwo\nthree")
    assert body.readline() == b"one\n"
    assert list(body) == [b"two\n", b"three"]


def test_readline_with_size_returns_part_of_a_line(make: Make) -> None:
    body = make(b"abcdef\n")
    assert (body.readline(2), body.readline()) == (b"ab", b"cdef\n")


def test_fullvalue_returns_whole_body(make: Make) -> None:
    assert make(b"payload").fullvalue() == b"payload"


def test_short_reads_from_the_stream_are_completed(make: Make) -> None:
    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(1)

    assert make(length=5, stream=Trickle(b"hello")).read() == b"hello"


def test_length_is_declared_content_length(make: Make) -> None:
    assert make(b"abc").length == 3


# --- framing and limits -----------------------------------------------------


@pytest.mark.parametrize("call", ["read", "readline", "process"])
def test_content_length_over_maxbytes_is_413_before_reading(make: Make, call: str) -> None:
    body = make(content_type=FORM, length=100, maxbytes=99, stream=UntouchableStream())
    assert status_of(getattr(body, call))[0] == 413


def test_content_length_equal_to_maxbytes_is_accepted(make: Make) -> None:
    assert make(b"12345", maxbytes=5).read() == b"12345"


@pytest.mark.parametrize("call", ["read", "readline", "process"])
def test_chunked_body_over_maxbytes_is_413(make: Make, call: str) -> None:
    body = make(
        b"a=" + b"x" * 200,
        FORM,
        length=None,
        headers={"Transfer-Encoding": "chunked"},
        maxbytes=100,
    )
    assert status_of(getattr(body, call))[0] == 413


def test_chunked_body_within_maxbytes_is_read_to_eof(make: Make) -> None:
    body = make(b"x" * 100, length=None, headers={"Transfer-Encoding": "chunked"}, maxbytes=100)
    assert (body.read(10), body.read(), body.length) == (b"x" * 10, b"x" * 90, None)


def test_chunked_body_readline_and_iteration(make: Make) -> None:
    body = make(b"a\nb\n", length=None, headers={"Transfer-Encoding": "chunked"})
    assert (body.readline(), list(body), body.read(0)) == (b"a\n", [b"b\n"], b"")


def test_chunked_body_ignores_content_length(make: Make) -> None:
    body = make(b"abcdef", length=3, headers={"Transfer-Encoding": "chunked"})
    assert body.read() == b"abcdef"


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "+5", "0x10", "1 2", "\uff11"])
def test_bogus_content_length_is_400(make: Make, value: str) -> None:
    body = make(b"abc", FORM, length=value)
    assert status_of(body.process) == (400, "Invalid Content-Length")


def test_empty_content_length_means_no_body(make: Make) -> None:
    assert make(length="", stream=UntouchableStream()).read() == b""


@pytest.mark.parametrize("call", ["read", "readline", "process"])
def test_body_shorter_than_content_length_is_400(make: Make, call: str) -> None:
    body = make(b"a=123", FORM, length=10)
    assert status_of(getattr(body, call)) == (400, framework.body.TRUNCATED)


def test_truncated_body_is_400_on_a_later_read(make: Make) -> None:
    body = make(b"abc", length=10)
    assert body.read(3) == b"abc"
    assert status_of(body.read)[0] == 400


@pytest.mark.parametrize("encoding", ["gzip", "gzip, chunked", "chunked, br", "x-custom"])
def test_unsupported_transfer_encoding_is_400(make: Make, encoding: str) -> None:
    body = make(b"a=1", FORM, headers={"Transfer-Encoding": encoding})
    assert status_of(body.process) == (400, "Unsupported Transfer-Encoding")


@pytest.mark.parametrize("encoding", ["chunked", "Chunked", "identity, chunked"])
def test_chunked_transfer_encoding_is_accepted(make: Make, encoding: str) -> None:
    body = make(b"a=1", FORM, length=None, headers={"Transfer-Encoding": encoding})
    body.process()
    assert body.params == {"a": "1"}


def test_identity_transfer_encoding_uses_content_length(make: Make) -> None:
    assert make(b"abcdef", length=4, headers={"Transfer-Encoding": "identity"}).read() == b"abcd"


def test_without_length_or_transfer_encoding_body_is_empty(make: Make) -> None:
    body = make(length=None, stream=UntouchableStream())
    assert (body.read(), body.readline(), body.length) == (b"", b"", None)


def test_processing_without_length_or_transfer_encoding_is_411(make: Make) -> None:
    body = make(content_type=FORM, length=None, stream=UntouchableStream())
    assert status_of(body.process)[0] == 411


# --- processors -------------------------------------------------------------


def test_custom_processor_is_used_and_its_params_merged(make: Make) -> None:
    seen: list[bytes] = []

    def json_processor(entity: RequestBody) -> None:
        seen.append(entity.fp.read())
        entity.params["doc"] = "parsed"

    request_params: dict[str, Any] = {}
    body = make(b'{"a": 1}', "application/json", params=request_params)
    body.processors["application/json"] = json_processor
    body.process()
    assert (seen, request_params) == ([b'{"a": 1}'], {"doc": "parsed"})


def test_processor_registration_is_per_instance(make: Make) -> None:
    make().processors["application/json"] = lambda entity: None
    assert "application/json" not in RequestBody.processors
    assert "application/json" not in make().processors


def test_major_type_processor_is_the_fallback(make: Make) -> None:
    seen: list[str] = []
    body = make(b"x,y", "text/csv")
    body.processors["text"] = lambda entity: seen.append(entity.content_type)
    body.process()
    assert seen == ["text/csv"]


def test_default_proc_is_called_for_unknown_types(make: Make) -> None:
    calls: list[str] = []
    body = make(b"data", "application/x-thing")
    body.default_proc = lambda: calls.append("called")
    body.process()
    assert calls == ["called"]


def test_default_proc_exception_is_raised(make: Make) -> None:
    body = make(b"data", "application/x-thing")
    body.default_proc = HTTPError(415, "JSON only")
    assert status_of(body.process) == (415, "JSON only")


def test_part_repr_names_the_part(make: Make) -> None:
    body = make(multipart(upload("doc", "a.txt", b"abc")), MULTIPART)
    body.process()
    assert repr(body.params["doc"]) == (
        "<Part name='doc' filename='a.txt' content_type='text/plain' size=3>"
    )


# --- other multipart types ------------------------------------------------------------
MIXED = f"multipart/mixed; boundary={BOUNDARY}"


def test_multipart_mixed_parts_need_no_disposition_and_are_the_parts_param(make: Make) -> None:
    text = b"Content-Type: text/plain\r\n\r\nplain text"
    html = b"Content-Type: text/html\r\n\r\n<p>hi</p>\n"
    body = make(multipart(text, html), MIXED)
    body.process()
    assert body.params == {"parts": ["plain text", "<p>hi</p>\n"]}


def test_multipart_mixed_named_parts_and_files_are_kept_as_in_forms(make: Make) -> None:
    body = make(multipart(field("a", "1"), upload("f", "f.txt", b"data")), MIXED)
    body.process()
    assert (body.params["a"], body.params["f"].file.read()) == ("1", b"data")


def test_multipart_mixed_without_boundary_is_400(make: Make) -> None:
    assert status_of(make(b"x", "multipart/mixed").process)[0] == 400
