"""The grammar of header values: elements, parameters, quoted strings, encoded words, dates.

Every place that reads a structured header value goes through this module, so a value
is parsed the same way everywhere (``Accept`` negotiation, ``Content-Type`` charsets and
boundaries, ``Content-Disposition`` field names and file names):

- :func:`split_elements` splits a comma-separated list, leaving commas inside quoted
  strings alone (``text/x; p="a,b"`` is one element);
- :func:`parse_header` splits one element into its value and parameters: names are
  lowercased, quoted values are unquoted and their backslash escapes resolved
  (``p="a\\"b"`` gives ``a"b``);
- :class:`HeaderElement` and :class:`AcceptElement` (sorted by ``q``) are what
  :func:`header_elements` and ``HeaderMap.elements()`` return;
- :func:`decode_TEXT` decodes RFC 2047 encoded words (:func:`decode_header_value`
  does it for request headers); :func:`HTTPDate` formats a timestamp as an HTTP date.

# COMPAT: a quoted value is recognised as CherryPy (and the old ``cgi`` module) do: a
# value that starts and ends with a double quote, even if it holds unescaped quotes in
# between (browsers send ``filename="file"name.csv"`` for a file named ``file"name.csv``).
"""

from __future__ import annotations

import codecs
import email.utils
import functools
import re
from email.header import decode_header

__all__ = [
    "MAX_COOKIES",
    "AcceptElement",
    "HTTPDate",
    "HeaderElement",
    "cookie_pairs",
    "decode_TEXT",
    "decode_TEXT_maybe",
    "decode_header_value",
    "header_elements",
    "parse_header",
    "sane_charset",
    "split_elements",
]


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split ``text`` on ``separator`` wherever it is not inside a quoted string."""
    if '"' not in text:  # PERF: the usual header has no quoted string at all
        return text.split(separator)
    pieces: list[str] = []
    start = 0
    quoted = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return pieces


def split_elements(value: str) -> list[str]:
    """Split a comma-separated header value into its (stripped, non-empty) elements.

    Args:
        value: the header value, e.g. ``'text/html;q=0.9, text/x; p="a,b"'``.

    Returns:
        The elements, commas inside quoted strings kept: ``['text/html;q=0.9',
        'text/x; p="a,b"']``.
    """
    return [piece.strip() for piece in _split_outside_quotes(value, ",") if piece.strip()]


def unquote(value: str) -> str:
    """Return a parameter value without its surrounding quotes and backslash escapes."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
        if "\\" in value:
            value = re.sub(r"\\(.)", r"\1", value)
    return value


def parse_header(line: str) -> tuple[str, dict[str, str]]:
    """Split one header element into its value and its parameters.

    Args:
        line: e.g. ``'form-data; name="f"; filename="a;b.txt"'``.

    Returns:
        ``('form-data', {'name': 'f', 'filename': 'a;b.txt'})``: the value stripped,
        parameter names lowercased, values unquoted (a parameter without ``=`` is
        left out).
    """
    value, *atoms = _split_outside_quotes(line, ";")
    params: dict[str, str] = {}
    for atom in atoms:
        name, eq, param = atom.partition("=")
        if eq:
            params[name.strip().lower()] = unquote(param.strip())
    return value.strip(), params


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
        return parse_header(elementstr)

    @classmethod
    def from_str(cls, elementstr: str) -> HeaderElement:
        """Build an element from its header text."""
        value, params = cls.parse(elementstr)
        return cls(value, params)


_Q_RE = re.compile(r";\s*q\s*=", re.IGNORECASE)


class AcceptElement(HeaderElement):
    """An element of an ``Accept*`` header; sorts by its ``q`` quality value."""

    @classmethod
    def from_str(cls, elementstr: str) -> AcceptElement:
        """Build an element; the first ``q`` parameter ends the media-range parameters."""
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
    """Parse a comma-separated header into elements; ``Accept*`` and ``TE`` best first.

    Args:
        fieldname: the header's name (any case); it decides whether elements are
            :class:`AcceptElement` objects sorted by quality.
        fieldvalue: the header's value, or ``None``.

    Returns:
        The elements, in header order, or sorted best first for ``Accept*``/``TE``.
    """
    if not fieldvalue:
        return []
    name = fieldname.lower()
    if name.startswith("accept") or name == "te":
        accepted = [AcceptElement.from_str(element) for element in split_elements(fieldvalue)]
        return sorted(accepted, reverse=True)
    return [HeaderElement.from_str(element) for element in split_elements(fieldvalue)]


