"""The object-tree walk: the candidates a root publishes, read by the dispatcher's rules.

The walk reads attributes exactly as the dispatcher does (``getattr``, so properties
run; ``_hidden`` names publish, dunders never do; ``index``, ``default``, ``@popargs``,
``_cp_dispatch``, the ``MethodDispatcher``'s verb methods) and turns each handler into
a URL template (``/users/{user_id}``, ``/files/{*parts}``, ``/blog/feed.xml`` for
``feed_xml``). :func:`classify` and :func:`publishes` tell what kind of app object
something is. The candidates are confirmed by the app's dispatchers in
:mod:`framework.introspect.app`.
"""

from __future__ import annotations

import inspect
import mimetypes
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Candidate", "NodeWalk", "classify", "publishes", "url_segment"]

# How deep the walk follows attributes below the root.
_MAX_DEPTH = 32
# Values of these types are data, never nodes of the tree.
_DATA_TYPES = (str, bytes, bytearray, int, float, complex, bool, list, tuple, dict, set, frozenset)
# Objects of these packages are framework internals or libraries, never published nodes.
_FOREIGN_PACKAGES = frozenset({"builtins", "framework", "cherrypy", "cherrycli"})
# Attribute names the dispatcher treats specially (never published segments).
_SPECIAL = frozenset({"index", "default", "_cp_dispatch", "_cp_config", "exposed"})


def classify(obj: object) -> str:
    """Name what kind of app object ``obj`` is.

    Returns:
        ``"application"`` (an :class:`~framework.core.application.Application`, or
        an object shaped like one), ``"tree"`` (a mount table), ``"class"`` (a root
        class to instantiate), ``"root"`` (an object publishing a handler, itself or
        below), ``"wsgi"`` (a callable publishing nothing) or ``"other"``.
    """
    if isinstance(obj, type):
        return "class"
    if all(hasattr(obj, name) for name in ("root", "script_name", "config")) and callable(obj):
        return "application"
    if isinstance(getattr(obj, "apps", None), dict) and callable(obj):
        return "tree"
    if type(obj).__module__ == "builtins" and not callable(obj):
        return "other"
    if callable(obj) and type(obj).__module__.split(".")[0] in _FOREIGN_PACKAGES:
        # WSGI middleware of the framework (profiler.make_app) holding pages it serves.
        return "wsgi" if _wsgi_signature(obj) else "other"
    if publishes(obj):
        return "root"
    return "wsgi" if callable(obj) and _wsgi_signature(obj) else "other"


def publishes(obj: object) -> bool:
    """True when ``obj`` (a root object or class) publishes at least one URL.

    Without config the dispatcher of each path is unknown, so an exposed resource with
    verb methods (a ``MethodDispatcher`` resource) counts as publishing too. A class is
    read without being instantiated: its exposed methods and class attributes count,
    children its ``__init__`` would attach cannot be seen.
    """
    owner = obj if isinstance(obj, type) else type(obj)
    if inspect.isroutine(obj) or owner.__module__ == "builtins":
        return False
    for rules in (_never, _always):
        if next(NodeWalk(rules).candidates(obj, "", 0, frozenset()), None) is not None:
            return True
    return False


def _never(path: str) -> bool:
    return False


def _always(path: str) -> bool:
    return True


def _wsgi_signature(obj: object) -> bool:
    """False only when ``obj``'s signature cannot take ``(environ, start_response)``."""
    try:
        signature = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True  # a builtin without a signature: give it the benefit of the doubt
    try:
        signature.bind({}, None)
    except TypeError:
        return False
    return True


# -- the walk -----------------------------------------------------------------------------


@dataclass
class Candidate:
    """A route proposed by the walk, before the dispatcher confirms it."""

    path: str  # the template below the mount point
    handler: Any
    kind: str
    params: tuple[inspect.Parameter, ...]
    placeholders: tuple[str, ...]
    methods: tuple[str, ...] | None = None  # set for MethodDispatcher verbs
    popped: frozenset[str] = frozenset()


def _is_xmlrpc(node: Any) -> bool:
    """True for an XML-RPC controller (``tools.xmlrpc`` on in its class's ``_cp_config``)."""
    conf = getattr(type(node), "_cp_config", None)
    return isinstance(conf, dict) and bool(conf.get("tools.xmlrpc.on"))


