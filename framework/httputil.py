"""HTTP data types and helpers shared by the request pipeline and the tools.

This module owns the small, dependency-free pieces of HTTP the framework needs:
the case-insensitive :class:`CaseInsensitiveDict` and :class:`HeaderMap`,
status-line validation (:func:`valid_status`), query-string parsing, URL path joining
(:func:`urljoin`), ``Range`` parsing (:func:`get_ranges`) and the :class:`Host`
record used for ``request.remote`` and ``request.local``. Header values are parsed by
:mod:`framework.headers` (its element types are re-exported here). Nothing here
touches the current request; callers pass values in.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

from framework.headers import AcceptElement, HeaderElement, header_elements

__all__ = [
    "RESPONSE_CODES",
    "AcceptElement",
    "CaseInsensitiveDict",
    "HeaderElement",
    "HeaderMap",
    "Host",
    "UnsafeHeader",
    "get_ranges",
    "header_elements",
    "parse_query_string",
    "protocol_from_http",
    "urljoin",
    "urljoin_bytes",
    "valid_status",
]

#: Reason phrase and default long message for each status code we know.
RESPONSE_CODES: dict[int, tuple[str, str]] = {
    int(status): (status.phrase, status.description or status.phrase) for status in HTTPStatus
}
RESPONSE_CODES.update(
    {
        # COMPAT: CherryPy's default messages (error pages show them; tut10 does).
        400: ("Bad Request", "Bad request syntax or unsupported method"),
        401: ("Unauthorized", "No permission -- see authorization schemes"),
        403: ("Forbidden", "Request forbidden -- authorization will not help"),
        404: ("Not Found", "Nothing matches the given URI"),
        405: ("Method Not Allowed", "Specified method is invalid for this resource"),
        413: ("Payload Too Large", "Entity is too large"),
        415: ("Unsupported Media Type", "Entity body in unsupported format"),
        500: (
            "Internal Server Error",
            "The server encountered an unexpected condition which prevented it "
            "from fulfilling the request.",
        ),
        503: (
            "Service Unavailable",
            "The server is currently unable to handle the request due to a temporary "
            "overloading or maintenance of the server.",
        ),
    }
)


_STATUS_CACHE: dict[int | str, tuple[int, str, str]] = {}


def valid_status(status: int | str | None) -> tuple[int, str, str]:
    """Split a status into ``(code, reason, message)``.

    Args:
        status: an int (``404``), a string (``"404"`` or ``"404 Gone for good"``) or
            ``None`` or ``""`` (meaning 200).

    Returns:
        The numeric code, the reason phrase and a default long message (empty for a
        code the table does not know, as CherryPy's).

    Raises:
        ValueError: if the status is not a number between 100 and 599 or its reason
            contains a control character.
    """
    if status is None or status == "":
        status = 200  # COMPAT: CherryPy reads a blank status as the default
    if not isinstance(status, int | str):
        raise ValueError(f"Illegal response status from server ({status!r} is non-numeric).")
    # PERF: handlers reuse a handful of statuses; validate each spelling once.
    cached = _STATUS_CACHE.get(status)
    if cached is not None:
        return cached
    result = _valid_status(status)
    if len(_STATUS_CACHE) < 512:
        _STATUS_CACHE[status] = result
    return result


def _valid_status(status: int | str) -> tuple[int, str, str]:
    reason: str | None = None
    if isinstance(status, int):
        code = status
    else:
        text = status.strip()
        head, _, rest = text.partition(" ")
        try:
            code = int(head)
        except ValueError:
            raise ValueError(
                f"Illegal response status from server ({head!r} is non-numeric)."
            ) from None
        reason = rest.strip() or None
    if code < 100 or code > 599:
        raise ValueError(f"Illegal response status from server ({code!r} is out of range).")
    default_reason, message = RESPONSE_CODES.get(code, ("", ""))
    if reason is None:
        reason = default_reason or "Unknown"
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in reason):
        raise ValueError("Illegal response status: the reason phrase holds a control character.")
    return code, reason, message


def urljoin(*atoms: str) -> str:
    """Join URL path pieces (``SCRIPT_NAME`` and ``PATH_INFO``) with single slashes.

    Empty pieces are skipped and runs of slashes collapse: ``urljoin("/sn/", "/pi")``
    is ``"/sn/pi"``, ``urljoin("", "")`` is ``"/"``.
    """
    url = "/".join(atom for atom in atoms if atom)
    while "//" in url:
        url = url.replace("//", "/")
    return url or "/"


def urljoin_bytes(*atoms: bytes) -> bytes:
    """:func:`urljoin` for ``bytes`` pieces."""
    return urljoin(*(atom.decode("latin-1") for atom in atoms)).encode("latin-1")


def protocol_from_http(protocol: str) -> tuple[int, int]:
    """Return ``(1, 1)`` for ``"HTTP/1.1"``."""
    return int(protocol[5]), int(protocol[7])


def get_ranges(headervalue: str | None, content_length: int) -> list[tuple[int, int]] | None:
    """Turn a ``Range`` header into ``(start, stop)`` slice indices of the content.

    Args:
        headervalue: e.g. ``"bytes=0-99,-20"``; ``None`` or empty for no header.
        content_length: the size of the whole representation.

    Returns:
        ``None`` when the whole content should be sent (no header, or a syntactically
        invalid one, which RFC 9110 says to ignore); an empty list when no range is
        satisfiable (answer 416); otherwise the slices, e.g. ``[(0, 100), (80, 100)]``.
    """
    if not headervalue:
        return None
    unit, eq, byteranges = headervalue.partition("=")
    if not eq or unit.strip().lower() != "bytes":
        return None
    result: list[tuple[int, int]] = []
    for byterange in byteranges.split(","):
        first, dash, last = (part.strip() for part in byterange.partition("-"))
        if not dash or not (first or last) or not all(p.isdigit() for p in (first, last) if p):
            return None
        if first:
            start = int(first)
            if last and int(last) < start:
                return None
            # An open range from the end or past it is unsatisfiable, not invalid.
            stop = int(last) if last else content_length - 1
            if start < content_length:
                result.append((start, min(stop + 1, content_length)))
        else:  # the last N bytes; all of them if the content is shorter
            result.append((max(content_length - int(last), 0), content_length))
    return result


def _title(key: str | bytes) -> str:
    # PERF: str.title() is slower than this for the common already-titled case.
    if key in _TITLED:
        return key  # type: ignore[return-value,unused-ignore]  # only str keys are in _TITLED
    if isinstance(key, bytes):  # COMPAT: CherryPy accepts bytes header names
        key = key.decode("latin-1")
    return key.title()


_TITLED = frozenset(
    {
        "Content-Type",
        "Content-Length",
        "Location",
        "Server",
        "Date",
        "Set-Cookie",
        "Host",
        "Allow",
        "Vary",
        "Cache-Control",
        "Etag",
        "Last-Modified",
    }
)


class CaseInsensitiveDict(dict[str, Any]):
    """A dict whose ``str`` keys are case-insensitive: stored title-cased.

    ``content-type`` is stored as ``Content-Type``, so the dict can be read and written
    with any spelling. ``bytes`` keys are decoded as Latin-1.
    """

    __slots__ = ()

    def __init__(self, data: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        if data is not None:
            self.update(data)

    def __getitem__(self, key: str) -> Any:
        return dict.__getitem__(self, _title(key))

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, _title(key), value)

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, _title(key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str | bytes) and dict.__contains__(self, _title(key))

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value of ``key`` (any case), or ``default``."""
        return dict.get(self, _title(key), default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Set ``key`` to ``default`` unless present; return its value."""
        return dict.setdefault(self, _title(key), default)

    def pop(self, key: str, *default: Any) -> Any:
        """Remove ``key`` (any case) and return its value."""
        return dict.pop(self, _title(key), *default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Update from a mapping or pairs, title-casing every key."""
        for source in (*args, kwargs):
            items = source.items() if hasattr(source, "items") else source
            for key, value in items:
                dict.__setitem__(self, _title(key), value)

    def copy(self) -> Any:
        """Return a shallow copy of the same class."""
        new = type(self)()
        dict.update(new, self)
        return new

    @classmethod
    def fromkeys(cls, keys: Iterable[str], value: Any = None) -> Any:  # type: ignore[override]
        """Return a new dict of this class with ``keys`` (title-cased) set to ``value``."""
        return cls((key, value) for key in keys)


class HeaderMap(CaseInsensitiveDict):
    """A dict of HTTP headers whose keys are case-insensitive.

    Keys are stored title-cased (``content-type`` becomes ``Content-Type``), so the
    map can be read and written with any spelling. A name set with capitals of its own
    (``X-QA``, ``WWW-Authenticate``, ``ETag``) is sent as it was spelled; an all
    lower-case one is sent title-cased (``x-qa`` as ``X-Qa``), as CherryPy sends every
    name. Values are usually ``str``; a few tools store lists, which :meth:`output`
    expands into repeated header lines.
    """

    # PERF: no __slots__, so the spellings default to the class's None: a map that
    # never saw a spelled name costs one attribute read, not a missing-slot exception.
    _spelling: dict[str, str] | None = None

    def __setitem__(self, key: str, value: Any) -> None:
        name = _title(key)
        dict.__setitem__(self, name, value)
        # PERF: the usual names come back from _title as the very same object.
        if name is not key and type(key) is str and key != name and not key.islower():
            if self._spelling is None:
                self._spelling = {}
            self._spelling[name] = key

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Update from a mapping or pairs (each name as :meth:`__setitem__` keeps it)."""
        for source in (*args, kwargs):
            items = source.items() if hasattr(source, "items") else source
            for key, value in items:
                self[key] = value

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Set ``key`` to ``default`` unless present; return its value."""
        if key not in self:
            self[key] = default
        return self[key]

    def copy(self) -> HeaderMap:
        """Return a shallow copy that is still a :class:`HeaderMap` (spellings kept)."""
        new = HeaderMap()
        dict.update(new, self)
        if self._spelling:
            new._spelling = dict(self._spelling)
        return new

    def elements(self, key: str) -> list[HeaderElement]:
        """Return the parsed elements of a comma-separated header, best first."""
        return header_elements(key, self.get(key))

    def values(self, key: str | None = None) -> Any:  # type: ignore[override,unused-ignore]
        """With a key, return the element values of that header; else dict values."""
        if key is None:
            return dict.values(self)
        return [element.value for element in self.elements(key)]

    def output(self, strict: bool = False) -> list[tuple[str, str]]:
        """Return ``(name, value)`` pairs ready for WSGI ``start_response``.

        Values are converted to ``str`` (``bytes`` decoded as Latin-1); list values
        become repeated headers. CR, LF and NUL are replaced by spaces so no header can
        ever be split by a value (response splitting). A value outside Latin-1 is sent
        as an RFC 2047 encoded word (``=?utf-8?b?...?=``), as CherryPy does.

        Args:
            strict: refuse a value holding CR, LF or NUL instead of replacing them
                (what ``Response.finalize`` asks: an application's header is never
                rewritten behind its back).

        Raises:
            UnsafeHeader: a header name that is not an HTTP token (e.g. holds CR or
                LF), or with ``strict`` a value holding CR, LF or NUL.
        """
        pairs: list[tuple[str, str]] = []
        append = pairs.append
        spelling = self._spelling
        for key, value in dict.items(self):
            # PERF: the usual names are known good; check only the others.
            if key not in _TITLED and not _TOKEN.fullmatch(key):
                raise UnsafeHeader(key, f"Invalid response header name: {key!r}")
            if spelling:
                key = spelling.get(key, key)
            if type(value) is str:
                # PERF: the usual value is plain ASCII; isascii() is O(1).
                if not value.isascii() or "\r" in value or "\n" in value or "\0" in value:
                    value = _wire(value, strict and key)
                append((key, value))
            elif isinstance(value, list | tuple):
                for item in value:
                    append((key, _wire(_text(item), strict and key)))
            else:
                append((key, _wire(_text(value), strict and key)))
        return pairs


class UnsafeHeader(ValueError):
    """A response header that could split the response head (CR, LF, NUL, bad name).

    Args:
        name: the header's name.
        message: what is wrong with it.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _wire(value: str, refuse: str | bool = False) -> str:
    """``value`` made safe for a header line: no CR/LF/NUL, Latin-1 or RFC 2047.

    Raises:
        UnsafeHeader: ``refuse`` (the header's name) and the value holds CR, LF or NUL.
    """
    if refuse and ("\r" in value or "\n" in value or "\0" in value):
        raise UnsafeHeader(str(refuse), f"Response header {refuse!r} holds CR, LF or NUL")
    value = _clean(value)
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return "=?utf-8?b?" + base64.b64encode(value.encode("utf-8")).decode("ascii") + "?="
    return value


def _clean(value: str) -> str:
    if "\r" in value or "\n" in value or "\0" in value:
        value = value.replace("\r", " ").replace("\n", " ").replace("\0", " ")
    return value


def _unquote(text: str, encoding: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    return unquote_to_bytes(text.replace("+", " ")).decode(encoding)


def parse_query_string(query_string: str, encoding: str = "utf-8") -> dict[str, Any]:
    """Parse a query string into a dict; a repeated name becomes a list.

    Blank values are kept (``a=`` gives ``{'a': ''}``). Percent-escapes that do not
    form valid hex are kept literally, as browsers do. A server-side image map query
    (``"12,34"``) gives ``{'x': 12, 'y': 34}``.

    Raises:
        UnicodeDecodeError: if the decoded bytes are not valid in ``encoding``.
    """
    result: dict[str, Any] = {}
    if not query_string:
        return result
    if "," in query_string and "=" not in query_string:
        x, _, y = query_string.partition(",")
        if x.isdigit() and y.isdigit():
            # COMPAT: a server-side image map click ("?12,34"), as CherryPy reads it.
            return {"x": int(x), "y": int(y)}
    for pair in query_string.replace(";", "&").split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        key = _unquote(name, encoding)
        val = _unquote(value, encoding)
        if key in result:
            existing = result[key]
            if isinstance(existing, list):
                existing.append(val)
            else:
                result[key] = [existing, val]
        else:
            result[key] = val
    return result


class Host:
    """An internet address: ``request.remote`` and ``request.local``.

    # COMPAT: mutable, as CherryPy's (apps and proxy tools set ``remote.ip`` or
    ``remote.name``); it still unpacks and compares like an ``(ip, port, name)`` tuple.
    """

    __slots__ = ("ip", "name", "port")
    __hash__ = None  # type: ignore[assignment]  # mutable

    def __init__(self, ip: str = "0.0.0.0", port: int = 80, name: str = "unknown.tld") -> None:
        self.ip = ip
        self.port = port
        self.name = name

    def __iter__(self) -> Iterator[Any]:
        return iter((self.ip, self.port, self.name))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Host | tuple):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"httputil.Host({self.ip!r}, {self.port!r}, {self.name!r})"
