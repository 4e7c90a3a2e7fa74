"""Decorators and helpers for application code: expose, popargs, url.

``@expose`` publishes a method (optionally under aliases), ``@popargs`` turns leading
path segments into named parameters, and :func:`url` builds absolute URLs for the
current application. The ``@config`` decorator lives on the global config object.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, overload

from framework.context import serving
from framework.origins import without_authority

__all__ = ["expose", "normalize_path", "popargs", "url"]

F = TypeVar("F", bound=Callable[..., Any])

_DECORATABLE = (types.FunctionType, types.MethodType, type)


def _set_aliases(func: Any, alias: str | Sequence[str], namespace: dict[str, Any]) -> None:
    names = [alias] if isinstance(alias, str) else list(alias)
    for name in names:
        namespace[name.replace(".", "_")] = func


@overload
def expose(func: F, alias: str | Sequence[str] | None = None) -> F: ...
@overload
def expose(func: None = None, alias: str | Sequence[str] | None = None) -> Callable[[F], F]: ...
@overload
def expose(func: str | Sequence[str], alias: None = None) -> Callable[[F], F]: ...


def expose(func: Any = None, alias: str | Sequence[str] | None = None) -> Any:
    """Publish a handler (set ``exposed = True``), optionally under aliases.

    Usable as ``@expose``, ``@expose()``, ``@expose("alias")``,
    ``@expose(["a", "b"])`` or ``@expose(alias="a")``. Aliases are added to the class
    body being defined, with ``.`` mapped to ``_`` like URL segments.
    """
    if isinstance(func, _DECORATABLE):
        setattr(func, "exposed", True)  # noqa: B010 - functions, methods and classes
        if alias is not None:
            _set_aliases(func, alias, sys._getframe(1).f_locals)
        return func
    if func is not None:  # @expose("alias") / @expose(["a", "b"])
        alias = func
    namespace = sys._getframe(1).f_locals

    def decorator(target: F) -> F:
        target.exposed = True  # type: ignore[attr-defined]
        if alias is not None:
            _set_aliases(target, alias, namespace)
        return target

    return decorator


def popargs(*names: str, handler: Any = None) -> Callable[[Any], Any]:
    """Map leading path segments to named parameters on a class.

    ``@popargs("year", "month")`` on a class makes ``/2024/05/x`` call the ``x``
    handler with ``year="2024", month="05"``. With ``handler``, dispatch continues on
    that object (or, if it is callable, e.g. a class, calls it with the popped values to
    get the next object; the values are then not request parameters).

    Raises:
        TypeError: if ``names`` is empty.
    """
    if not names:
        raise TypeError("popargs needs at least one parameter name.")

    def dispatch(cls_or_self: Any = None, vpath: list[str] | None = None) -> Any:
        if isinstance(cls_or_self, type):
            setattr(cls_or_self, "_cp_dispatch", dispatch)  # noqa: B010
            return cls_or_self
        # Called through _cp_dispatch by a dispatcher that does not know popargs.
        request = serving.request
        params: dict[str, str] = {}
        vpath = vpath if vpath is not None else []
        for name in names:
            if not vpath:
                break
            params[name] = vpath.pop(0)
        target = resolve_popargs_target(cls_or_self, dispatch, params, vpath)
        if request is not None:
            request.params.update(params)
        return target

    dispatch._popargs = (names, handler)  # type: ignore[attr-defined]
    return dispatch


def resolve_popargs_target(
    node: Any, dispatch: Any, params: dict[str, str], vpath: list[str]
) -> Any:
    """Return the next node after ``popargs`` consumed its parameters."""
    handler = dispatch._popargs[1]
    if handler is not None:
        if callable(handler):
            # COMPAT: a callable handler (function, class...) receives the values,
            # which then are not request parameters; ``params`` is emptied.
            popped = dict(params)
            params.clear()
            return handler(**popped)
        return handler
    if vpath:
        return getattr(node, vpath.pop(0).replace(".", "_"), None)
    return node


def normalize_path(path: str) -> str:
    """Resolve ``.`` and ``..`` segments in an absolute URL path."""
    if "./" not in path and not path.endswith(("/.", "/..")):
        return path
    atoms: list[str] = []
    for atom in path.split("/"):
        if atom == ".":
            continue
        if atom == "..":
            if len(atoms) > 1:
                atoms.pop()
            continue
        atoms.append(atom)
    result = "/".join(atoms)
    if path.endswith(("/.", "/..")):
        result += "/"
    return result


def url(
    path: str = "",
    qs: str | dict[str, Any] | Sequence[tuple[str, Any]] = "",
    script_name: str | None = None,
    base: str | None = None,
    relative: bool | str | None = None,
) -> str:
    """Build a URL for ``path`` in the current application.

    Args:
        path: absolute (``/x``) or relative to the current path; ``""`` is the
            current path.
        qs: a query string, or a dict/pairs to encode.
        script_name: the mount point; defaults to the current application's.
        base: scheme and host; defaults to the current request's base.
        relative: ``True`` for a URL relative to the current page, ``"server"`` for
            a host-relative one; defaults to the app's ``relative_urls`` setting.

    Returns:
        The URL (absolute unless ``relative`` says otherwise).
    """
    from urllib.parse import urlencode

    if not isinstance(qs, str):
        qs = urlencode(qs, doseq=True)
    if qs:
        qs = "?" + qs
    request = serving.request
    if request is not None and request.app is not None:
        path = _against_current(request, path)
        if script_name is None:
            script_name = request.script_name
        if base is None:
            base = request.base
        newurl = base + script_name + normalize_path(path) + qs
        if relative is None:
            relative = getattr(request.app, "relative_urls", False)
    else:
        if base is None:
            base = _server_base()
        newurl = base + (script_name or "") + path + qs
    if relative == "server":
        return without_authority("/" + "/".join(newurl.split("/", 3)[3:]))
    if relative and request is not None:
        return without_authority(_relative_to_current(request, newurl))
    return newurl


def _server_base() -> str:
    """Outside a request: the HTTP server's base URL, as CherryPy's ``url()`` uses.

    When the process layer was never loaded (a WSGI app under another server), there
    is no server of ours to ask: ``http://127.0.0.1``.
    """
    server_module = sys.modules.get("framework.process.server")
    if server_module is None:
        return "http://127.0.0.1"
    base: str = server_module.server.base()
    return base


def _against_current(request: Any, path: str) -> str:
    """Resolve a relative ``path`` against the current request's path."""
    from urllib.parse import urljoin

    if path.startswith("/"):
        return path
    current: str = request.path_info
    if request.is_index is True and not current.endswith("/"):
        current += "/"
    elif request.is_index is False and current.endswith("/") and current != "/":
        current = current[:-1]
    return current if path == "" else urljoin(current, path)


def _relative_to_current(request: Any, newurl: str) -> str:
    """Express the absolute ``newurl`` relative to the current page."""
    old = (request.base + request.script_name + request.path_info).split("/")[:-1]
    new = newurl.split("/")
    while old and new and old[0] == new[0]:
        old.pop(0)
        new.pop(0)
    return "/".join([".."] * len(old) + new)
