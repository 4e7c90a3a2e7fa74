"""The current request and response, as context-local state, and the lifetime of both.

One :class:`~contextvars.ContextVar` holds the ``(request, response)`` pair of the
exchange being served. ``framework.serving`` reads it for internal code
(``serving.request`` is ``None`` outside a request); ``framework.request`` and
``framework.response`` are attribute proxies for application code, typed as
:class:`~framework.core.request.Request` and :class:`~framework.core.response.Response`
for type checkers, which raise a clear error when used outside a request. Each thread
(and each asyncio task) sees its own pair, so handlers running concurrently never see
each other's state.

:class:`Exchange` owns the lifetime of one pair: ``with exchange:`` makes it current for
a stretch of work (the pipeline, then each chunk of a streamed body) and always restores
what was current before; :meth:`Exchange.close` ends the request exactly once (its
``on_end_request`` hooks run with the pair current), whichever way the WSGI exchange
ends. This module imports nothing from the framework at run time.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from framework.core.request import Request
    from framework.core.response import Response
    from framework.lib.sessions.base import Session

__all__ = [
    "ContextProxy",
    "Exchange",
    "OutsideRequestError",
    "SessionProxy",
    "activate",
    "current",
    "request",
    "response",
    "restore",
    "serving",
    "session",
    "thread_data",
]

#: Per-thread storage for application use (CherryPy's ``cherrypy.thread_data``).
thread_data = threading.local()

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
        """Make ``request``/``response`` current in this context (CherryPy's API)."""
        _current.set((request, response))

    def clear(self) -> None:
        """Forget the current pair."""
        _current.set(None)

    def get(self) -> tuple[Request, Response] | None:
        """Return the current pair or ``None``."""
        return _current.get()


serving = _Serving()

# PERF: the ContextVar's own bound methods, the cheapest way for the pipeline to ask
# and to switch (no Python-level call).
#: ``current()`` returns the current ``(request, response)`` pair, or ``None``.
current = _current.get
#: ``activate(pair)`` makes ``pair`` current and returns the token to restore with.
activate = _current.set
#: ``restore(token)`` makes current again what was current before ``activate``.
restore = _current.reset


class Exchange:
    """One request/response pair and its lifetime as the current context.

    ``with exchange:`` makes the pair current and restores the previous one on the way
    out, however the block ends; it may be entered many times (a streamed body enters
    it once per chunk). :meth:`close` ends the request once.

    Args:
        request: the request being served.
        response: its response.
    """

    __slots__ = ("_tokens", "closed", "pair")

    def __init__(self, request: Request, response: Response) -> None:
        self.pair = (request, response)
        self._tokens: list[Token[tuple[Request, Response] | None]] = []
        self.closed = False

    @property
    def request(self) -> Request:
        """The request of this exchange."""
        return self.pair[0]

    @property
    def response(self) -> Response:
        """The response of this exchange."""
        return self.pair[1]

    def __enter__(self) -> Exchange:
        self._tokens.append(_current.set(self.pair))
        return self

    def __exit__(self, *exc_info: object) -> None:
        _current.reset(self._tokens.pop())

    def close(self) -> None:
        """End the request: run its ``on_end_request`` hooks (with the pair current) once."""
        if self.closed:
            return
        self.closed = True
        with self:
            self.pair[0].close()


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


def _session() -> Any:
    """The current request's session; a clear error outside a request or without one."""
    pair = _current.get()
    if pair is None:
        raise OutsideRequestError(
            "framework.session was used outside a request: it only exists while a "
            "handler, tool or hook is running."
        )
    session = pair[0].session
    if session is None:
        raise OutsideRequestError(
            "framework.session is not available here: switch tools.sessions on for "
            "this path (config 'tools.sessions.on': True)."
        )
    return session


class SessionProxy:
    """Forward attribute and item access to the current request's session.

    The session belongs to the request (``request.session``, made by the ``sessions``
    tool), so it needs no context variable of its own.

    # PERF: the mapping methods and ``id`` are spelled out: reaching them through
    ``__getattr__`` would first fail a normal lookup, and building that AttributeError
    costs more than the session access itself.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return getattr(_session(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_session(), name, value)

    # PERF: the three commonest methods find the session without calling _session(),
    # which they call only to raise its error.
    def __getitem__(self, key: Any) -> Any:
        pair = _current.get()
        session = pair[0].session if pair is not None else None
        return (_session() if session is None else session)[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        pair = _current.get()
        session = pair[0].session if pair is not None else None
        (_session() if session is None else session)[key] = value

    def __delitem__(self, key: Any) -> None:
        del _session()[key]

    def __contains__(self, key: Any) -> bool:
        return key in _session()

    def __iter__(self) -> Any:
        return iter(_session())

    def __len__(self) -> int:
        return len(_session())

    @property
    def id(self) -> str:
        """The current session's id."""
        return _session().id  # type: ignore[no-any-return]

    def get(self, key: Any, default: Any = None) -> Any:
        """The current session's ``get``."""
        pair = _current.get()
        session = pair[0].session if pair is not None else None
        return (_session() if session is None else session).get(key, default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """The current session's ``setdefault``."""
        return _session().setdefault(key, default)

    def pop(self, *args: Any) -> Any:
        """The current session's ``pop``."""
        return _session().pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """The current session's ``update``."""
        _session().update(*args, **kwargs)

    def __bool__(self) -> bool:
        pair = _current.get()
        return pair is not None and pair[0].session is not None

    def __repr__(self) -> str:
        pair = _current.get()
        if pair is None or pair[0].session is None:
            return "<framework.session (no session here)>"
        return repr(pair[0].session)


#: The request being served (an attribute proxy; typed as the real class for checkers).
request = cast("Request", ContextProxy(0, "request"))
#: The response being built for it.
response = cast("Response", ContextProxy(1, "response"))
#: The current request's session, where ``tools.sessions`` is on.
session = cast("Session", SessionProxy())
