"""Routes of the dispatchers that are not an object-tree walk: Routes and virtual hosts.

- A :class:`~framework.routesdispatcher.RoutesDispatcher` publishes its mapper's routes:
  each pattern becomes a template (``/people/:name`` is ``/people/{name}``,
  ``*path`` is ``{*path}``), answered by ``getattr(controller, action)``, or by the
  controller itself (kind ``dispatch``) when the action comes from the URL; the methods
  are the route's ``method`` condition.
- Behind a :class:`~framework.dispatch.VirtualHost`, every route is also listed under
  each host that reaches it, as ``//host/path`` (the path without the host's prefix).

XML-RPC methods are found by the walk itself (:mod:`framework.introspect.walk`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from framework.dispatch import VirtualHost
from framework.introspect.model import ANY_METHOD, Route, handler_identity

if TYPE_CHECKING:
    from framework.core.application import Application

__all__ = ["host_variants", "mapper_routes", "unwrap"]

_VARIABLE = re.compile(r":(\w+)|\{(\w+)(?::[^}]*)?\}|\*(\w+)")


def unwrap(dispatcher: Any) -> Any:
    """The dispatcher behind any number of virtual-host layers."""
    while isinstance(dispatcher, VirtualHost):
        dispatcher = dispatcher.next_dispatcher
    return dispatcher


def _template(routepath: str) -> tuple[str, tuple[str, ...]]:
    """A Routes pattern as a route template, and its placeholders."""
    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        plain = match.group(1) or match.group(2)
        if plain:
            names.append(plain)
            return f"{{{plain}}}"
        names.append("*" + match.group(3))
        return f"{{*{match.group(3)}}}"

    path = _VARIABLE.sub(placeholder, routepath)
    return (path if path.startswith("/") else "/" + path), tuple(names)


def mapper_routes(app: Application, dispatcher: Any) -> Iterator[Route]:
    """The routes of a RoutesDispatcher mounted as ``app``'s dispatcher."""
    script = app.script_name
    for route in dispatcher.mapper.matchlist:
        template, names = _template(str(route.routepath))
        defaults = getattr(route, "defaults", {}) or {}
        name = defaults.get("controller")
        controller = dispatcher.controllers.get(name, name) if isinstance(name, str) else name
        if controller is None or isinstance(controller, str):
            continue  # no such controller: the route answers 404
        action = defaults.get("action")
        if "action" in names or action is None:
            handler, kind = controller, "dispatch"
        else:
            handler, kind = getattr(controller, str(action), None), "handler"
            if handler is None:
                continue
        methods = tuple((getattr(route, "conditions", None) or {}).get("method") or (ANY_METHOD,))
        yield Route(
            (script + template) or "/",
            handler,
            handler_identity(handler),
            methods,
            kind=kind,
            placeholders=names,
        )


def host_variants(route: Route, vhost: VirtualHost, script_name: str) -> Iterator[Route]:
    """``route`` as each of ``vhost``'s hosts reaches it (``//host/path``)."""
    rest = route.path[len(script_name) :] if route.path.startswith(script_name) else route.path
    for host, prefix in sorted(vhost.domains.items()):
        prefix = prefix.rstrip("/")
        if prefix and rest != prefix and not rest.startswith(prefix + "/"):
            continue
        path = f"//{host}{script_name}{rest[len(prefix) :] or '/'}"
        yield dataclasses.replace(route, path=path)
