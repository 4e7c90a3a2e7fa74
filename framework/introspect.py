"""The route model: which URLs an application serves, and what answers each.

One module answers "what does this object tree publish?" for everything that asks:
``cherry routes``, the CLI's app loader, the test client and handler coverage. It is
built on the dispatcher itself, so a listing never disagrees with dispatch:

1. a walk proposes candidates, reading attributes exactly as the dispatcher does
   (``getattr``, so properties run; ``_hidden`` names publish, dunders never do;
   ``index``, ``default``, ``@popargs``, ``_cp_dispatch``, the ``MethodDispatcher``'s
   verb methods) and turning each into a URL template (``/users/{user_id}``,
   ``/files/{*parts}``, ``/blog/feed.xml`` for ``feed_xml``);
2. each candidate is then confirmed by asking the path's own dispatcher to resolve a
   concrete URL built from the template: a candidate that dispatches elsewhere (an
   ``index`` with a positional parameter, which only ever answers with that parameter
   in the query string) is listed the way it really answers, or not at all.

Static sections (``tools.staticdir`` / ``tools.staticfile`` in an app's config) are
routes too. :func:`handler_identity` names a handler the same way everywhere
(``module.Class.method`` plus its ``def`` line), and :func:`classify` says what kind of
app object something is.

Iterating routes runs application code (properties, ``@popargs`` handler factories):
call it on apps you trust, as you would serve them.
"""

from __future__ import annotations

import inspect
import mimetypes
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from framework.core import config as _config
from framework.dispatch import Dispatcher, MethodDispatcher

if TYPE_CHECKING:
    from framework.core.application import Application

__all__ = [
    "ANY_METHOD",
    "HANDLER_LOG_ENV",
    "HandlerIdentity",
    "Route",
    "Unreachable",
    "classify",
    "handler_identity",
    "iter_routes",
    "publishes",
    "routes",
    "unreachable",
]

#: ``Route.methods`` for a handler that answers any method.
ANY_METHOD = "*"

#: Environment variable naming the file where the pytest plugin appends the handlers
#: that tests dispatched to (``cherry test`` sets it and reads the file back).
HANDLER_LOG_ENV = "CHERRY_HANDLER_LOG"

# How deep the walk follows attributes below the root.
_MAX_DEPTH = 32
# Values of these types are data, never nodes of the tree.
_DATA_TYPES = (str, bytes, bytearray, int, float, complex, bool, list, tuple, dict, set, frozenset)
# Objects of these packages are framework internals or libraries, never published nodes.
_FOREIGN_PACKAGES = frozenset({"builtins", "framework", "cherrypy", "cherrycli"})
# Attribute names the dispatcher treats specially (never published segments).
_SPECIAL = frozenset({"index", "default", "_cp_dispatch", "_cp_config", "exposed"})


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
    else:
        module = getattr(handler, "__module__", None) or "?"
        name = f"{module}.{getattr(handler, '__qualname__', repr(handler))}"
        function = handler
    code = getattr(inspect.unwrap(function), "__code__", None)
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
            MethodDispatcher verb), ``"dispatch"`` (a custom ``_cp_dispatch``: the
            rest of the path is decided by code) or ``"static"``.
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


def routes(target: Any) -> list[Route]:
    """Every route of an Application, a Tree (each mounted Application) or a root.

    A root object is mounted (in memory, at ``""``) in a throwaway Application; a root
    class is instantiated without arguments first, as the test client does, since the
    dispatcher only ever walks instances (properties and attributes set in
    ``__init__`` exist only there).

    Returns:
        The routes sorted by path, then methods.

    Raises:
        Exception: whatever a root class's ``__init__`` raises.
    """
    return sorted(iter_routes(target), key=lambda r: (r.path, r.methods, r.identity.name))


def iter_routes(target: Any) -> Iterator[Route]:
    """Yield the routes of ``target`` (see :func:`routes`), unsorted."""
    for walk in _walks(target):
        yield from walk.routes()


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


def unreachable(target: Any) -> list[Unreachable]:
    """Exposed handlers of ``target`` (see :func:`routes`) that can never be reached.

    The walk proposes every exposed handler; one is unreachable when the dispatcher
    sends every URL proposed for it elsewhere: an ``index`` or handler whose segment
    a ``default`` or an earlier handler always catches, or a ``@popargs`` factory that
    raises.

    Returns:
        One entry per such handler, sorted by path.
    """
    found: list[Unreachable] = []
    for walk in _walks(target):
        found.extend(walk.unreachable())
    return sorted(found, key=lambda u: (u.path, u.identity.name))


def _walks(target: Any) -> Iterator[_AppWalk]:
    """One :class:`_AppWalk` per application ``target`` holds (see :func:`routes`)."""
    from framework.core.application import Application

    kind = classify(target)
    if kind == "tree":
        for app in list(target.apps.values()):
            if classify(app) == "application":
                yield _AppWalk(app)
    elif kind == "application":
        yield _AppWalk(target)
    elif kind == "root":
        yield _AppWalk(Application(target, ""))
    elif kind == "class":
        yield _AppWalk(Application(target(), ""))


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
        if next(_NodeWalk(rules).candidates(obj, "", 0, frozenset()), None) is not None:
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
class _Candidate:
    """A route proposed by the walk, before the dispatcher confirms it."""

    path: str  # the template below the mount point
    handler: Any
    kind: str
    params: tuple[inspect.Parameter, ...]
    placeholders: tuple[str, ...]
    methods: tuple[str, ...] | None = None  # set for MethodDispatcher verbs
    popped: frozenset[str] = frozenset()


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


