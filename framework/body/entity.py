"""The request entity: media type, parts, limits, and the parameters parsed from it.

:class:`RequestBody` is ``request.body``: it knows the body's framing (through
:class:`~framework.body.reader.BodyReader`), its media type (:class:`MediaType`), the
charsets to decode it with, the size limit, and the processor chosen by media type
(:mod:`framework.body.forms` registers the form processors). ``process()`` fills
``body.params`` and merges them into the request parameters. Multipart fields that
carry files are :class:`Part` objects, spooled to disk past :data:`SPOOL_LIMIT`.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator, Mapping
from io import BytesIO
from typing import Any, BinaryIO

from framework.body.reader import BodyReader
from framework.errors import HTTPError
from framework.headers import parse_header, sane_charset
from framework.httputil import HeaderMap

__all__ = [
    "MEMORY_LIMIT",
    "PART_LIMIT",
    "SPOOL_LIMIT",
    "MediaType",
    "Part",
    "Processor",
    "RequestBody",
    "add_param",
    "charsets_for",
    "decode_with",
    "merge_params",
    "undecodable_message",
]

#: A multipart part bigger than this many bytes is moved to a temporary file.
SPOOL_LIMIT = 64 * 1024
#: Parts of one body kept in memory may hold at most this many bytes in total;
#: past it, further parts are spooled to disk even when small.
MEMORY_LIMIT = 8 * 1024 * 1024
#: The default of ``RequestBody.max_fields``: more urlencoded fields or multipart
#: parts than this in one body is answered with 413.
PART_LIMIT = 1000

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
            The lowercase media type; parameter names are lowercased and values
            unquoted (:func:`framework.headers.parse_header`).
        """
        media, params = parse_header(header)
        return cls(media.lower(), params)


class Part:
    """One part of a ``multipart/form-data`` body.

    ``file`` holds the part's content, positioned at its start: a ``BytesIO`` for
    small parts, a temporary file on disk past :attr:`maxrambytes`.

    Args:
        headers: the part's own headers.
        name: the ``name`` from ``Content-Disposition`` (``None`` if missing).
        filename: the ``filename`` from ``Content-Disposition`` (``None`` if missing).
        attempt_charsets: charsets to try, in order, when decoding the content as
            text; a ``charset`` in the part's ``Content-Type`` is tried first.
    """

    #: A part bigger than this many bytes is moved to a temporary file (CherryPy's
    #: name; :data:`SPOOL_LIMIT` by default).
    maxrambytes: int = SPOOL_LIMIT

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
        if declared and sane_charset(declared) is not None:
            attempt_charsets = [declared, *(c for c in attempt_charsets if c != declared)]
        elif "us-ascii" not in attempt_charsets and all(map(_ascii_based, attempt_charsets)):
            # RFC 2046/7578: a part without a charset is US-ASCII. Trying it first decodes
            # nothing differently from charsets that extend ASCII (it only shows in the
            # 400 message, as in CherryPy's), so it is left out before UTF-16 and friends.
            attempt_charsets = ["us-ascii", *attempt_charsets]
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
        text, self.charset = decode_with(data, self.attempt_charsets)
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
    #: Most fields of a urlencoded body, and most parts of a multipart one; 413 past
    #: it (config ``request.body.max_fields``). An 8 MB body of ``a&a&a...`` would
    #: otherwise become four million parameters.
    max_fields: int = PART_LIMIT
    #: Largest multipart field without a file name (it is held in memory as text),
    #: in bytes; 413 past it (config ``request.body.max_field_size``). File parts
    #: are spooled to disk and bounded by the body size only.
    max_field_size: int = 1024 * 1024
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
        merge_params(self.request_params, self.params)

    #: True once a processor created parts (files to release when the request ends).
    holds_files = False

    def close(self) -> None:
        """Close the files of all multipart parts (deleting spooled temp files)."""
        for part in self.parts:
            part.close()
        for value in self.params.values():
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, Part):
                    item.close()


@functools.cache
def _ascii_based(charset: str) -> bool:
    """True if ``charset`` decodes ASCII bytes to the same characters (UTF-16 does not)."""
    ascii_bytes = bytes(range(128))
    try:
        return ascii_bytes.decode(charset) == ascii_bytes.decode("ascii")
    except (LookupError, UnicodeDecodeError):
        return False


def decode_with(data: bytes, charsets: list[str]) -> tuple[str, str]:
    """Decode with the first charset that works; 400 naming them all otherwise."""
    for charset in charsets:
        try:
            return data.decode(charset), charset
        except (UnicodeDecodeError, LookupError):
            continue
    raise HTTPError(400, undecodable_message(charsets), echoes_input=True)


def undecodable_message(charsets: list[str]) -> str:
    return (
        "The request entity could not be decoded. The following charsets "
        f"were attempted: {charsets!r}"
    )


def charsets_for(entity: RequestBody) -> list[str]:
    """The charsets to try for ``entity``: its declared one, then ``attempt_charsets``."""
    declared = entity.content_type.params.get("charset")
    if not declared or sane_charset(declared) is None:
        return list(entity.attempt_charsets)
    return [declared, *(c for c in entity.attempt_charsets if c != declared)]


def add_param(params: dict[str, Any], key: str, value: Any) -> None:
    if key in params:
        existing = params[key]
        if isinstance(existing, list):
            existing.append(value)
        else:
            params[key] = [existing, value]
    else:
        params[key] = value


def merge_params(target: dict[str, Any], source: dict[str, Any]) -> None:
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
