"""framework.lib: the body helpers CherryPy keeps in ``cherrypy.lib``."""

from __future__ import annotations

import io
from collections.abc import Iterator

from framework.core.response import Response
from framework.lib import (
    file_generator,
    file_generator_limited,
    is_closable_iterator,
    is_iterator,
    set_vary_header,
)


def gen() -> Iterator[int]:
    yield 1


class NoArgClose:
    def __iter__(self) -> NoArgClose:
        return self

    def __next__(self) -> int:
        raise StopIteration

    def close(self) -> None:
        pass


class ArgClose(NoArgClose):
    def close(self, how: str) -> None:  # type: ignore[override]
        pass


def test_is_iterator() -> None:
    assert is_iterator(gen())
    assert is_iterator(iter([1]))
    assert not is_iterator([1])
    assert not is_iterator("text")
    assert not is_iterator(3)


def test_is_closable_iterator() -> None:
    assert is_closable_iterator(gen())
    assert is_closable_iterator(NoArgClose())
    assert not is_closable_iterator(ArgClose())
    assert not is_closable_iterator(iter([1]))  # no close()
    assert not is_closable_iterator([1])


def test_file_generator_reads_in_chunks_and_closes() -> None:
    data = io.BytesIO(b"abcdefg")
    assert list(file_generator(data, chunkSize=3)) == [b"abc", b"def", b"g"]
    assert data.closed


def test_file_generator_limited_stops_at_count() -> None:
    assert list(file_generator_limited(io.BytesIO(b"abcdefg"), 5, chunk_size=2)) == [
        b"ab",
        b"cd",
        b"e",
    ]
    assert list(file_generator_limited(io.BytesIO(b"ab"), 5)) == [b"ab"]


def test_set_vary_header_adds_once() -> None:
    response = Response()
    set_vary_header(response, "Accept")
    set_vary_header(response, "Cookie")
    set_vary_header(response, "accept")
    assert response.headers["Vary"] == "Accept, Cookie"
