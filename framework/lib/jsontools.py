"""JSON tools: ``json_in`` parses a JSON request body, ``json_out`` renders the result.

``@tools.json_in()`` makes ``request.json`` hold the decoded document (400 for a
malformed one, 415 for another content type when ``force`` is on);
``@tools.json_out()`` serializes whatever the handler returns and sets
``Content-Type: application/json``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

from framework.context import serving
from framework.errors import HTTPError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "json_decode",
    "json_encode",
    "json_handler",
    "json_in",
    "json_out",
    "json_out_wrapper",
    "nesting_depth",
]

_codec: list[Any] = []


def _json() -> Any:
    # The json module loads on first use, keeping `import framework` light.
    if not _codec:
        import json

        _codec.append(json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode)
        _codec.append(json.JSONDecoder().decode)
    return _codec


def json_decode(text: str) -> Any:
    """Parse a JSON document."""
    return _json()[1](text)


def json_encode(value: Any) -> bytes:
    """Serialize ``value`` to UTF-8 JSON bytes."""
    return _json()[0](value).encode("utf-8")  # type: ignore[no-any-return]


#: Largest JSON document ``json_in`` reads, in bytes (its ``max_bytes`` argument).
MAX_BYTES = 1024 * 1024
#: Deepest nesting of arrays and objects ``json_in`` accepts (its ``max_depth``).
MAX_DEPTH = 64

# A string (with its escapes) or a bracket: what decides the nesting depth.
_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_depth(raw: bytes, limit: int) -> int:
    """How deeply arrays and objects nest in a JSON text (stops counting past ``limit``).

    Linear in the size of ``raw``; brackets inside strings do not count.
    """
    # PERF: a document with fewer brackets than the limit cannot be too deep.
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return 0
    depth = deepest = 0
    for match in _NESTING.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def json_processor(entity: Any, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> None:
    """Read the body and decode it into ``request.json``.

    Raises:
        HTTPError: 411 without a Content-Length, 400 for invalid JSON or nesting
            deeper than ``max_depth``, 413 for a document over ``max_bytes``.
    """
    request = serving.request
    assert request is not None
    declared = entity.length
    if declared is not None and declared > max_bytes:
        raise HTTPError(413, f"A JSON document may hold at most {max_bytes} bytes.")
    raw = entity.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise HTTPError(413, f"A JSON document may hold at most {max_bytes} bytes.")
    # COMPAT: only a body without Content-Length is 411; "Content-Length: 0" is bad JSON.
    if not raw and declared is None:
        raise HTTPError(411, "A JSON body needs a Content-Length.")
    if nesting_depth(raw, max_depth) > max_depth:
        raise HTTPError(400, f"The JSON document nests deeper than {max_depth} levels.")
    try:
        request.json = json_decode(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise HTTPError(400, "Invalid JSON document") from None


def json_in(
    content_type: str | Iterable[str] = ("application/json", "text/javascript"),
    force: bool = True,
    debug: bool = False,
    processor: Callable[..., None] = json_processor,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> None:
    """Parse a JSON request body into ``request.json`` (a ``before_request_body`` tool).

    Args:
        content_type: the media types to accept.
        force: answer 415 for any other content type.
        debug: accepted for CherryPy compatibility.
        processor: the body processor to register for those types.
        max_bytes: the largest document accepted (413 past it; the default
            processor's limit).
        max_depth: the deepest nesting of arrays and objects accepted (400 past it).
    """
    request = serving.request
    assert request is not None
    types = [content_type] if isinstance(content_type, str) else list(content_type)
    if request.method not in request.methods_with_bodies:
        return
    body = request.body
    if force:
        body.processors.clear()
        expected = ", ".join(types)

        def reject(entity: Any = None) -> None:
            raise HTTPError(415, f"Expected an entity of content type {expected}")

        body.default_proc = reject
    if processor is json_processor and (max_bytes, max_depth) != (MAX_BYTES, MAX_DEPTH):
        processor = functools.partial(json_processor, max_bytes=max_bytes, max_depth=max_depth)
    for ctype in types:
        body.processors[ctype] = processor


def json_handler(*args: Any, **kwargs: Any) -> bytes:
    """CherryPy's default json_out handler (calls the inner handler, encodes)."""
    request = serving.request
    assert request is not None
    return json_encode(request._json_inner_handler(*args, **kwargs))  # type: ignore[attr-defined]


def json_out_wrapper(inner: Callable[..., Any], conf: dict[str, Any]) -> Callable[..., Any]:
    """Wrap ``inner`` so its return value is sent as JSON (``tools.json_out``)."""
    content_type = conf.get("content_type", "application/json")
    handler = conf.get("handler")
    if handler is not None and handler is not json_handler:
        custom = handler

        def wrapped_custom(*args: Any, **kwargs: Any) -> Any:
            request = serving.request
            response = serving.response
            assert request is not None and response is not None
            if content_type is not None:
                response.headers["Content-Type"] = content_type
            request._json_inner_handler = inner  # type: ignore[attr-defined]
            return custom(*args, **kwargs)

        return wrapped_custom

    def wrapped(*args: Any, **kwargs: Any) -> bytes:
        value = inner(*args, **kwargs)
        if content_type is not None:
            response = serving.response
            assert response is not None
            response.headers["Content-Type"] = content_type
        return json_encode(value)

    return wrapped


def json_out(
    content_type: str | None = "application/json",
    debug: bool = False,
    handler: Callable[..., Any] = json_handler,
) -> None:
    """Wrap the current request's handler so its return value is sent as JSON.

    CherryPy's per-request form of ``tools.json_out``, for code that calls it from a
    hook of its own; the tool itself wraps the handler once per path
    (:func:`json_out_wrapper`).
    """
    request = serving.request
    assert request is not None
    inner = request.handler
    if inner is None:
        return
    request.handler = json_out_wrapper(
        lambda *args, **kwargs: inner(), {"content_type": content_type, "handler": handler}
    )
