"""List every URL an app publishes, by walking its object tree like the dispatcher.

``cherry routes`` is a thin command over :func:`collect_routes`, which accepts what the
importer finds: a root object or class, an ``Application``, or a ``Tree`` of apps. It
walks the tree the way :mod:`framework.dispatch` resolves a request, without sending
one, and returns a sorted list of :class:`Route` records:

- **path**: the script name plus attribute names; ``index`` is the node's path with a
  trailing ``/``; ``default`` adds nothing; positional parameters become placeholders
  (``{id}``, ``{page?}`` when optional, ``{*args}`` for the rest); ``@popargs`` names
  become placeholders in front of what they lead to; a custom ``_cp_dispatch`` shows
  as ``{*vpath}``.
- **handler** (``module.Class.method``) and **location** (``file:line``).
- **methods**: under ``MethodDispatcher`` one route per verb method (``GET`` also
  answers ``HEAD``); elsewhere ``tools.allow.methods`` when that tool is on, else
  ``*`` (any method).
- **params**: the handler's signature, annotations and defaults included.
- **tools**: every ``tools.<name>.on = True`` from the app config (its ``global``
  section, then path sections) and ``_cp_config`` along the way (which is where
  ``@tools.x()`` decorators put it). The framework's own defaults are not listed.

Attributes are read with :func:`inspect.getattr_static` first, so properties are never
run, and the walk stops at cycles.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from cherrycli.errors import CliError

__all__ = ["ANY_METHOD", "Route", "collect_routes", "routes_of_app"]

ANY_METHOD = "*"
_MAX_DEPTH = 32
_SKIPPED_TYPES = (
    str,
    bytes,
    bytearray,
    int,
    float,
    complex,
    bool,
    list,
    tuple,
    dict,
    set,
    frozenset,
)
# Objects of these packages are framework internals or libraries, not published nodes.
_FOREIGN_PACKAGES = frozenset({"builtins", "framework", "cherrypy", "cherrycli"})


@dataclass(frozen=True)
class Route:
    """One published URL.

    Attributes:
        path: URL path with placeholders, e.g. ``/users/{user_id}``.
        handler: ``module.Class.method`` of the callable that answers it.
        location: ``file:line`` of its definition (relative to the working directory
            when inside it), or "" when unknown.
        methods: HTTP methods answered; ``("*",)`` for any.
        params: the parameters, e.g. ``("user_id", "page: int = 1", "**kwargs")``.
        tools: names of the tools switched on for it, sorted.
    """

    path: str
    handler: str
    location: str
    methods: tuple[str, ...]
    params: tuple[str, ...]
    tools: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the route as JSON-ready data (tuples become lists)."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }


def collect_routes(
    target: Any, config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Route]:
    """List the routes of a root object or class, an Application or a Tree.

    Args:
        target: what :func:`cherrycli.importer.load_target` found.
        config: app config (``{path: {key: value}}``, may hold ``global``) applied when
            ``target`` is a root object or class, as ``cherry serve --config`` would.

    Returns:
        The routes sorted by path, then methods.

    Raises:
        CliError: for a plain WSGI callable (no object tree to walk) or a root class
            that cannot be instantiated without arguments.
    """
    from cherrycli.importer import classify

    kind = classify(target)
    if kind == "tree":
        routes = []
        for app in target.apps.values():
            if classify(app) == "application":
                routes.extend(routes_of_app(app.root, app.script_name, app.config))
        return _sorted(routes)
    if kind == "application":
        return _sorted(routes_of_app(target.root, target.script_name, target.config))
    if kind == "wsgi":
        raise CliError(
            f"{_describe(target)} is a plain WSGI callable: it has no object tree to list",
            hint="point TARGET at the root object, root class or Application",
        )
    if kind == "class":
        try:
            target = target()
        except Exception as error:
            raise CliError(
                f"cannot create {_describe(target)}() to list its routes: "
                f"{type(error).__name__}: {error}",
                hint="point TARGET at an instance or an Application instead",
            ) from None
    return _sorted(routes_of_app(target, "", config or {}))


def _sorted(routes: list[Route]) -> list[Route]:
    return sorted(routes, key=lambda route: (route.path, route.methods, route.handler))


def routes_of_app(
    root: Any, script_name: str, config: Mapping[str, Mapping[str, Any]]
) -> list[Route]:
    """Walk one mounted app's object tree.

    Args:
        root: the root object.
        script_name: the mount point ("" for the site root).
        config: the app's config sections.

    Returns:
        The routes, unsorted.
    """
    walker = _Walker(script_name.rstrip("/"), config)
    base = dict(config.get("global", {}))
    walker.walk(
        root, "", _merged(base, getattr(root, "_cp_config", None), config.get("/")), frozenset(), 0
    )
    return walker.routes


def _merged(base: Mapping[str, Any], *layers: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(base)
    for layer in layers:
        if layer:
            merged.update(layer)
    return merged


class _Walker:
    """Depth-first walk collecting routes; one instance per application."""

    def __init__(self, script_name: str, config: Mapping[str, Mapping[str, Any]]) -> None:
        self.script_name = script_name
        self.config = config
        self.routes: list[Route] = []
        self.popped: frozenset[str] = frozenset()

    def _section(self, path: str) -> Mapping[str, Any] | None:
        return self.config.get(path or "/")

    def _method_dispatch(self, path: str) -> bool:
        """True if ``request.dispatch`` for ``path`` is a MethodDispatcher (most specific wins)."""
        trail = path or "/"
        while True:
            section = self.config.get(trail, {})
            if "request.dispatch" in section:
                dispatcher = section["request.dispatch"]
                return any(cls.__name__ == "MethodDispatcher" for cls in type(dispatcher).__mro__)
            if trail == "/":
                return False
            trail = trail.rsplit("/", 1)[0] or "/"

    def walk(
        self, node: Any, path: str, conf: dict[str, Any], ancestors: frozenset[int], depth: int
    ) -> None:
        """List ``node``'s handlers at ``path`` and descend into its sub-objects."""
        if depth > _MAX_DEPTH or id(node) in ancestors:
            return
        ancestors = ancestors | {id(node)}
        custom = _popargs_or_dispatch(node)
        popargs = getattr(custom, "_popargs", None)
        outer = self.popped
        # With @popargs, the node's positional parameters are filled by the popped
        # segments, so they get no placeholder of their own.
        self.popped = outer | frozenset(popargs[0] if popargs else ())
        try:
            self._walk_node(node, path, conf, ancestors, depth)
        finally:
            self.popped = outer
        self._custom_dispatch(node, path, conf, ancestors, depth)

    def _walk_node(
        self, node: Any, path: str, conf: dict[str, Any], ancestors: frozenset[int], depth: int
    ) -> None:
        if self._method_dispatch(path):
            if depth == 0 and getattr(node, "exposed", False):
                self._add_resource(node, path, conf)
        else:
            for name in ("index", "default"):
                handler = _exposed_member(node, name)
                if handler is not None:
                    handler_conf = _merged(
                        conf, getattr(handler, "_cp_config", None), self._section(f"{path}/{name}")
                    )
                    prefix = f"{path}/" if name == "index" else path
                    self._add(handler, prefix, handler_conf, name == "index")
        for name, value in _members(node):
            child_path = f"{path}/{name}"
            child_conf = _merged(
                conf, getattr(value, "_cp_config", None), self._section(child_path)
            )
            if self._method_dispatch(child_path):
                if getattr(value, "exposed", False) and not inspect.isroutine(value):
                    self._add_resource(value, child_path, child_conf)
            elif (
                getattr(value, "exposed", False)
                and callable(value)
                and name not in ("index", "default")
            ):
                self._add(value, child_path, child_conf, False)
            if _is_node(value):
                self.walk(value, child_path, child_conf, ancestors, depth + 1)

    def _custom_dispatch(
        self, node: Any, path: str, conf: dict[str, Any], ancestors: frozenset[int], depth: int
    ) -> None:
        custom = _popargs_or_dispatch(node)
        if custom is None:
            return
        if id(custom) in ancestors:  # already inside this node's popargs pass
            return
        popargs = getattr(custom, "_popargs", None)
        if popargs is None:
            bound = getattr(node, "_cp_dispatch", custom)
            self._add(bound, f"{path}/{{*vpath}}", conf, False, literal=True)
            return
        names, next_node = popargs
        prefix = path + "".join(f"/{{{name}}}" for name in names)
        outer = self.popped
        # Popped values arrive as keyword params: no placeholder for them twice.
        self.popped = outer | frozenset(names)
        try:
            if next_node is None:
                # The values lead back to the same node: list its handlers once more.
                self.walk(node, prefix, conf, (ancestors - {id(node)}) | {id(custom)}, depth + 1)
            elif inspect.isfunction(next_node):
                self._add(next_node, f"{prefix}/{{*vpath}}", conf, False)
            else:
                next_conf = _merged(conf, getattr(next_node, "_cp_config", None))
                self.walk(next_node, prefix, next_conf, ancestors | {id(custom)}, depth + 1)
        finally:
            self.popped = outer

    def _add_resource(self, resource: Any, path: str, conf: dict[str, Any]) -> None:
        verbs = sorted(
            name
            for name in dir(resource)
            if name.isupper() and callable(getattr(resource, name, None))
        )
        for verb in verbs:
            method = getattr(resource, verb)
            methods = (verb, "HEAD") if verb == "GET" and "HEAD" not in verbs else (verb,)
            self._add(
                method,
                path,
                _merged(conf, getattr(method, "_cp_config", None)),
                False,
                methods=methods,
            )

    def _add(
        self,
        handler: Callable[..., Any],
        path: str,
        conf: Mapping[str, Any],
        is_index: bool,
        *,
        methods: tuple[str, ...] | None = None,
        literal: bool = False,
    ) -> None:
        function = _function_of(handler)
        signature = _signature(handler)
        placeholders = ""
        if signature is not None and not literal:
            placeholders = _placeholders(signature, self.popped)
        if is_index and placeholders:
            path = path.rstrip("/")
        full_path = (self.script_name + path + placeholders) or "/"
        if methods is None:
            allowed = conf.get("tools.allow.methods", ["GET", "HEAD"])
            methods = (
                tuple(m.upper() for m in allowed) if conf.get("tools.allow.on") else (ANY_METHOD,)
            )
        params = (
            ()
            if signature is None
            else tuple(_format_param(p) for p in signature.parameters.values())
        )
        tools = tuple(
            sorted(
                key[len("tools.") : -len(".on")]
                for key, value in conf.items()
                if key.startswith("tools.") and key.endswith(".on") and value is True
            )
        )
        self.routes.append(
            Route(
                full_path,
                _qualified_name(handler, function),
                _location(function),
                methods,
                params,
                tools,
            )
        )


