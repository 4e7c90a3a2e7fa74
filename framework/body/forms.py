"""Form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

The two processors :class:`~framework.body.entity.RequestBody` uses by default. The
multipart one drives the maintained ``multipart`` package (imported on first use),
keeping small parts in memory and spooling big ones to temporary files.
"""

from __future__ import annotations

import functools
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes

from framework.body.entity import (
    MEMORY_LIMIT,
    Part,
    RequestBody,
    add_param,
    charsets_for,
    merge_params,
    undecodable_message,
)
from framework.body.reader import BUFSIZE
from framework.errors import HTTPError
from framework.headers import parse_header
from framework.httputil import HeaderMap

__all__ = ["process_multipart", "process_multipart_form_data", "process_urlencoded"]


def _parse_urlencoded(fields: list[bytes], charset: str) -> dict[str, Any]:
    """Parse split form fields, decoding names and values with ``charset``."""
    params: dict[str, Any] = {}
    for field in fields:
        if not field:
            continue
        name, _, value = field.partition(b"=")
        # PERF: most fields need no unquoting at all.
        if b"%" in field or b"+" in field:
            # unquote_to_bytes keeps malformed escapes ("%zz", a trailing "%") literally.
            name = unquote_to_bytes(name.replace(b"+", b" "))
            value = unquote_to_bytes(value.replace(b"+", b" "))
        add_param(params, name.decode(charset), value.decode(charset))
    return params


def process_urlencoded(entity: RequestBody) -> None:
    """Parse an ``application/x-www-form-urlencoded`` body into ``entity.params``.

    Blank values are kept, a repeated name becomes a list, and malformed
    percent-escapes are kept literally.

    Raises:
        HTTPError: 400 if no charset in the attempt list decodes the body; 413 for
            more than ``max_fields`` fields.
    """
    raw = entity.read()
    # Counted before splitting: a body of separators must not become a huge list.
    if raw.count(b"&") + raw.count(b";") >= entity.max_fields:
        raise HTTPError(413, f"More than {entity.max_fields} form fields.")
    # COMPAT: CherryPy also splits fields on ';'.
    fields = raw.replace(b";", b"&").split(b"&")
    charsets = charsets_for(entity)
    for charset in charsets:
        try:
            params = _parse_urlencoded(fields, charset)
        except (UnicodeDecodeError, LookupError):
            continue
        entity.charset = charset
        break
    else:
        raise HTTPError(400, undecodable_message(charsets), echoes_input=True)
    merge_params(entity.params, params)


def process_multipart_form_data(entity: RequestBody) -> None:
    """Parse a ``multipart/form-data`` body into ``entity.params`` and ``entity.parts``.

    Text fields (parts without a filename) become ``str`` values; file fields
    stay :class:`Part` objects. Parts without a name are kept in
    ``entity.parts``, as CherryPy does.

    Raises:
        HTTPError: 400 for a missing boundary or a malformed or truncated body;
            413 past a parser limit (``max_fields`` parts, header size), for a
            field without a file name over ``max_field_size``, or over ``maxbytes``.
    """
    import multipart  # deferred: keeps `import framework` light

    parts = _parse_parts(entity, multipart.PushMultipartParser)
    if parts is not None:
        _store_parts(entity, parts, keep_nameless=True)


def process_multipart(entity: RequestBody) -> None:
    """Parse any other ``multipart/*`` body (``multipart/mixed``...) into ``entity.params``.

    # COMPAT: as CherryPy's processor for the ``multipart`` major type: the parts need
    no ``Content-Disposition``; one with a name is a parameter of that name, the others
    are the ``parts`` parameter (text decoded, files as :class:`Part` objects).

    Raises:
        HTTPError: as :func:`process_multipart_form_data`.
    """
    parts = _parse_parts(entity, _any_multipart_parser())
    if parts is not None:
        _store_parts(entity, parts, keep_nameless=False)


@functools.cache
def _any_multipart_parser() -> type[Any]:
    """The ``multipart`` package's parser, without the form-data rule for parts."""
    import multipart

    class AnyMultipartParser(multipart.PushMultipartParser):  # type: ignore[misc]
        # The package's documented extension point for multipart types other than
        # form-data: a part needs no Content-Disposition here.
        def _create_segment(self, headerlist: list[tuple[str, str]]) -> Any:
            return multipart.MultipartSegment(headerlist)

    return AnyMultipartParser


