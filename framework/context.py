"""The current request and response, as context-local state.

One :class:`~contextvars.ContextVar` holds the ``(request, response)`` pair of the
exchange being served. ``framework.serving`` reads it for internal code
(``serving.request`` is ``None`` outside a request); ``framework.request`` and
``framework.response`` are attribute proxies for application code and raise a clear
error when used outside a request. Each thread (and each asyncio task) sees its own
pair, so handlers running concurrently never see each other's state.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from framework.core.request import Request
    from framework.core.response import Response

__all__ = ["ContextProxy", "request", "response", "serving"]

_current: ContextVar[tuple[Request, Response] | None] = ContextVar("cherry_current", default=None)


class _Serving:
    """Access to the current request/response pair (``None`` outside a request)."""

    __slots__ = ()

    @property
    def request(self) -> Request | None:
        pair = _current.get()
        return pair[0] if pair is not None else None

    @property
    def response(self) -> Response | None:
        pair = _current.get()
        return pair[1] if pair is not None else None

    def load(self, request: Request, response: Response) -> None:
        """Make ``request``/``response`` current in this context."""
        _current.set((request, response))

    def clear(self) -> None:
        """Forget the current pair."""
        _current.set(None)

    def get(self) -> tuple[Request, Response] | None:
        """Return the current pair or ``None``."""
        return _current.get()


serving = _Serving()


class OutsideRequestError(RuntimeError):
    """Raised when ``framework.request``/``response`` is used outside a request."""


class ContextProxy:
    """Forward attribute access to the current request (index 0) or response (1)."""

    __slots__ = ("_index", "_name")

    def __init__(self, index: int, name: str) -> None:
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_name", name)

    def _target(self) -> Any:
        pair = _current.get()
        if pair is None:
            raise OutsideRequestError(
                f"framework.{self._name} was used outside a request: it only exists while a "
                "handler, tool or hook is running."
            )
        return pair[self._index]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._target(), name)

    def __bool__(self) -> bool:
        return _current.get() is not None

    def __repr__(self) -> str:
        pair = _current.get()
        if pair is None:
            return f"<framework.{self._name} (outside a request)>"
        return repr(pair[self._index])


request: Any = ContextProxy(0, "request")
response: Any = ContextProxy(1, "response")


def log_exception(message: str) -> None:
    """Log ``message`` with the current traceback to the app's (or global) error log."""
    import logging

    import framework

    pair = _current.get()
    app = pair[0].app if pair is not None else None
    target = app.log if app is not None else framework.log
    target.error(message, "HTTP", severity=logging.ERROR, traceback=True)
