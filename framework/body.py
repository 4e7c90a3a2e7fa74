"""Request bodies: framing, size limits, and parsing into request parameters.

The request pipeline builds one :class:`RequestBody` per request over the raw input
stream (``wsgi.input``) and the request headers, then calls :meth:`RequestBody.process`
for methods that carry a body. ``process()`` picks a processor by media type from
``body.processors`` (urlencoded forms and ``multipart/form-data`` by default; tools
such as ``json_in`` register more), fills ``body.params`` and merges them into the
request parameters the handler receives. For any other media type the body is left
unread, and handlers call ``request.body.read()`` themselves.

All reads go through :class:`BodyReader`, which enforces ``Content-Length`` and
``maxbytes`` and turns bad framing into a 4xx :class:`~framework.errors.HTTPError`.
Multipart parsing uses the maintained ``multipart`` package, imported on first use;
parts larger than :data:`SPOOL_LIMIT` are spooled to temporary files. Call
:meth:`RequestBody.close` when the request ends to release those files.

Nothing is parsed until ``process()``, ``read()`` or ``fp`` is first used, so a
request whose handler ignores its body pays only for the constructor.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from io import BytesIO
from typing import Any, BinaryIO
from urllib.parse import unquote_to_bytes

from framework.errors import HTTPError
from framework.httputil import HeaderMap

__all__ = [
    "BUFSIZE",
    "PART_LIMIT",
    "SPOOL_LIMIT",
    "BodyReader",
    "MediaType",
    "Part",
    "Processor",
    "RequestBody",
    "process_multipart_form_data",
    "process_urlencoded",
]

#: A multipart part bigger than this many bytes is moved to a temporary file.
SPOOL_LIMIT = 64 * 1024
#: Parts of one body kept in memory may hold at most this many bytes in total;
#: past it, further parts are spooled to disk even when small.
MEMORY_LIMIT = 8 * 1024 * 1024
#: More multipart parts than this in one body is answered with 413.
PART_LIMIT = 1024
#: Chunk size for reading a body of unknown length and for the multipart parser.
BUFSIZE = 64 * 1024

_TRUNCATED = "The request body is shorter than its Content-Length."

Processor = Callable[["RequestBody"], object]


class MediaType(str):
    """A lowercase media type (``"multipart/form-data"``) carrying its parameters.

    It compares and hashes as the plain media type string; ``params`` holds the
    header parameters (``boundary``, ``charset``) with lowercase names.
    """

    __slots__ = ("params",)
    params: dict[str, str]

    def __new__(cls, value: str, params: dict[str, str] | None = None) -> MediaType:
        self = super().__new__(cls, value)
        self.params = params if params is not None else {}
        return self

    @property
    def value(self) -> str:
        """The media type as a plain ``str``."""
        # COMPAT: CherryPy exposes content types as HeaderElements; apps read `.value`.
        return str(self)

    @classmethod
    def parse(cls, header: str) -> MediaType:
        """Parse a ``Content-Type`` value such as ``'text/plain; charset="utf-8"'``.

        Returns:
            The lowercase media type; parameter values are unquoted.
        """
        media, _, rest = header.partition(";")
        params: dict[str, str] = {}
        if rest:
            for item in rest.split(";"):
                key, eq, val = item.partition("=")
                if not eq:
                    continue
                val = val.strip()
                if len(val) > 1 and val[0] == val[-1] == '"':
                    val = val[1:-1]
                params[key.strip().lower()] = val
        return cls(media.strip().lower(), params)


class BodyReader:
    """A read-only view of the request body, bounded by its framing and ``maxbytes``.

    Args:
        fp: the raw input stream (``wsgi.input``).
        length: bytes to read (the ``Content-Length``, or 0 for no body), or
            ``None`` to read until EOF (a body the server has de-chunked).
        maxbytes: the most bytes an EOF-delimited body may hold, or ``None``.
    """

    __slots__ = ("_fp", "bytes_read", "length", "maxbytes")

    def __init__(self, fp: BinaryIO, length: int | None, maxbytes: int | None) -> None:
        self._fp = fp
        self.length = length
        self.maxbytes = maxbytes
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes of the body (all that is left if negative).

        Raises:
            HTTPError: 400 if the stream ends before ``Content-Length`` bytes;
                413 if an EOF-delimited body grows past ``maxbytes``.
        """
        if self.length is None:
            return self._read_to_eof(size)
        remaining = self.length - self.bytes_read
        if size < 0 or size > remaining:
            size = remaining
        if size == 0:
            return b""
        data = self._fp.read(size)
        # PERF: one read() normally returns everything; loop only on short reads.
        if len(data) < size:
            chunks = [data]
            got = len(data)
            while got < size:
                chunk = self._fp.read(size - got)
                if not chunk:
                    raise HTTPError(400, _TRUNCATED)
                chunks.append(chunk)
                got += len(chunk)
            data = b"".join(chunks)
        self.bytes_read += size
        return data

    def _read_to_eof(self, size: int) -> bytes:
        if size >= 0:
            data = self._fp.read(size) if size else b""
            self._count(len(data))
            return data
        chunks = []
        while chunk := self._fp.read(BUFSIZE):
            self._count(len(chunk))
            chunks.append(chunk)
        return b"".join(chunks)

    def _count(self, n: int) -> None:
        self.bytes_read += n
        if self.maxbytes is not None and self.bytes_read > self.maxbytes:
            raise HTTPError(413)

    def readline(self, size: int = -1) -> bytes:
        """Read one line (up to ``size`` bytes if not negative), ending with ``\\n``.

        Raises:
            HTTPError: as for :meth:`read`.
        """
        if self.length is None:
            if self.maxbytes is not None:
                cap = self.maxbytes - self.bytes_read + 1
                size = cap if size < 0 else min(size, cap)
            line = self._fp.readline(size) if size >= 0 else self._fp.readline()
            self._count(len(line))
            return line
        remaining = self.length - self.bytes_read
        if size < 0 or size > remaining:
            size = remaining
        if size == 0:
            return b""
        line = self._fp.readline(size)
        if len(line) < size and not line.endswith(b"\n"):
            raise HTTPError(400, _TRUNCATED)  # a short line without a newline means EOF
        self.bytes_read += len(line)
        return line

    def __iter__(self) -> Iterator[bytes]:
        """Yield the body line by line."""
        while line := self.readline():
            yield line


