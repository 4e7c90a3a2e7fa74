"""The route model's records: a route, and how a handler is named everywhere.

:class:`Route` is one URL template an application answers and what answers it;
:func:`handler_identity` names a handler the same way for ``cherry routes``, the test
client and handler coverage (``module.Class.method`` plus its ``def`` line).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ANY_METHOD",
    "HANDLER_LOG_ENV",
    "HandlerIdentity",
    "Route",
    "Unreachable",
    "handler_identity",
]

#: ``Route.methods`` for a handler that answers any method.
ANY_METHOD = "*"

#: Environment variable naming the file where the pytest plugin appends the handlers
#: that tests dispatched to (``cherry test`` sets it and reads the file back).
HANDLER_LOG_ENV = "CHERRY_HANDLER_LOG"


@dataclass(frozen=True)
class HandlerIdentity:
    """How a handler is named everywhere: ``module.Class.method`` and its ``def`` line.

    Attributes:
        name: the qualified name, e.g. ``shop.app.Root.index``.
        file: the source file of its code, or "" when it has none.
        line: the first line of its ``def`` (0 when unknown).
    """

    name: str
    file: str = ""
    line: int = 0

    @property
    def location(self) -> str:
        """``file:line``, or "" when the handler has no Python source."""
        return f"{self.file}:{self.line}" if self.file else ""


def handler_identity(handler: Any) -> HandlerIdentity:
    """Name the function behind a handler: a method, a function, a callable object.

    A page handler set by a CherryPy-style dispatcher (reached through the adapter in
    :func:`framework.dispatch.find_with`) is named after the function it calls.
    """
    page_handler = getattr(handler, "page_handler", None)
    if page_handler is not None:
        handler = getattr(page_handler, "callable", page_handler)
    function: Any
    if inspect.ismethod(handler):
        owner = type(handler.__self__)
        if isinstance(handler.__self__, type):  # a classmethod, or a method of a class
            owner = handler.__self__
        name = f"{owner.__module__}.{owner.__qualname__}.{handler.__name__}"
        function = handler.__func__
    elif not inspect.isroutine(handler) and callable(handler):
        owner = handler if isinstance(handler, type) else type(handler)
        name = f"{owner.__module__}.{owner.__qualname__}"
        function = owner.__init__ if isinstance(handler, type) else owner.__call__
    elif not inspect.isroutine(handler):
        # A controller object answering by itself (a Routes pattern whose action comes
        # from the URL): named after its class.
        owner = type(handler)
        name = f"{owner.__module__}.{owner.__qualname__}"
        function = None
    else:
        module = getattr(handler, "__module__", None) or "?"
        name = f"{module}.{getattr(handler, '__qualname__', repr(handler))}"
        function = handler
    code = getattr(inspect.unwrap(function), "__code__", None) if function is not None else None
    if code is None:
        return HandlerIdentity(name)
    return HandlerIdentity(name, code.co_filename, code.co_firstlineno)


@dataclass(frozen=True)
class Route:
    """One URL template an application answers, and what answers it.

    Attributes:
        path: the template, mount point included: ``/shop/users/{user_id}``;
            ``{name?}`` is an optional segment, ``{*name}`` the rest of the path.
        handler: the callable that answers (``None`` for a static section).
        identity: how the handler is named (for a static section: the tool and
            the directory or file it serves).
        methods: the HTTP methods answered; ``("*",)`` for any.
        params: the handler's parameters (those filled from the path first).
        tools: the tools switched on for the route beyond the framework's defaults.
        kind: ``"handler"``, ``"index"``, ``"default"``, ``"resource"`` (a
            MethodDispatcher verb), ``"dispatch"`` (a custom ``_cp_dispatch``, or a
            Routes pattern whose action comes from the URL: the rest is decided by
            code), ``"xmlrpc"`` (a procedure of an XML-RPC controller: ``path`` is the
            controller's URL, ``#`` and the method name) or ``"static"``.

    A path starting with ``//`` names a host too: behind a ``VirtualHost`` each route is
    also listed as ``//host/path``, the URL that reaches it on that host.
    """

    path: str
    handler: Callable[..., Any] | None
    identity: HandlerIdentity
    methods: tuple[str, ...]
    params: tuple[inspect.Parameter, ...] = ()
    tools: tuple[str, ...] = ()
    kind: str = "handler"
    placeholders: tuple[str, ...] = field(default=(), compare=False)

    @property
    def has_parameters(self) -> bool:
        """True when the template has placeholders (it names many URLs)."""
        return "{" in self.path


@dataclass(frozen=True)
class Unreachable:
    """An exposed handler that no URL reaches: the dispatcher always answers otherwise.

    Attributes:
        path: the URL template it would publish (mount point included).
        identity: how the handler is named.
        reason: what the dispatcher does with that URL instead.
    """

    path: str
    identity: HandlerIdentity
    reason: str