def decode_TEXT(value: str) -> str:  # CherryPy's name
    """Decode the RFC 2047 encoded words in a header value.

    Args:
        value: e.g. ``'=?utf-8?q?f=C3=BCr?='``.

    Returns:
        The text (``'für'``); unencoded parts are kept as they are.

    Raises:
        LookupError: for an encoded word naming an unknown charset.
        UnicodeDecodeError: for an encoded word that is not valid in its charset.
    """
    decoded = []
    for atom, charset in decode_header(value):
        if isinstance(atom, bytes):
            # decode_header gives the parts between encoded words as raw-unicode-escape.
            atom = atom.decode(charset or "raw-unicode-escape")
        decoded.append(atom)
    return "".join(decoded)


def decode_TEXT_maybe(value: str) -> str:  # CherryPy's name
    """Decode ``value`` with :func:`decode_TEXT` only if it holds an encoded word."""
    return decode_TEXT(value) if "=?" in value else value


def decode_header_value(value: str) -> str:
    """Decode the RFC 2047 encoded words of a request header value, if any.

    # COMPAT: CherryPy decodes every request header this way. A malformed encoded
    word (unknown charset, invalid bytes) leaves the value as the client sent it,
    where CherryPy answers 500. CR, LF and NUL in the decoded text are removed.
    """
    if "=?" not in value:  # PERF: nearly every header
        return value
    try:
        decoded = decode_TEXT(value)
    except (LookupError, UnicodeDecodeError, ValueError):
        return value
    # An encoded word must not smuggle in what the server would have refused raw:
    # line breaks (a forged header line when echoed) or NUL. CherryPy elides them
    # from Host; we do it for every header.
    return decoded.replace("\r", "").replace("\n", "").replace("\0", "")


# The encodings of the WHATWG Encoding Standard that Python has, plus UTF-32: what
# browsers and HTTP clients really use. Left out on purpose: UTF-7 and the ISO-2022
# family (they hide markup from filters: XSS), and Python's transforms that are
# not charsets at all (unicode_escape, punycode, idna, ...).
_SANE_LABELS = (
    "utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
    "ascii", "latin-1", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5",
    "iso-8859-6", "iso-8859-7", "iso-8859-8", "iso-8859-10", "iso-8859-13", "iso-8859-14",
    "iso-8859-15", "iso-8859-16", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254",
    "cp1255", "cp1256", "cp1257", "cp1258", "cp866", "cp874", "koi8-r", "koi8-u",
    "mac-roman", "mac-cyrillic", "gbk", "gb18030", "gb2312", "big5", "big5hkscs",
    "euc-jp", "shift-jis", "cp932", "euc-kr", "cp949",
)  # fmt: skip


@functools.cache
def _sane_names() -> frozenset[str]:
    # Lazily: each lookup imports a codec module, which `import framework` must not pay.
    return frozenset(codecs.lookup(label).name for label in _SANE_LABELS)


@functools.cache
def sane_charset(name: str) -> str | None:
    """The codec name for a charset a client may choose, or None for any other.

    Request bodies declaring another charset are decoded with the configured ones,
    and ``Accept-Charset`` never selects one (``utf-7``, ``unicode_escape``...).
    """
    try:
        codec = codecs.lookup(name.strip().strip('"'))
    except (LookupError, ValueError):
        return None
    return codec.name if codec.name in _sane_names() else None


#: Most cookies read from one ``Cookie`` header (browsers keep about 180 per site).
MAX_COOKIES = 300


def cookie_pairs(header: str, limit: int = MAX_COOKIES) -> list[tuple[str, str]]:
    """Split a ``Cookie`` header into ``(name, value)`` pairs, in linear time.

    Pairs without ``=`` or with an empty name are skipped; surrounding whitespace is
    stripped; the value stays as sent (quotes included). At most ``limit`` pairs are
    read. (Python's ``SimpleCookie.load`` backtracks: a 60 KB header costs seconds.)
    """
    pairs: list[tuple[str, str]] = []
    for piece in header.split(";", limit):
        name, equals, value = piece.partition("=")
        name = name.strip()
        if equals and name:
            pairs.append((name, value.strip()))
        if len(pairs) >= limit:
            break
    return pairs


def HTTPDate(timeval: float | None = None) -> str:  # CherryPy's name
    """Format a POSIX timestamp (default: now) as an HTTP date (``Sun, 06 Nov 1994 ...``)."""
    return email.utils.formatdate(timeval, usegmt=True)
