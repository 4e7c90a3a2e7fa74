"""JSON tools: ``json_in`` parses a JSON request body, ``json_out`` renders the result.

``@tools.json_in()`` makes ``request.json`` hold the decoded document (400 for a
malformed one, 415 for another content type when ``force`` is on);
``@tools.json_out()`` serializes whatever the handler returns and sets
``Content-Type: application/json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from framework.context import serving
from framework.errors import HTTPError

__all__ = ["json_decode", "json_encode", "json_handler", "json_in", "json_out", "json_out_wrapper"]

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


def json_processor(entity: Any) -> None:
    """Read the body and decode it into ``request.json``.

    Raises:
        HTTPError: 411 without a Content-Length, 400 for invalid JSON.
    """
    request = serving.request
    assert request is not None
    raw = entity.read()
    # COMPAT: only a body without Content-Length is 411; "Content-Length: 0" is bad JSON.
    if not raw and entity.length is None:
        raise HTTPError(411, "A JSON body needs a Content-Length.")
    try:
        request.json = json_decode(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise HTTPError(400, "Invalid JSON document") from None


def json_in(
    content_type: str | Iterable[str] = ("application/json", "text/javascript"),
    force: bool = True,
    debug: bool = False,
    processor: Callable[[Any], None] = json_processor,
) -> None:
    """Parse a JSON request body into ``request.json`` (a ``before_request_body`` tool).

    Args:
        content_type: the media types to accept.
        force: answer 415 for any other content type.
        debug: accepted for CherryPy compatibility.
        processor: the body processor to register for those types.
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
