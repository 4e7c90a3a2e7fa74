"""The tool library: the callables behind the built-in tools, and a few body helpers.

Each module holds plain functions that read the current request through
``framework.serving``; :mod:`framework.toolbox` turns them into the default tools. Optional
engines (Jinja2, Mako, Redis) are imported only when their tool runs.

The package itself holds the small helpers CherryPy keeps in ``cherrypy.lib`` for
tools that work on response bodies: :func:`is_iterator`, :func:`is_closable_iterator`,
:class:`file_generator`, :func:`file_generator_limited` and :func:`set_vary_header`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import GeneratorType
from typing import IO, Any

from framework.core.response import file_generator

__all__ = [
    "file_generator",
    "file_generator_limited",
    "is_closable_iterator",
    "is_iterator",
    "set_vary_header",
]


def is_iterator(obj: object) -> bool:
    """True if ``obj`` is an iterator (a generator, or ``iter(obj) is obj``).

    Iterables that are not their own iterator (a list, a string) are not.
    """
    if isinstance(obj, GeneratorType):
        return True
    if not hasattr(obj, "__iter__"):
        return False
    try:
        return iter(obj) is obj
    except TypeError:
        return False


def is_closable_iterator(obj: object) -> bool:
    """True if ``obj`` is an iterator with a ``close()`` taking no arguments."""
    if not is_iterator(obj):
        return False
    if isinstance(obj, GeneratorType):
        return True
    close = getattr(obj, "close", None)
    if not callable(close):
        return False
    try:
        inspect.signature(close).bind()
    except (TypeError, ValueError):
        return False
    return True


def file_generator_limited(fileobj: IO[Any], count: int, chunk_size: int = 65536) -> Iterator[Any]:
    """Yield at most ``count`` bytes of ``fileobj``, in chunks of ``chunk_size``."""
    remaining = count
    while remaining > 0:
        chunk = fileobj.read(min(chunk_size, remaining))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


def set_vary_header(response: Any, header_name: str) -> None:
    """Add ``header_name`` to the response's ``Vary`` header (once)."""
    varies = [name.strip() for name in response.headers.get("Vary", "").split(",") if name.strip()]
    if header_name.lower() not in (name.lower() for name in varies):
        varies.append(header_name)
    response.headers["Vary"] = ", ".join(varies)