def _parse_parts(entity: RequestBody, parser_class: type[Any]) -> list[Part] | None:
    """Read the body's parts with ``parser_class``; None for an empty body.

    Raises:
        HTTPError: 400 for a missing boundary or a malformed or truncated body; 413
            past a parser limit or ``max_field_size``.
    """
    import multipart

    boundary = entity.content_type.params.get("boundary")
    if not boundary:
        raise HTTPError(400, "Missing multipart boundary")
    if entity.length == 0:
        return None  # COMPAT: CherryPy reads an empty multipart body as no fields.
    header_charset = entity.content_type.params.get("charset") or entity.default_charset
    entity.holds_files = True
    collector = _PartCollector(charsets_for(entity), entity.max_field_size)
    try:
        parser = parser_class(
            boundary,
            content_length=-1 if entity.length is None else entity.length,
            max_segment_count=entity.max_fields,
            header_charset=header_charset,
        )
        for event in parser.parse_blocking(entity.fp.read, BUFSIZE):
            collector.feed(event)
    except multipart.MultipartError as exc:
        collector.close()
        message = str(exc.args[0]) if exc.args else type(exc).__name__
        if isinstance(exc, multipart.ParserLimitReached):
            raise HTTPError(413, message) from exc
        raise HTTPError(400, f"Malformed multipart body: {message}", echoes_input=True) from exc
    except BaseException:  # an HTTPError from the collector, a broken stream...
        collector.close()
        raise
    return collector.parts


class _PartCollector:
    """Builds :class:`Part` objects from the parser's events, spooling big ones to disk."""

    def __init__(self, charsets: list[str], max_field_size: int) -> None:
        self.charsets = charsets
        self.max_field_size = max_field_size
        self.parts: list[Part] = []
        self.current: Part | None = None
        self.in_memory = 0  # bytes of finished parts still held in memory

    def feed(self, event: Any) -> None:
        """Take one event: a new part's headers, a chunk of content, or its end (None)."""
        current = self.current
        if event is None:  # end of the current part
            assert current is not None
            if isinstance(current.file, BytesIO):
                self.in_memory += current.size
            current.file.seek(0)
        elif isinstance(event, bytes | bytearray):
            assert current is not None
            current._write(event)
            if current.filename is None and current.size > self.max_field_size:
                raise HTTPError(413, f"A form field is larger than {self.max_field_size} bytes.")
            if isinstance(current.file, BytesIO) and (
                current.size > current.maxrambytes or self.in_memory + current.size > MEMORY_LIMIT
            ):
                current._spool()
        else:
            self.current = _new_part(event, self.charsets)
            self.parts.append(self.current)

    def close(self) -> None:
        """Release every part (deleting spooled temporary files)."""
        for part in self.parts:
            part.close()


def _store_parts(entity: RequestBody, parts: list[Part], keep_nameless: bool) -> None:
    """Text fields become ``str`` params, file fields stay parts.

    Nameless parts go to ``entity.parts`` (``keep_nameless``) or are the ``parts``
    parameter. All parts are closed if one cannot be decoded.

    Raises:
        HTTPError: 400 if a text part decodes in none of its charsets.
    """
    params = entity.params
    try:
        for part in parts:
            name = part.name
            if name is None and keep_nameless:
                entity.parts.append(part)
                continue
            if name is None:
                name = "parts"
            if part.filename is None:
                add_param(params, name, part.fullvalue())
                part.close()  # only its text is kept
            else:
                add_param(params, name, part)
    except HTTPError:  # an undecodable text field
        for part in parts:
            part.close()
        raise


def _new_part(segment: Any, charsets: list[str]) -> Part:
    """Build a :class:`Part` from a ``multipart.MultipartSegment``.

    Its name and file name come from our own header grammar, not the parser's:
    ``filename="file"name.csv"`` names ``file"name.csv``, as in CherryPy, and a
    missing name is ``None``, not ``''``.
    """
    _, params = parse_header(segment.header("Content-Disposition", ""))
    filename = params.get("filename")
    extended = params.get("filename*")
    if extended is not None:
        # RFC 5987: charset'language'percent-encoded-name
        charset, _, rest = extended.partition("'")
        encoded = rest.partition("'")[2]
        try:
            filename = unquote_to_bytes(encoded).decode(charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            pass  # keep the plain filename
    return Part(HeaderMap(segment.headerlist), params.get("name"), filename, charsets)


RequestBody.processors = {
    "application/x-www-form-urlencoded": process_urlencoded,
    "multipart/form-data": process_multipart_form_data,
    "multipart": process_multipart,
}
