"""The routes of one Application: the walk's candidates, confirmed by its dispatchers.

Each candidate of :mod:`framework.introspect.walk` is confirmed by asking the path's
own dispatcher to resolve a concrete URL built from the template: a candidate that
dispatches elsewhere (an ``index`` with a positional parameter, which only ever answers
with that parameter in the query string) is listed the way it really answers, or not at
all. Static sections (``tools.staticdir`` / ``tools.staticfile``) are routes too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from framework.core import config as _config
from framework.dispatch import Dispatcher, MethodDispatcher, VirtualHost
from framework.introspect.dispatchers import host_variants, mapper_routes, unwrap
from framework.introspect.model import (
    ANY_METHOD,
    HandlerIdentity,
    Route,
    Unreachable,
    handler_identity,
)
from framework.introspect.walk import Candidate, NodeWalk

if TYPE_CHECKING:
    from framework.core.application import Application

__all__ = ["AppWalk"]


class AppWalk:
    """The routes of one Application: candidates confirmed by its dispatchers."""

    def __init__(self, app: Application) -> None:
        self.app = app

    def dispatcher(self, path: str) -> Any:
        from framework.core.request import Request

        return self.app.find_config(path, "request.dispatch", Request.dispatch)

    def method_dispatch(self, path: str) -> bool:
        inner = unwrap(self.dispatcher(path))
        return isinstance(getattr(inner, "next_dispatcher", inner), MethodDispatcher)

    def routes(self) -> Iterator[Route]:
        """Every route; behind a VirtualHost, also as each host reaches it."""
        dispatcher = self.dispatcher("/")
        listed = list(self._own_routes(unwrap(dispatcher)))
        yield from listed
        if isinstance(dispatcher, VirtualHost):
            for route in listed:
                yield from host_variants(route, dispatcher, self.app.script_name)

    def _own_routes(self, dispatcher: Any) -> Iterator[Route]:
        from framework.routesdispatcher import RoutesDispatcher

        app = self.app
        if isinstance(dispatcher, RoutesDispatcher):
            yield from mapper_routes(app, dispatcher)
        else:
            for candidate in self._candidates(self.method_dispatch):
                route = self._confirm(candidate)
                if route is not None:
                    yield route
        yield from self._static_routes()

    def _candidates(self, method_dispatch: Callable[[str], bool]) -> Iterator[Candidate]:
        """The tree walk's candidates, each (path, methods, handler) once."""
        if self.app.root is None:
            return
        seen: set[tuple[str, tuple[str, ...] | None, str]] = set()
        walk = NodeWalk(method_dispatch)
        for candidate in walk.candidates(self.app.root, "", 0, frozenset()):
            key = (candidate.path, candidate.methods, handler_identity(candidate.handler).name)
            if key not in seen:
                seen.add(key)
                yield candidate

    def unreachable(self) -> Iterator[Unreachable]:
        """The exposed handlers none of whose URLs the dispatchers confirm.

        Two walks propose handlers: the one :meth:`routes` uses, and one that reads the
        tree as the default dispatcher would everywhere, which also sees the exposed
        methods a ``MethodDispatcher`` section never calls. A ``RoutesDispatcher`` app
        publishes its patterns, not its tree: nothing there is unreachable.
        """
        from framework.routesdispatcher import RoutesDispatcher

        if isinstance(unwrap(self.dispatcher("/")), RoutesDispatcher):
            return
        reached = {r.identity for r in self.routes() if r.handler is not None}
        missed: dict[HandlerIdentity, Candidate] = {}
        proposed = (*self._candidates(self.method_dispatch), *self._candidates(_plain))
        for candidate in proposed:
            identity = handler_identity(candidate.handler)
            if identity not in reached and candidate.kind not in ("dispatch", "xmlrpc"):
                missed.setdefault(identity, candidate)
        for identity, candidate in missed.items():
            path = (self.app.script_name + candidate.path) or "/"
            yield Unreachable(path, identity, self._elsewhere(candidate))

    def _elsewhere(self, candidate: Candidate) -> str:
        """What the dispatcher does with the URL proposed for ``candidate``."""
        probe = _probe(candidate.path) or "/"
        method = candidate.methods[0] if candidate.methods else "GET"
        shown = f"{method} {(self.app.script_name + probe) or '/'}"
        try:
            found = unwrap(self.dispatcher(probe)).find(self.app, probe, method)
        except Exception as exc:
            return f"{shown} fails while dispatching ({type(exc).__name__}: {exc})"
        if found.handler is None:
            error = found.error
            code = getattr(error, "code", error) if error is not None else 404
            return f"{shown} answers {code}"
        return f"{shown} reaches {handler_identity(found.handler).name} instead"

    def _confirm(self, candidate: Candidate) -> Route | None:
        """Ask the path's dispatcher to resolve a URL made from the template."""
        script = self.app.script_name
        full_path = (script + candidate.path) or "/"
        if candidate.kind in ("dispatch", "xmlrpc"):
            return self._route(candidate, full_path, {})
        probe = _probe(candidate.path) or "/"
        dispatcher = unwrap(self.dispatcher(probe))
        if not isinstance(dispatcher, Dispatcher) and not hasattr(dispatcher, "next_dispatcher"):
            # A dispatcher of another kind (a CherryPy-style callable)
            # answers only inside a request: list the candidate as the walk saw it.
            return self._route(candidate, full_path, {})
        method = candidate.methods[0] if candidate.methods else "GET"
        try:
            found = dispatcher.find(self.app, probe, method)
        except Exception:  # application code (popargs factories) failed: not reachable
            return None
        if not _same_handler(found.handler, candidate.handler):
            return None
        return self._route(candidate, full_path, found.config)

    def _route(self, candidate: Candidate, path: str, conf: Mapping[str, Any]) -> Route:
        methods = candidate.methods
        if methods is None:
            if conf.get("tools.allow.on"):
                allowed = conf.get("tools.allow.methods") or ["GET", "HEAD"]
                if isinstance(allowed, str):
                    allowed = [allowed]
                methods = tuple(m.upper() for m in allowed)
            else:
                methods = (ANY_METHOD,)
        skip = candidate.popped
        params = tuple(p for p in candidate.params if p.name not in skip)
        return Route(
            path,
            candidate.handler,
            handler_identity(candidate.handler),
            methods,
            params,
            _tools(conf),
            candidate.kind,
            candidate.placeholders,
        )

    def _static_routes(self) -> Iterator[Route]:
        script = self.app.script_name
        sections = sorted(
            (path, conf) for path, conf in self.app.config.items() if path.startswith("/")
        )
        for section, conf in sections:
            base = script + section.rstrip("/")
            if conf.get("tools.staticdir.on") and conf.get("tools.staticdir.dir"):
                where = str(conf["tools.staticdir.dir"])
                yield Route(
                    f"{base}/{{*path}}",
                    None,
                    HandlerIdentity(f"tools.staticdir: {where}"),
                    ("GET", "HEAD"),
                    tools=_tools(conf),
                    kind="static",
                    placeholders=("*path",),
                )
            if conf.get("tools.staticfile.on") and conf.get("tools.staticfile.filename"):
                where = str(conf["tools.staticfile.filename"])
                yield Route(
                    base or "/",
                    None,
                    HandlerIdentity(f"tools.staticfile: {where}"),
                    ("GET", "HEAD"),
                    tools=_tools(conf),
                    kind="static",
                )