class Part:
    """One part of a ``multipart/form-data`` body.

    ``file`` holds the part's content, positioned at its start: a ``BytesIO`` for
    small parts, a temporary file on disk past :data:`SPOOL_LIMIT`.

    Args:
        headers: the part's own headers.
        name: the ``name`` from ``Content-Disposition`` (``None`` if missing).
        filename: the ``filename`` from ``Content-Disposition`` (``None`` if missing).
        attempt_charsets: charsets to try, in order, when decoding the content as
            text; a ``charset`` in the part's ``Content-Type`` is tried first.
    """

    def __init__(
        self,
        headers: HeaderMap,
        name: str | None,
        filename: str | None,
        attempt_charsets: list[str],
    ) -> None:
        self.headers = headers
        self.name = name
        self.filename = filename
        # COMPAT: CherryPy gives parts without a Content-Type 'text/plain', files too.
        self.content_type = MediaType.parse(headers.get("Content-Type") or "text/plain")
        declared = self.content_type.params.get("charset")
        if declared:
            attempt_charsets = [declared, *(c for c in attempt_charsets if c != declared)]
        self.attempt_charsets = attempt_charsets
        self.charset: str | None = None
        self.file: BinaryIO = BytesIO()
        self.size = 0

    def __repr__(self) -> str:
        return (
            f"<Part name={self.name!r} filename={self.filename!r} "
            f"content_type={str(self.content_type)!r} size={self.size}>"
        )

    @property
    def value(self) -> str:
        """The content decoded as text (see :meth:`fullvalue`)."""
        return self.fullvalue()

    def fullvalue(self) -> str:
        """Return the whole content decoded with the first charset that fits.

        Sets ``charset`` to the charset used.

        Raises:
            HTTPError: 400 if none of ``attempt_charsets`` decodes the content.
        """
        pos = self.file.tell()
        self.file.seek(0)
        data = self.file.read()
        self.file.seek(pos)
        text, self.charset = _decode(data, self.attempt_charsets)
        return text

    def close(self) -> None:
        """Close ``file``, deleting its temporary file if it was spooled."""
        self.file.close()

    def _write(self, chunk: bytes | bytearray) -> None:
        self.file.write(chunk)
        self.size += len(chunk)

    def _spool(self) -> None:
        """Move the content written so far from memory to a temporary file."""
        memory = self.file
        disk = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the part, closed by close()
        assert isinstance(memory, BytesIO)
        disk.write(memory.getbuffer())
        memory.close()
        self.file = disk


