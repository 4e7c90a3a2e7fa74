"""``cherrypy.lib.httputil``: the HTTP helpers, under the names CherryPy apps use.

Everything here is defined in :mod:`framework.httputil` and :mod:`framework.headers`;
this module adds only CherryPy's spellings (``response_codes``), the signature of
CherryPy's :func:`parse_query_string`, and the patterns and the :class:`SanitizedHost`
CherryPy exposes here.
"""

from __future__ import annotations

import re
from typing import Any

from framework.headers import (
    AcceptElement,
    HeaderElement,
    HTTPDate,
    decode_TEXT,
    decode_TEXT_maybe,
    header_elements,
    parse_header,
)
from framework.httputil import (
    RESPONSE_CODES,
    CaseInsensitiveDict,
    HeaderMap,
    Host,
    get_ranges,
    protocol_from_http,
    urljoin,
    urljoin_bytes,
    valid_status,
)
from framework.httputil import parse_query_string as _parse_query_string

__all__ = [
    "RESPONSE_CODES",
    "RE_HEADER_SPLIT",
    "AcceptElement",
    "CaseInsensitiveDict",
    "HTTPDate",
    "HeaderElement",
    "HeaderMap",
    "Host",
    "SanitizedHost",
    "decode_TEXT",
    "decode_TEXT_maybe",
    "get_ranges",
    "header_elements",
    "image_map_pattern",
    "parse_header",
    "parse_query_string",
    "protocol_from_http",
    "q_separator",
    "response_codes",
    "urljoin",
    "urljoin_bytes",
    "valid_status",
]

#: CherryPy's name for :data:`~framework.httputil.RESPONSE_CODES`: code -> (reason, message).
response_codes = RESPONSE_CODES

#: Splits a header value at the commas outside quoted strings (CherryPy's pattern; the
#: parsers of :mod:`framework.headers` handle escapes too).
RE_HEADER_SPLIT = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')
#: The ``; q=`` separator of an Accept element.
q_separator = re.compile(r"; *q *=")
#: A server-side image map query string (``?12,34``).
image_map_pattern = re.compile(r"[0-9]+,[0-9]+")


class SanitizedHost(str):
    """A Host header value with CR and LF removed; ``raw`` keeps what was received.

    Returns the value unchanged (a plain ``str``) when there was nothing to remove.
    """

    __slots__ = ("raw",)
    raw: str

    _dangerous = re.compile(r"[\n\r]")

    def __new__(cls, raw: str) -> Any:
        sanitized = cls._dangerous.sub("", raw)
        if sanitized == raw:
            return raw
        instance = super().__new__(cls, sanitized)
        instance.raw = raw
        return instance


def parse_query_string(
    query_string: str, keep_blank_values: bool = True, encoding: str = "utf-8"
) -> dict[str, Any]:
    """Parse a query string as CherryPy's ``httputil.parse_query_string`` does.

    As :func:`framework.httputil.parse_query_string`; with ``keep_blank_values=False``
    fields without a value are dropped.

    Raises:
        UnicodeDecodeError: if the decoded bytes are not valid in ``encoding``.
    """
    params = _parse_query_string(query_string, encoding)
    if not keep_blank_values:
        params = {name: value for name, value in params.items() if value != ""}
    return params