def _plain(path: str) -> bool:
    """The default dispatcher's rules everywhere: no path is a MethodDispatcher's."""
    return False


def _probe(template: str) -> str:
    """A concrete URL for ``template``: required and rest-of-path placeholders get "0"."""
    out: list[str] = []
    for segment in template.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            if segment.endswith("?}"):
                continue  # an optional segment: the shortest URL must answer too
            out.append("0")  # a required segment, or one of the rest of the path
        else:
            out.append(segment)
    return "/".join(out)


def _same_handler(found: Any, candidate: Any) -> bool:
    """True if both name the same handler (a property may build a new object per access)."""
    if found is None:
        return False
    return found is candidate or handler_identity(found) == handler_identity(candidate)


def _tools(conf: Mapping[str, Any]) -> tuple[str, ...]:
    """Tools switched on in ``conf``, beyond the ones every path gets by default."""
    defaults = {
        key[len("tools.") : -len(".on")]
        for key, value in _config.DEFAULTS.items()
        if key.startswith("tools.") and key.endswith(".on") and value
    }
    return tuple(
        sorted(
            name
            for key, value in conf.items()
            if key.startswith("tools.") and key.endswith(".on") and value is True
            for name in [key[len("tools.") : -len(".on")]]
            if name not in defaults
        )
    )
