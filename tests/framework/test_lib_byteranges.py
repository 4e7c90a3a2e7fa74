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


def test_plan_ranges_coalesces_overlapping_and_adjacent_ranges() -> None:
    assert plan_ranges("bytes=50-99,0-9,5-19,20-29", 1000) == [(0, 30), (50, 100)]


def test_plan_ranges_ignores_a_header_with_too_many_ranges() -> None:
    header = "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(MAX_RANGES + 1))
    assert plan_ranges(header, 100_000) is None
    header = "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(MAX_RANGES))
    assert plan_ranges(header, 100_000) is not None


def test_plan_ranges_refuses_framing_larger_than_the_file() -> None:
    assert plan_ranges("bytes=0-0,5-5", 20) is None
    assert plan_ranges("bytes=0-0,5-5", 2000) == [(0, 1), (5, 6)]


def test_multipart_body_length_is_exact_and_the_file_is_closed() -> None:
    data = bytes(range(256)) * 4
    fileobj = io.BytesIO(data)
    body = MultipartRanges(fileobj, [(0, 3), (1000, 1024)], len(data), "image/png")
    content = b"".join(body)
    assert len(content) == body.content_length
    assert f"--{body.boundary}\r\nContent-Type: image/png\r\n".encode() in content
    assert b"Content-Range: bytes 1000-1023/1024\r\n\r\n" + data[1000:1024] in content
    assert content.endswith(f"--{body.boundary}--\r\n".encode())
    assert fileobj.closed


def test_framing_size_matches_a_real_body() -> None:
    ranges = [(0, 3), (10, 20), (40, 41)]
    body = MultipartRanges(io.BytesIO(bytes(100)), ranges, 100, "text/plain")
    assert MultipartRanges.framing_size(ranges, 100, "text/plain") == body.content_length - 14
