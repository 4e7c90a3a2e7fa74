"""``cherrypy.lib.httputil``: the HTTP helpers, under the names CherryPy apps use.

Everything here is defined in :mod:`framework.httputil` and :mod:`framework.headers`;
this module adds only CherryPy's spellings (``response_codes``) and the signature of
CherryPy's :func:`parse_query_string`.
"""

from __future__ import annotations

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
    "AcceptElement",
    "CaseInsensitiveDict",
    "HTTPDate",
    "HeaderElement",
    "HeaderMap",
    "Host",
    "decode_TEXT",
    "decode_TEXT_maybe",
    "get_ranges",
    "header_elements",
    "parse_header",
    "parse_query_string",
    "protocol_from_http",
    "response_codes",
    "urljoin",
    "urljoin_bytes",
    "valid_status",
]

#: CherryPy's name for :data:`~framework.httputil.RESPONSE_CODES`: code -> (reason, message).
response_codes = RESPONSE_CODES


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