def _is_resource(obj: Any) -> bool:
    return bool(getattr(obj, "exposed", False)) and any(name.isupper() for name in _names(obj))


def _names(obj: Any) -> list[str]:
    try:
        return sorted(dir(obj))
    except Exception:  # a broken __dir__: nothing we can read
        return []


def _members(node: Any) -> Iterator[tuple[str, Any]]:
    """``(name, value)`` of every attribute that a URL segment can reach."""
    for name in _names(node):
        if name.startswith("__") or name in _SPECIAL:
            continue
        value = _attribute(node, name)
        if value is not None:
            yield name, value


def _attribute(node: Any, name: str) -> Any:
    """Read ``node.name`` the way the dispatcher does; None when it fails."""
    try:
        return getattr(node, name, None)
    except Exception:  # a property that raises fails the request (500): no handler there
        return None


def _is_handler(value: Any, callable_needed: bool = True) -> bool:
    return bool(getattr(value, "exposed", False)) and (callable(value) or not callable_needed)


def _answers_itself(root: Any) -> bool:
    """True for an exposed callable root (for a class: if its instances are callable)."""
    if not getattr(root, "exposed", False):
        return False
    if isinstance(root, type):
        return any("__call__" in vars(cls) for cls in root.__mro__)
    return callable(root)


def _is_node(value: Any) -> bool:
    """True for objects worth walking into: instances of the application's own classes.

    A framework class made to be mounted (``cpstats.StatsPage``, ``profiler.Profiler``)
    counts too: its class exposes handlers.
    """
    if value is None or isinstance(value, _DATA_TYPES) or inspect.isroutine(value):
        return False
    if inspect.isclass(value) or inspect.ismodule(value):
        return False
    package = type(value).__module__.split(".")[0]
    if package in _FOREIGN_PACKAGES:
        return package != "builtins" and _exposes_handlers(type(value))
    return package not in sys.stdlib_module_names


def _exposes_handlers(cls: type) -> bool:
    return any(getattr(member, "exposed", False) for member in vars(cls).values())


def url_segment(name: str) -> str:
    """The URL segment listed for attribute ``name``.

    The dispatcher maps ``.`` in a segment to ``_``, so ``feed_xml`` answers both
    ``/feed_xml`` and ``/feed.xml``; a name ending in ``_<file extension>`` is listed
    with the dot, as it is meant to be requested.
    """
    stem, sep, suffix = name.rpartition("_")
    if sep and stem and suffix and ("." + suffix.lower()) in mimetypes.types_map:
        return f"{stem}.{suffix}"
    return name