class RequestBody:
    """The body of the current request: framing, limits and parsed parameters.

    Class attributes are defaults that config (``request.body.<name>``) or tools
    override per instance.

    Args:
        fp: the raw input stream (``wsgi.input``).
        headers: the request headers (a case-insensitive ``HeaderMap``).
        request_params: the request's parameters; ``process()`` merges body
            parameters into it, after the query-string values.
    """

    #: Largest body accepted, in bytes (config ``request.body.maxbytes``).
    maxbytes: int | None = None
    #: Charsets tried in order to decode form data; a ``charset`` parameter in
    #: the ``Content-Type`` header is tried first.
    attempt_charsets: list[str] = ["utf-8"]
    #: Charset of multipart part headers (field names, filenames) when the
    #: ``Content-Type`` declares none.
    default_charset = "utf-8"
    #: Called by ``process()`` for media types without a processor; ``None``
    #: leaves the body unread. An exception instance here is raised instead.
    default_proc: Callable[[], object] | BaseException | None = None
    #: Processors by media type (or by major type, e.g. ``'text'``). Each
    #: instance gets its own copy, so tools can register per request.
    processors: dict[str, Processor] = {}

    def __init__(
        self, fp: BinaryIO, headers: Mapping[str, str], request_params: dict[str, Any]
    ) -> None:
        self.rfile = fp
        self.headers = headers
        self.request_params = request_params
        self.params: dict[str, Any] = {}
        self.parts: list[Part] = []
        self.processors = self.processors.copy()
        #: The charset that decoded the form data, once processed.
        self.charset: str | None = None
        self._reader: BodyReader | None = None
        self._length: int | None = None
        self._content_type: MediaType | None = None

    @property
    def content_type(self) -> MediaType:
        """The body's media type, lowercase; ``''`` without a ``Content-Type``."""
        if self._content_type is None:
            self._content_type = MediaType.parse(self.headers.get("Content-Type") or "")
        return self._content_type

    @property
    def fp(self) -> BodyReader:
        """The body stream, bounded by ``Content-Length`` and ``maxbytes``.

        Raises:
            HTTPError: 400 for an unsupported ``Transfer-Encoding`` or an invalid
                ``Content-Length``; 413 if ``Content-Length`` exceeds ``maxbytes``.
        """
        if self._reader is None:
            self._reader = self._open()
        return self._reader

    @property
    def length(self) -> int | None:
        """The declared ``Content-Length``; ``None`` if absent or chunked (may raise as ``fp``)."""
        _ = self.fp
        return self._length

    def _open(self) -> BodyReader:
        headers = self.headers
        chunked = False
        te = headers.get("Transfer-Encoding")
        if te is not None:
            codings = [c.strip().lower() for c in te.split(",")]
            if any(c not in ("chunked", "identity") for c in codings if c):
                raise HTTPError(400, "Unsupported Transfer-Encoding")
            chunked = "chunked" in codings
        if chunked:
            # The server has de-chunked the stream already: it ends at EOF.
            return BodyReader(self.rfile, None, self.maxbytes)
        declared = (headers.get("Content-Length") or "").strip()
        if not declared:
            # Neither header: HTTP says there is no body; never block reading one.
            return BodyReader(self.rfile, 0, None)
        if not (declared.isascii() and declared.isdigit()):
            raise HTTPError(400, "Invalid Content-Length")
        length = int(declared)
        if self.maxbytes is not None and length > self.maxbytes:
            raise HTTPError(413)
        self._length = length
        return BodyReader(self.rfile, length, None)

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes of the body (the rest of it if negative).

        Raises:
            HTTPError: 400 for bad framing or a body cut short, 413 over ``maxbytes``.
        """
        return self.fp.read(size)

    def readline(self, size: int = -1) -> bytes:
        """Read one line of the body (see :meth:`read`)."""
        return self.fp.readline(size)

    def __iter__(self) -> Iterator[bytes]:
        """Yield the rest of the body line by line."""
        return iter(self.fp)

    def fullvalue(self) -> bytes:
        """Return the rest of the body (all of it if nothing was read yet)."""
        return self.fp.read()

    def process(self) -> None:
        """Parse the body with the processor for its media type; merge its params.

        Raises:
            HTTPError: 411 if the request has neither ``Content-Length`` nor
                ``Transfer-Encoding``; 400/413 for bad framing, undecodable or
                malformed content, or a body over ``maxbytes``.
        """
        headers = self.headers
        if not headers.get("Content-Length") and "Transfer-Encoding" not in headers:
            # COMPAT: CherryPy demands a framed body when asked to process one;
            # handlers that take bodiless POSTs set request.process_request_body off.
            raise HTTPError(411)
        _ = self.fp  # framing errors win over content errors
        media = self.content_type
        proc = self.processors.get(media)
        if proc is None and media:
            proc = self.processors.get(media.partition("/")[0])
        if proc is not None:
            proc(self)
        elif isinstance(self.default_proc, BaseException):
            raise self.default_proc
        elif self.default_proc is not None:
            self.default_proc()
        _merge(self.request_params, self.params)

    def close(self) -> None:
        """Close the files of all multipart parts (deleting spooled temp files)."""
        for part in self.parts:
            part.close()
        for value in self.params.values():
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, Part):
                    item.close()


def _decode(data: bytes, charsets: list[str]) -> tuple[str, str]:
    """Decode with the first charset that works; 400 naming them all otherwise."""
    for charset in charsets:
        try:
            return data.decode(charset), charset
        except (UnicodeDecodeError, LookupError):
            continue
    raise HTTPError(400, _undecodable(charsets))


def _undecodable(charsets: list[str]) -> str:
    return (
        "The request entity could not be decoded. The following charsets "
        f"were attempted: {charsets!r}"
    )


def _charsets(entity: RequestBody) -> list[str]:
    """The charsets to try for ``entity``: its declared one, then ``attempt_charsets``."""
    declared = entity.content_type.params.get("charset")
    if not declared:
        return list(entity.attempt_charsets)
    return [declared, *(c for c in entity.attempt_charsets if c != declared)]


def _add(params: dict[str, Any], key: str, value: Any) -> None:
    if key in params:
        existing = params[key]
        if isinstance(existing, list):
            existing.append(value)
        else:
            params[key] = [existing, value]
    else:
        params[key] = value


def _merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Add ``source`` to ``target``; a name in both gets a list, ``target``'s first."""
    for key, value in source.items():
        if key in target:
            first = target[key]
            # A new list: never mutate a list that another dict (request.qs) shares.
            merged = first[:] if isinstance(first, list) else [first]
            if isinstance(value, list):
                merged.extend(value)
            else:
                merged.append(value)
            target[key] = merged
        else:
            target[key] = value


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
        _add(params, name.decode(charset), value.decode(charset))
    return params