def _popargs_or_dispatch(node: Any) -> Any:
    """The node's custom ``_cp_dispatch`` as a plain function (stable identity), or None."""
    try:
        custom = getattr(node, "_cp_dispatch", None)
    except Exception:
        return None
    if custom is None or not callable(custom) or getattr(custom, "exposed", False):
        return None
    return getattr(custom, "__func__", custom)


def _members(node: Any) -> Iterator[tuple[str, Any]]:
    """Attributes of ``node`` the dispatcher may reach, never running properties."""
    for name in sorted(dir(node)):
        if name.startswith("__") or name.startswith("_cp_") or name in ("index", "default"):
            continue
        try:
            raw = inspect.getattr_static(node, name)
        except AttributeError:
            continue
        if isinstance(raw, property) or type(raw).__name__ == "cached_property":
            continue
        try:
            value = getattr(node, name)
        except Exception:  # an attribute that fails to load is not reachable either
            continue
        if inspect.isroutine(value) and not getattr(value, "exposed", False):
            continue
        yield name, value


def _exposed_member(node: Any, name: str) -> Any:
    try:
        value = getattr(node, name, None)
    except Exception:
        return None
    return (
        value
        if value is not None and callable(value) and getattr(value, "exposed", False)
        else None
    )


def _is_node(value: Any) -> bool:
    """True for objects the walk descends into: instances of the app's own classes."""
    if value is None or isinstance(value, _SKIPPED_TYPES) or inspect.isroutine(value):
        return False
    if inspect.isclass(value) or inspect.ismodule(value):
        return False
    package = type(value).__module__.split(".")[0]
    return package not in _FOREIGN_PACKAGES and package not in sys.stdlib_module_names