def _signature(handler: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(handler)
    except (TypeError, ValueError):
        return None


def _placeholders(
    signature: inspect.Signature | None, skip: frozenset[str]
) -> tuple[tuple[str, ...], str]:
    """``(names, template)`` for the positional parameters filled from the path."""
    if signature is None:
        return (), ""
    names: list[str] = []
    parts: list[str] = []
    for param in signature.parameters.values():
        if param.name in skip:
            continue
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            optional = "?" if param.default is not param.empty else ""
            names.append(param.name)
            parts.append(f"/{{{param.name}{optional}}}")
        elif param.kind is param.VAR_POSITIONAL:
            names.append("*" + param.name)
            parts.append(f"/{{*{param.name}}}")
    return tuple(names), "".join(parts)


class NodeWalk:
    """Proposes the candidates below a node, with the dispatcher rules of each path.

    Args:
        method_dispatch: tells, for a path below the mount point, whether a
            ``MethodDispatcher`` resolves it (verbs of exposed resources) or the
            object-tree dispatcher (exposed callables, ``index``, ``default``).
    """

    def __init__(self, method_dispatch: Callable[[str], bool]) -> None:
        self.method_dispatch = method_dispatch

    def candidates(
        self,
        node: Any,
        path: str,
        depth: int,
        ancestors: frozenset[int],
        popped: frozenset[str] = frozenset(),
    ) -> Iterator[Candidate]:
        """Yield the routes ``node`` (reached at ``path``) publishes, then its children's."""
        if depth > _MAX_DEPTH or id(node) in ancestors:
            return
        ancestors = ancestors | {id(node)}
        if not self.method_dispatch(path or "/"):
            if depth == 0 and _answers_itself(node):
                # An exposed callable root is the handler of last resort for every path.
                yield self._leaf(node, path, "handler", popped)
            yield from self._own_handlers(node, path, popped)
        elif depth == 0 and _is_handler(node, callable_needed=False):
            yield from self._verbs(node, path, popped)
        for name, value in _members(node):
            child = f"{path}/{url_segment(name)}"
            yield from self._member(value, child, popped)
            if _is_node(value):
                yield from self.candidates(value, child, depth + 1, ancestors, popped)
        custom = _attribute(node, "_cp_dispatch")
        if custom is not None and callable(custom) and not getattr(custom, "exposed", False):
            yield from self._custom(node, custom, path, depth, ancestors, popped)

    def _member(self, value: Any, path: str, popped: frozenset[str]) -> Iterator[Candidate]:
        """The routes an attribute answers itself at ``path``."""
        if not self.method_dispatch(path):
            if _is_handler(value):
                yield self._leaf(value, path, "handler", popped)
        elif _is_handler(value, callable_needed=False) and not inspect.isroutine(value):
            yield from self._verbs(value, path, popped)

    def _own_handlers(self, node: Any, path: str, popped: frozenset[str]) -> Iterator[Candidate]:
        index = _attribute(node, "index")
        if _is_handler(index):
            # COMPAT: index is only reached when every segment resolved, so its
            # positional parameters can come from the query string only.
            sig = _signature(index)
            params = tuple(sig.parameters.values()) if sig is not None else ()
            yield Candidate(path + "/", index, "index", params, (), popped=popped)
        default = _attribute(node, "default")
        if _is_xmlrpc(node):
            # An XML-RPC controller's default answers every method named in the body.
            yield from self._rpc_methods(node, path, "", 0)
        elif _is_handler(default):
            yield self._leaf(default, path, "default", popped)

    def _rpc_methods(self, node: Any, path: str, prefix: str, depth: int) -> Iterator[Candidate]:
        """The procedures of an XML-RPC controller, as ``path/#dotted.name`` (POST)."""
        if depth > _MAX_DEPTH:
            return
        for name, value in _members(node):
            if _is_handler(value):
                sig = _signature(value)
                params = tuple(sig.parameters.values()) if sig is not None else ()
                yield Candidate(
                    f"{path}/#{prefix}{name}", value, "xmlrpc", params, (), methods=("POST",)
                )
            elif _is_node(value):
                yield from self._rpc_methods(value, path, f"{prefix}{name}.", depth + 1)

    def _leaf(self, handler: Any, path: str, kind: str, popped: frozenset[str]) -> Candidate:
        sig = _signature(handler)
        names, template = _placeholders(sig, popped)
        params = tuple(sig.parameters.values()) if sig is not None else ()
        return Candidate(path + template, handler, kind, params, names, popped=popped)

    def _verbs(self, resource: Any, path: str, popped: frozenset[str]) -> Iterator[Candidate]:
        verbs = [name for name in _names(resource) if name.isupper()]
        for verb in verbs:
            method = _attribute(resource, verb)
            if not callable(method):
                continue
            candidate = self._leaf(method, path, "resource", popped)
            candidate.methods = (verb, "HEAD") if verb == "GET" and "HEAD" not in verbs else (verb,)
            yield candidate

    def _custom(
        self,
        node: Any,
        custom: Any,
        path: str,
        depth: int,
        ancestors: frozenset[int],
        popped: frozenset[str],
    ) -> Iterator[Candidate]:
        popargs = getattr(custom, "_popargs", None)
        if popargs is None:
            sig = _signature(custom)
            params = tuple(sig.parameters.values()) if sig is not None else ()
            yield Candidate(f"{path}/{{*vpath}}", custom, "dispatch", params, ("*vpath",))
            return
        names, next_node = popargs
        prefix = path + "".join(f"/{{{name}}}" for name in names)
        inner = popped | frozenset(names)
        if next_node is None:
            # The values lead back to the same node: its handlers once more.
            yield from self.candidates(node, prefix, depth + 1, ancestors - {id(node)}, inner)
        elif inspect.isfunction(next_node):
            sig = _signature(next_node)
            params = tuple(sig.parameters.values()) if sig is not None else ()
            yield Candidate(f"{prefix}/{{*vpath}}", next_node, "dispatch", params, ("*vpath",))
        elif not isinstance(next_node, type):
            yield from self.candidates(next_node, prefix, depth + 1, ancestors, inner)
