"""The ``params`` tool: convert request parameters using the handler's annotations.

``@tools.params()`` on ``def page(self, n: int, ratio: float = 1.0, tags: list[int] = [])``
turns ``?n=3&ratio=0.5&tags=1&tags=2`` into real ints and floats before the call; a
value that does not convert answers 400 naming the parameter. Converters are built
once per handler, when the request plan is built.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from framework.errors import HTTPError

__all__ = ["convert_wrapper"]

Converter = Callable[[Any], Any]
_EMPTY: Any = None  # set to inspect.Parameter.empty on first use


def _to_bool(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _scalar(kind: Any) -> Converter | None:
    if kind is bool:
        return _to_bool
    if kind in (int, float, str):
        return kind  # type: ignore[no-any-return]
    if isinstance(kind, type) and kind is not object:
        return kind
    return None


def _converter(annotation: Any) -> Converter | None:
    if annotation is _EMPTY or annotation is Any:
        return None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, set):
        item = _scalar(args[0]) if args else None
        container = origin

        def to_list(value: Any) -> Any:
            values = value if isinstance(value, list) else [value]
            items = [item(v) for v in values] if item is not None else values
            return container(items)

        return to_list
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            convert = _converter(inner[0])
            if convert is None:
                return None

            def optional(value: Any) -> Any:
                if value is None or value == "":
                    return None
                return convert(value)

            return optional
        return None
    return _scalar(annotation)


def _converters_of(
    inner: Callable[..., Any],
) -> tuple[list[tuple[str, Converter | None]], dict[str, Converter]]:
    """The converters of ``inner``'s parameters: by position, and by keyword."""
    import inspect

    global _EMPTY
    _EMPTY = inspect.Parameter.empty
    try:
        hints = typing.get_type_hints(inner)
    except Exception:
        hints = getattr(inner, "__annotations__", {})
    converters: dict[str, Converter] = {}
    positional: list[tuple[str, Converter | None]] = []
    for name, param in inspect.signature(inner).parameters.items():
        convert = _converter(hints.get(name, param.annotation))
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            positional.append((name, convert))
        if convert is not None and param.kind is not param.POSITIONAL_ONLY:
            converters[name] = convert
    return positional, converters


def convert_wrapper(inner: Callable[..., Any], conf: dict[str, Any]) -> Callable[..., Any]:
    """Wrap ``inner`` so its parameters are converted by their annotations.

    Config ``error`` sets the status for a value that does not convert (default 400);
    ``exception`` the exception class(es) that mean "does not convert" (default
    ``TypeError``, ``ValueError`` and ``ArithmeticError``; others propagate, a 500).
    """
    status = int(conf.get("error", 400))
    caught = conf.get("exception", (TypeError, ValueError, ArithmeticError))
    positional, converters = _converters_of(inner)

    def apply(name: str, value: Any, converter: Converter) -> Any:
        try:
            return converter(value)
        except caught as exc:
            # COMPAT: CherryPy's page shows the converter's message too.
            message = f"Invalid value for parameter '{name}': {value!r} ({exc})"
            raise HTTPError(status, message, echoes_input=True) from None

    def positional_value(index: int, value: Any) -> Any:
        if index < len(positional):
            name, converter = positional[index]
            if converter is not None:
                return apply(name, value, converter)
        return value

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if args:
            args = tuple(positional_value(index, value) for index, value in enumerate(args))
        for name, converter in converters.items():
            if name in kwargs:
                kwargs[name] = apply(name, kwargs[name], converter)
        return inner(*args, **kwargs)

    return wrapped