class _NodeWalk:
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
    ) -> Iterator[_Candidate]:
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

    def _member(self, value: Any, path: str, popped: frozenset[str]) -> Iterator[_Candidate]:
        """The routes an attribute answers itself at ``path``."""
        if not self.method_dispatch(path):
            if _is_handler(value):
                yield self._leaf(value, path, "handler", popped)
        elif _is_handler(value, callable_needed=False) and not inspect.isroutine(value):
            yield from self._verbs(value, path, popped)

    def _own_handlers(self, node: Any, path: str, popped: frozenset[str]) -> Iterator[_Candidate]:
        index = _attribute(node, "index")
        if _is_handler(index):
            # COMPAT: index is only reached when every segment resolved, so its
            # positional parameters can come from the query string only.
            sig = _signature(index)
            params = tuple(sig.parameters.values()) if sig is not None else ()
            yield _Candidate(path + "/", index, "index", params, (), popped=popped)
        default = _attribute(node, "default")
        if _is_handler(default):
            yield self._leaf(default, path, "default", popped)

    def _leaf(self, handler: Any, path: str, kind: str, popped: frozenset[str]) -> _Candidate:
        sig = _signature(handler)
        names, template = _placeholders(sig, popped)
        params = tuple(sig.parameters.values()) if sig is not None else ()
        return _Candidate(path + template, handler, kind, params, names, popped=popped)

    def _verbs(self, resource: Any, path: str, popped: frozenset[str]) -> Iterator[_Candidate]:
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
    ) -> Iterator[_Candidate]:
        popargs = getattr(custom, "_popargs", None)
        if popargs is None:
            sig = _signature(custom)
            params = tuple(sig.parameters.values()) if sig is not None else ()
            yield _Candidate(f"{path}/{{*vpath}}", custom, "dispatch", params, ("*vpath",))
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
            yield _Candidate(f"{prefix}/{{*vpath}}", next_node, "dispatch", params, ("*vpath",))
        elif not isinstance(next_node, type):
            yield from self.candidates(next_node, prefix, depth + 1, ancestors, inner)


class _AppWalk:
    """The routes of one Application: candidates confirmed by its dispatchers."""

    def __init__(self, app: Application) -> None:
        self.app = app

    def dispatcher(self, path: str) -> Any:
        from framework.core.request import Request

        return self.app.find_config(path, "request.dispatch", Request.dispatch)

    def method_dispatch(self, path: str) -> bool:
        return isinstance(self.dispatcher(path), MethodDispatcher)

    def routes(self) -> Iterator[Route]:
        for candidate in self._candidates():
            route = self._confirm(candidate)
            if route is not None:
                yield route
        yield from self._static_routes()

    def _candidates(self) -> Iterator[_Candidate]:
        app = self.app
        seen: set[tuple[str, tuple[str, ...] | None, str]] = set()
        if app.root is not None:
            walk = _NodeWalk(self.method_dispatch)
            for candidate in walk.candidates(app.root, "", 0, frozenset()):
                key = (candidate.path, candidate.methods, handler_identity(candidate.handler).name)
                if key not in seen:
                    seen.add(key)
                    yield candidate

    def unreachable(self) -> Iterator[Unreachable]:
        """The exposed handlers none of whose URLs the dispatchers confirm.

        Two walks propose handlers: the one :meth:`routes` uses, and one that reads the
        tree as the default dispatcher would everywhere, which also sees the exposed
        methods a ``MethodDispatcher`` section never calls.
        """
        reached = {r.identity for r in self.routes() if r.handler is not None}
        missed: dict[HandlerIdentity, _Candidate] = {}
        plain: Iterator[_Candidate] = iter(())
        if self.app.root is not None:
            plain = _NodeWalk(_never).candidates(self.app.root, "", 0, frozenset())
        for candidate in (*self._candidates(), *plain):
            identity = handler_identity(candidate.handler)
            if identity not in reached and candidate.kind != "dispatch":
                missed.setdefault(identity, candidate)
        for identity, candidate in missed.items():
            path = (self.app.script_name + candidate.path) or "/"
            yield Unreachable(path, identity, self._elsewhere(candidate))

    def _elsewhere(self, candidate: _Candidate) -> str:
        """What the dispatcher does with the URL proposed for ``candidate``."""
        probe = _probe(candidate.path) or "/"
        method = candidate.methods[0] if candidate.methods else "GET"
        shown = f"{method} {(self.app.script_name + probe) or '/'}"
        try:
            found = self.dispatcher(probe).find(self.app, probe, method)
        except Exception as exc:
            return f"{shown} fails while dispatching ({type(exc).__name__}: {exc})"
        if found.handler is None:
            error = found.error
            code = getattr(error, "code", error) if error is not None else 404
            return f"{shown} answers {code}"
        return f"{shown} reaches {handler_identity(found.handler).name} instead"

    def _confirm(self, candidate: _Candidate) -> Route | None:
        """Ask the path's dispatcher to resolve a URL made from the template."""
        script = self.app.script_name
        full_path = (script + candidate.path) or "/"
        if candidate.kind == "dispatch":
            return self._route(candidate, full_path, {})
        probe = _probe(candidate.path) or "/"
        dispatcher = self.dispatcher(probe)
        if not isinstance(dispatcher, Dispatcher):
            # A dispatcher of another kind (a VirtualHost, a CherryPy-style callable)
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

    def _route(self, candidate: _Candidate, path: str, conf: Mapping[str, Any]) -> Route:
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
