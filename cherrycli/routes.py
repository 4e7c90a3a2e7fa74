"""The records ``cherry routes`` shows: the framework's route model, formatted for people.

What an app publishes is decided once, by :mod:`framework.introspect` (the walk the
dispatcher confirms); this module only mounts what the importer found the way
``cherry serve`` would and turns each :class:`framework.introspect.Route` into a
:class:`Route` of strings:

- **path**: a URL that really dispatches, mount point included. An ``index``
  answers at its node's path with a trailing ``/`` and takes its parameters from the
  query string; other positional parameters become placeholders (``{id}``, ``{page?}``
  when optional, ``{*args}`` for the rest of the path); ``feed_xml`` is listed as
  ``feed.xml``; ``@popargs`` names come before what they lead to; a custom
  ``_cp_dispatch`` shows as ``{*vpath}``; a static section as ``{*path}`` (a
  directory) or its own path (a file); a ``RoutesDispatcher`` pattern as its template
  (``/cities/{name}``); an XML-RPC procedure as its controller's URL, ``#`` and its
  name (``/api/#math.add``); behind a ``VirtualHost`` each route also as
  ``//host/path``.
- **handler** (``module.Class.method``, or for a static section the tool and what it
  serves) and **location** (``file:line`` of the ``def``, relative to the working
  directory when inside it).
- **methods**, **params** (the signature, annotations and defaults included),
  **tools** (switched on beyond the framework's defaults) and **kind**
  (``handler``, ``index``, ``default``, ``resource``, ``dispatch``, ``xmlrpc`` or
  ``static``).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cherrycli.errors import CliError
from framework import introspect
from framework.core.application import Application
from framework.introspect import ANY_METHOD

__all__ = ["ANY_METHOD", "Route", "collect_routes"]

# Namespaces of the config file's [global] section that apply per request: what a
# listing reads (tools, the dispatcher, allowed methods). The others (server.*,
# engine.*, log.*) act on the process and are left to ``cherry serve``.
_REQUEST_NAMESPACES = ("tools.", "request.", "response.", "hooks.", "error_page.")


@dataclass(frozen=True)
class Route:
    """One published URL, as ``cherry routes`` prints it.

    Attributes:
        path: URL path with placeholders, e.g. ``/users/{user_id}``.
        handler: ``module.Class.method`` of the callable that answers it; for a static
            section, the tool and the directory or file (``tools.staticdir: static``).
        location: ``file:line`` of its definition (relative to the working directory
            when inside it), or "" when unknown.
        methods: HTTP methods answered; ``("*",)`` for any.
        params: the parameters, e.g. ``("user_id", "page: int = 1", "**kwargs")``.
        tools: names of the tools switched on for it, sorted.
        kind: what answers (see :class:`framework.introspect.Route`).
        source: the framework's route this record shows (not part of the JSON).
    """

    path: str
    handler: str
    location: str
    methods: tuple[str, ...]
    params: tuple[str, ...]
    tools: tuple[str, ...]
    kind: str
    source: introspect.Route = field(compare=False, repr=False)

    @classmethod
    def of(cls, route: introspect.Route) -> Route:
        """Format a route of the framework's model for display."""
        return cls(
            route.path,
            route.identity.name,
            _relative(route.identity.location),
            route.methods,
            tuple(_format_param(param) for param in route.params),
            route.tools,
            route.kind,
            route,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the route as JSON-ready data (tuples become lists)."""
        return {
            "path": self.path,
            "handler": self.handler,
            "location": self.location,
            "methods": list(self.methods),
            "params": list(self.params),
            "tools": list(self.tools),
            "kind": self.kind,
        }


def collect_routes(
    target: Any, config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Route]:
    """List the routes of a root object or class, an Application or a Tree.

    Args:
        target: what :func:`cherrycli.importer.load_target` found.
        config: see :func:`routes_subject`.

    Returns:
        The routes sorted by path, then methods.

    Raises:
        CliError: see :func:`routes_subject`.
    """
    return [Route.of(route) for route in introspect.routes(routes_subject(target, config))]


def routes_subject(target: Any, config: Mapping[str, Mapping[str, Any]] | None = None) -> Any:
    """The Application or Tree whose routes are listed for ``target``.

    Args:
        target: what :func:`cherrycli.importer.load_target` found.
        config: the config file's sections (``{path: {key: value}}``, may hold
            ``global``), applied when ``target`` is a root object or class, as
            ``cherry serve --config`` would mount it. An Application or Tree keeps
            its own config.

    Returns:
        ``target`` itself for an Application or a Tree, else an Application (not
        mounted anywhere) around the root.

    Raises:
        CliError: for a plain WSGI callable (no object tree to list) or a root class
            that cannot be instantiated without arguments.
    """
    kind = introspect.classify(target)
    if kind in ("tree", "application"):
        return target
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
    return Application(target, "", _app_config(target, config or {}))


def _app_config(root: Any, config: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The path sections to mount ``root`` with, the [global] request keys included.

    ``cherry serve`` puts ``[global]`` in the process-wide config, below every other
    level; a listing must not change the process, so its per-request keys go into
    ``/`` instead, under the root's ``_cp_config`` and ``/``'s own keys (the two levels
    above the global config at the root): the merged config of every path is the same.
    """
    sections = {path: dict(values) for path, values in config.items() if path != "global"}
    shadowing = {**(getattr(root, "_cp_config", None) or {}), **sections.get("/", {})}
    inherited = {
        key: value
        for key, value in config.get("global", {}).items()
        if key.startswith(_REQUEST_NAMESPACES) and key not in shadowing
    }
    if inherited:
        sections["/"] = {**inherited, **sections.get("/", {})}
    return sections


def _relative(location: str) -> str:
    """``file:line`` with the file relative to the working directory when inside it."""
    if not location:
        return ""
    filename, _, line = location.rpartition(":")
    try:
        shown = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        shown = filename
    return f"{filename if shown.startswith('..') else shown}:{line}"


def _annotation(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    name = getattr(annotation, "__name__", None)
    return name if isinstance(name, str) else repr(annotation)


def _format_param(param: inspect.Parameter) -> str:
    """A parameter as listed: ``page: int = 1``, ``*parts``, ``**kwargs``."""
    prefixes: dict[inspect._ParameterKind, str] = {
        param.VAR_POSITIONAL: "*",
        param.VAR_KEYWORD: "**",
    }
    text = prefixes.get(param.kind, "") + param.name
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