def _function_of(handler: Any) -> Any:
    """The plain function behind a handler (method, callable object, decorated function)."""
    if inspect.ismethod(handler):
        handler = handler.__func__
    if not inspect.isroutine(handler) and callable(handler):
        handler = type(handler).__call__
    return inspect.unwrap(handler)


def _qualified_name(handler: Any, function: Any) -> str:
    if inspect.ismethod(handler):
        owner = type(handler.__self__)
        return f"{owner.__module__}.{owner.__qualname__}.{handler.__name__}"
    if not inspect.isroutine(handler):
        owner = type(handler)
        return f"{owner.__module__}.{owner.__qualname__}"
    module = getattr(function, "__module__", "?")
    return f"{module}.{getattr(function, '__qualname__', repr(function))}"


def _location(function: Any) -> str:
    try:
        filename = inspect.getsourcefile(function)
        line = function.__code__.co_firstlineno
    except (TypeError, AttributeError):
        return ""
    if filename is None:
        return ""
    try:
        shown = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        shown = filename
    return f"{filename if shown.startswith('..') else shown}:{line}"


def _signature(handler: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(handler)
    except (TypeError, ValueError):
        return None


def _placeholders(signature: inspect.Signature, skip: frozenset[str]) -> str:
    parts = []
    for param in signature.parameters.values():
        if param.name in skip:
            continue
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            optional = "?" if param.default is not param.empty else ""
            parts.append(f"/{{{param.name}{optional}}}")
        elif param.kind is param.VAR_POSITIONAL:
            parts.append(f"/{{*{param.name}}}")
    return "".join(parts)


def _annotation(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    name = getattr(annotation, "__name__", None)
    return name if isinstance(name, str) else repr(annotation)


def _format_param(param: inspect.Parameter) -> str:
    prefixes: dict[inspect._ParameterKind, str] = {
        param.VAR_POSITIONAL: "*",
        param.VAR_KEYWORD: "**",
    }
    prefix = prefixes.get(param.kind, "")
    text = prefix + param.name
    if param.annotation is not param.empty:
        text += f": {_annotation(param.annotation)}"
    if param.default is not param.empty:
        text += (
            f" = {param.default!r}"
            if param.annotation is not param.empty
            else f"={param.default!r}"
        )
    return text


def _describe(obj: Any) -> str:
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{getattr(obj, '__module__', '?')}.{name}"
