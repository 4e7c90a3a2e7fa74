"""Range header parsing and the multipart/byteranges layout, as plain functions."""

from __future__ import annotations

import io

import pytest

from framework.lib.byteranges import MAX_RANGES, MultipartRanges, plan_ranges


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", [(0, 1)]),
        ("bytes=-4", [(6, 10)]),
        ("bytes=8-40", [(8, 10)]),
        ("bytes=10-", []),
        ("bytes=-0", []),
        ("bytes=6-3", None),
        ("pages=1-2", None),
    ],
)
def test_plan_ranges_parses_as_get_ranges_does(
    header: str | None, expected: list[tuple[int, int]] | None
) -> None:
    assert plan_ranges(header, 10) == expected


def test_plan_ranges_sends_ranges_as_asked_while_they_hold_no_more_than_the_file() -> None:
    # COMPAT: CherryPy sends overlapping ranges in the order asked.
    assert plan_ranges("bytes=4-6,2-5", 14) == [(4, 7), (2, 6)]
    assert plan_ranges("bytes=50-99,0-9,5-19", 1000) == [(50, 100), (0, 10), (5, 20)]


def test_plan_ranges_merges_ranges_that_would_send_more_than_the_file() -> None:
    assert plan_ranges("bytes=0-,0-,0-", 1000) == [(0, 1000)]
    assert plan_ranges("bytes=500-999,0-9,5-19,0-600", 1000) == [(0, 1000)]
    assert plan_ranges("bytes=50-99,0-9,5-19,20-29,0-999", 1000) == [(0, 1000)]


def test_plan_ranges_ignores_a_header_with_too_many_ranges() -> None:
    header = "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(MAX_RANGES + 1))
    assert plan_ranges(header, 100_000) is None
    header = "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(MAX_RANGES))
    assert plan_ranges(header, 100_000) is not None


def test_plan_ranges_refuses_framing_larger_than_the_file_and_the_allowance() -> None:
    tiny = "bytes=" + ",".join(f"{i}-{i}" for i in range(MAX_RANGES - 1))
    assert plan_ranges(tiny, 100) is None  # ~6 KB of part headers for 63 bytes
    assert plan_ranges(tiny, 4000) is not None
    assert plan_ranges("bytes=0-0,5-5", 20) == [(0, 1), (5, 6)]


def test_multipart_body_length_is_exact_and_the_file_is_closed() -> None:
    data = bytes(range(256)) * 4
    fileobj = io.BytesIO(data)
    body = MultipartRanges(fileobj, [(0, 3), (1000, 1024)], len(data), "image/png")
    content = b"".join(body)
    assert len(content) == body.content_length
    assert f"--{body.boundary}\r\nContent-type: image/png\r\n".encode() in content
    assert b"Content-range: bytes 1000-1023/1024\r\n\r\n" + data[1000:1024] in content
    assert content.endswith(f"--{body.boundary}--\r\n".encode())
    assert fileobj.closed


def test_framing_size_matches_a_real_body() -> None:
    ranges = [(0, 3), (10, 20), (40, 41)]
    body = MultipartRanges(io.BytesIO(bytes(100)), ranges, 100, "text/plain")
    assert MultipartRanges.framing_size(ranges, 100, "text/plain") == body.content_length - 14
