"""HTTP data types and helpers shared by the request pipeline and the tools.

This module owns the small, dependency-free pieces of HTTP the framework needs:
the case-insensitive :class:`HeaderMap`, status-line validation
(:func:`valid_status`), query-string parsing, header-element parsing for
``Accept``-style headers, and the :class:`Host` record used for
``request.remote`` and ``request.local``. Nothing here touches the current
request; callers pass values in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, NamedTuple
from urllib.parse import unquote_to_bytes

__all__ = [
    "RESPONSE_CODES",
    "AcceptElement",
    "HeaderElement",
    "HeaderMap",
    "Host",
    "header_elements",
    "parse_query_string",
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
            ``None`` (meaning 200).

    Returns:
        The numeric code, the reason phrase and a default long message.

    Raises:
        ValueError: if the status is not a number between 100 and 599 or its reason
            contains a control character.
    """
    if status is None:
        status = 200
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
        text = str(status).strip()
        head, _, rest = text.partition(" ")
        try:
            code = int(head)
        except ValueError:
            raise ValueError(
                f"Illegal response status from server ({status!r} is non-numeric)."
            ) from None
        reason = rest.strip() or None
    if code < 100 or code > 599:
        raise ValueError(f"Illegal response status from server ({code!r} is out of range).")
    default_reason, message = RESPONSE_CODES.get(code, ("", ""))
    if reason is None:
        reason = default_reason or "Unknown"
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in reason):
        raise ValueError("Illegal response status: the reason phrase holds a control character.")
    return code, reason, message or reason


def _title(key: str) -> str:
    # PERF: str.title() is slower than this for the common already-titled case.
    return key if key in _TITLED else key.title()


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


class HeaderMap(dict[str, Any]):
    """A dict of HTTP headers whose keys are case-insensitive.

    Keys are stored title-cased (``content-type`` becomes ``Content-Type``), so the
    map can be read and written with any spelling. Values are usually ``str``; a few
    tools store lists, which :meth:`output` expands into repeated header lines.
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
        return isinstance(key, str) and dict.__contains__(self, _title(key))

    def get(self, key: str, default: Any = None) -> Any:
        """Return the header ``key`` (any case), or ``default``."""
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

    def copy(self) -> HeaderMap:
        """Return a shallow copy that is still a :class:`HeaderMap`."""
        new = HeaderMap()
        dict.update(new, self)
        return new

    def elements(self, key: str) -> list[HeaderElement]:
        """Return the parsed elements of a comma-separated header, best first."""
        return header_elements(key, self.get(key))

    def values(self, key: str | None = None) -> Any:  # type: ignore[override,unused-ignore]
        """With a key, return the element values of that header; else dict values."""
        if key is None:
            return dict.values(self)
        return [element.value for element in self.elements(key)]

    def output(self) -> list[tuple[str, str]]:
        """Return ``(name, value)`` pairs ready for WSGI ``start_response``.

        Values are converted to ``str``; list values become repeated headers. CR and LF
        are removed so no header can ever be split by a value (response splitting).

        Raises:
            ValueError: if a header name is not an HTTP token (e.g. holds CR or LF).
        """
        pairs: list[tuple[str, str]] = []
        append = pairs.append
        for key, value in dict.items(self):
            # PERF: the usual names are known good; check only the others.
            if key not in _TITLED and not _TOKEN.fullmatch(key):
                raise ValueError(f"Invalid response header name: {key!r}")
            if type(value) is str:
                if "\r" in value or "\n" in value or "\0" in value:
                    value = _clean(value)
                append((key, value))
            elif isinstance(value, list | tuple):
                for item in value:
                    append((key, _clean(str(item))))
            else:
                append((key, _clean(str(value))))
        return pairs


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _clean(value: str) -> str:
    if "\r" in value or "\n" in value or "\0" in value:
        value = value.replace("\r", " ").replace("\n", " ").replace("\0", " ")
    return value


_Q_RE = re.compile(r";\s*q=", re.IGNORECASE)


class HeaderElement:
    """One element of a comma-separated header value, with its parameters."""

    def __init__(self, value: str, params: dict[str, str] | None = None) -> None:
        self.value = value
        self.params = params or {}

    def __str__(self) -> str:
        params = "".join(f";{key}={val}" for key, val in self.params.items())
        return f"{self.value}{params}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HeaderElement) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __lt__(self, other: HeaderElement) -> bool:
        return self.value < other.value

    @staticmethod
    def parse(elementstr: str) -> tuple[str, dict[str, str]]:
        """Split ``'text/html;level=1'`` into ``('text/html', {'level': '1'})``."""
        atoms = [atom.strip() for atom in elementstr.split(";") if atom.strip()]
        value = atoms.pop(0) if atoms else ""
        params: dict[str, str] = {}
        for atom in atoms:
            key, _, val = atom.partition("=")
            params[key.strip()] = val.strip().strip('"')
        return value, params

    @classmethod
    def from_str(cls, elementstr: str) -> HeaderElement:
        """Build an element from its header text."""
        value, params = cls.parse(elementstr)
        return cls(value, params)


class AcceptElement(HeaderElement):
    """An element of an ``Accept*`` header; sorts by its ``q`` quality value."""

    @classmethod
    def from_str(cls, elementstr: str) -> AcceptElement:
        """Build an element, moving ``q`` out of the media-range parameters."""
        qvalue = None
        parts = _Q_RE.split(elementstr, maxsplit=1)
        if len(parts) == 2:
            elementstr, qtext = parts
            qvalue = HeaderElement.from_str(qtext.strip())
        value, params = cls.parse(elementstr)
        if qvalue is not None:
            params["q"] = qvalue.value
        return cls(value, params)

    @property
    def qvalue(self) -> float:
        """The quality value, 1.0 when absent; 0.0 for a malformed one."""
        try:
            return float(self.params.get("q", "1"))
        except ValueError:
            return 0.0

    def __lt__(self, other: HeaderElement) -> bool:
        other_q = other.qvalue if isinstance(other, AcceptElement) else 1.0
        if self.qvalue == other_q:
            return str(self) < str(other)
        return self.qvalue < other_q


def header_elements(fieldname: str, fieldvalue: str | None) -> list[HeaderElement]:
    """Parse a comma-separated header into elements, best (highest q) first."""
    if not fieldvalue:
        return []
    accept = fieldname.lower().startswith("accept") or fieldname.lower() == "te"
    result: list[HeaderElement] = []
    for element in fieldvalue.split(","):
        if not element.strip():
            continue
        if accept:
            result.append(AcceptElement.from_str(element))
        else:
            result.append(HeaderElement.from_str(element))
    return sorted(result, reverse=True) if accept else result


def _unquote(text: str, encoding: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    return unquote_to_bytes(text.replace("+", " ")).decode(encoding)


def parse_query_string(query_string: str, encoding: str = "utf-8") -> dict[str, Any]:
    """Parse a query string into a dict; a repeated name becomes a list.

    Blank values are kept (``a=`` gives ``{'a': ''}``). Percent-escapes that do not
    form valid hex are kept literally, as browsers do.

    Raises:
        UnicodeDecodeError: if the decoded bytes are not valid in ``encoding``.
    """
    result: dict[str, Any] = {}
    if not query_string:
        return result
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


class Host(NamedTuple):
    """An internet address: ``request.remote`` and ``request.local``."""

    ip: str = "0.0.0.0"
    port: int = 80
    name: str = "unknown.tld"

    def __repr__(self) -> str:
        return f"httputil.Host({self.ip!r}, {self.port!r}, {self.name!r})"
