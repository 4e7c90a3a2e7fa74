"""``cherrypy._cpcompat`` for the suite: native-string conversions and a connection class."""

from __future__ import annotations

import http.client

__all__ = ["HTTPSConnection", "ntob", "ntou", "text_or_bytes", "tonative"]

HTTPSConnection = http.client.HTTPSConnection
text_or_bytes = (str, bytes)


def ntob(n: str, encoding: str = "ISO-8859-1") -> bytes:
    """Return the native string ``n`` encoded as bytes."""
    return n.encode(encoding)


def ntou(n: str, encoding: str = "ISO-8859-1") -> str:
    """Return the native string ``n`` as text (it already is on Python 3)."""
    return n


def tonative(n: str | bytes, encoding: str = "ISO-8859-1") -> str:
    """Return ``n`` as a native string, decoding bytes with ``encoding``."""
    return n.decode(encoding) if isinstance(n, bytes) else n