def process_urlencoded(entity: RequestBody) -> None:
    """Parse an ``application/x-www-form-urlencoded`` body into ``entity.params``.

    Blank values are kept, a repeated name becomes a list, and malformed
    percent-escapes are kept literally.

    Raises:
        HTTPError: 400 if no charset in the attempt list decodes the body.
    """
    # COMPAT: CherryPy also splits fields on ';'.
    fields = entity.read().replace(b";", b"&").split(b"&")
    charsets = _charsets(entity)
    for charset in charsets:
        try:
            params = _parse_urlencoded(fields, charset)
        except (UnicodeDecodeError, LookupError):
            continue
        entity.charset = charset
        break
    else:
        raise HTTPError(400, _undecodable(charsets))
    _merge(entity.params, params)


def process_multipart_form_data(entity: RequestBody) -> None:
    """Parse a ``multipart/form-data`` body into ``entity.params`` and ``entity.parts``.

    Text fields (parts without a filename) become ``str`` values; file fields
    stay :class:`Part` objects. Parts without a name are kept in
    ``entity.parts``, as CherryPy does.

    Raises:
        HTTPError: 400 for a missing boundary or a malformed or truncated body;
            413 past a parser limit (part count, header size) or ``maxbytes``.
    """
    import multipart  # deferred: keeps `import framework` light

    boundary = entity.content_type.params.get("boundary")
    if not boundary:
        raise HTTPError(400, "Missing multipart boundary")
    if entity.length == 0:
        return  # COMPAT: CherryPy reads an empty multipart body as no fields.
    charsets = _charsets(entity)
    header_charset = entity.content_type.params.get("charset") or entity.default_charset
    parts: list[Part] = []
    current: Part | None = None
    in_memory = 0
    try:
        parser = multipart.PushMultipartParser(
            boundary,
            content_length=-1 if entity.length is None else entity.length,
            max_segment_count=PART_LIMIT,
            header_charset=header_charset,
        )
        for event in parser.parse_blocking(entity.fp.read, BUFSIZE):
            if event is None:  # end of the current part
                assert current is not None
                if isinstance(current.file, BytesIO):
                    in_memory += current.size
                current.file.seek(0)
            elif isinstance(event, bytes | bytearray):
                assert current is not None
                current._write(event)
                if isinstance(current.file, BytesIO) and (
                    current.size > SPOOL_LIMIT or in_memory + current.size > MEMORY_LIMIT
                ):
                    current._spool()
            else:
                current = _new_part(multipart, event, charsets)
                parts.append(current)
    except multipart.MultipartError as exc:
        for part in parts:
            part.close()
        message = str(exc.args[0]) if exc.args else type(exc).__name__
        if isinstance(exc, multipart.ParserLimitReached):
            raise HTTPError(413, message) from exc
        raise HTTPError(400, f"Malformed multipart body: {message}") from exc
    except BaseException:
        for part in parts:
            part.close()
        raise

    params = entity.params
    try:
        for part in parts:
            if part.name is None:
                entity.parts.append(part)
            elif part.filename is None:
                _add(params, part.name, part.fullvalue())
                part.close()  # only its text is kept
            else:
                _add(params, part.name, part)
    except HTTPError:  # an undecodable text field
        for part in parts:
            part.close()
        raise


def _new_part(multipart: Any, segment: Any, charsets: list[str]) -> Part:
    """Build a :class:`Part` from a ``multipart.MultipartSegment``."""
    name: str | None = segment.name
    if not name:
        # The parser reports a missing name as ''; CherryPy tells the two apart.
        disposition = segment.header("Content-Disposition", "")
        name = multipart.parse_content_disposition(disposition)[1]
    return Part(HeaderMap(segment.headerlist), name, segment.filename, charsets)


RequestBody.processors = {
    "application/x-www-form-urlencoded": process_urlencoded,
    "multipart/form-data": process_multipart_form_data,
}
