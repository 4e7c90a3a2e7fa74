"""``framework.lib.httputil``: the HTTP helpers, where CherryPy apps look for them."""

from __future__ import annotations

from framework.httputil import (
    RESPONSE_CODES,
    AcceptElement,
    HeaderElement,
    HeaderMap,
    Host,
    header_elements,
    parse_query_string,
    valid_status,
)

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
