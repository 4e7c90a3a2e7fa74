"""``cherrypy._json`` for the suite: the stdlib json module and bytes encode/decode."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

__all__ = ["decode", "encode", "json"]

decode = json.JSONDecoder().decode
_encode = json.JSONEncoder().iterencode


def encode(value: Any) -> Iterator[bytes]:
    """Yield ``value`` as JSON, chunk by chunk, in UTF-8."""
    for chunk in _encode(value):
        yield chunk.encode("utf-8")
