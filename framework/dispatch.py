"""Dispatchers: map a request path to a page handler and its merged config.

:class:`Dispatcher` walks the application's object tree one path segment at a time
(``.`` in a segment becomes ``_``), honouring ``index``, ``default``,
``_cp_dispatch`` and ``@popargs``; segments left over become positional arguments.
:class:`MethodDispatcher` does the same walk but picks the handler by HTTP method
(``GET``, ``POST``... attributes of an exposed resource), answering 405 with an
``Allow`` header otherwise. Both return a :class:`Found` record, which the
application caches per path so the walk runs once per distinct URL.

When a call does not match the handler's signature, :func:`check_call` decides
between 404 (path or query string mismatch) and 400 (body mismatch), as CherryPy does.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from framework._globals import config as global_config
from framework.context import serving
from framework.errors import HTTPError, NotFound
from framework.helpers import resolve_popargs_target

if TYPE_CHECKING:
    from framework.core.application import Application
    from framework.core.request import Request

__all__ = [
    "Dispatcher",
    "Found",
    "LateParamPageHandler",
    "MethodDispatcher",
    "PageHandler",
    "VirtualHost",
    "XMLRPCDispatcher",
    "check_call",
    "find_with",
    "patched_path",
    "punctuation_to_underscores",
    "test_callable_spec",
    "validate_translator",
]

# COMPAT: as CherryPy's default, every punctuation character in a segment may stand for
# the underscore of a Python name: /feed.xml, /feed-xml and /feed:xml all reach feed_xml.
_TRANSLATE = str.maketrans(string.punctuation, "_" * len(string.punctuation))

#: A ``translate`` table mapping every ASCII punctuation character to ``_``.
punctuation_to_underscores = str.maketrans(string.punctuation, "_" * len(string.punctuation))


def validate_translator(table: object) -> None:
    """Check that ``table`` is a ``str.translate`` table (a dict).

    Raises:
        ValueError: if it is not.
    """
    if not isinstance(table, dict):
        raise ValueError("The translate argument must be a dict.")


class Found:
    """What a dispatcher found for one path.

    Attributes:
        handler: the callable to run, or ``None`` when nothing matched.
        vpath: path segments left over, passed as positional arguments.
        config: the merged config for the path (global, app sections, ``_cp_config``).
        is_index: True for an ``index`` handler, False otherwise, None if not found.
        params: parameters taken from the path by ``@popargs``.
        cacheable: False when a custom ``_cp_dispatch`` took part (it may change).
        allow: for :class:`MethodDispatcher`, the methods the resource answers.
        error: an exception to raise instead of calling a handler (404/405).
        setup: run at the start of every request of the path, before any hook (a
            dispatcher that keeps per-request state of its own, such as Routes').
    """

    __slots__ = (
        "allow",
        "cacheable",
        "config",
        "error",
        "handler",
        "is_index",
        "params",
        "setup",
        "vpath",
    )

    def __init__(
        self,
        handler: Callable[..., Any] | None,
        vpath: tuple[str, ...] = (),
        config: dict[str, Any] | None = None,
        is_index: bool | None = None,
        params: dict[str, str] | None = None,
        cacheable: bool = True,
        allow: str | None = None,
        error: int = 0,
    ) -> None:
        self.handler = handler
        self.vpath = vpath
        self.config = config if config is not None else {}
        self.is_index = is_index
        self.params = params if params is not None else {}
        self.cacheable = cacheable
        self.allow = allow
        self.error = error
        self.setup: Callable[[], None] | None = None


class _Step:
    __slots__ = ("conf", "name", "node", "segleft")

    def __init__(self, name: str, node: Any, conf: dict[str, Any], segleft: int) -> None:
        self.name = name
        self.node = node
        self.conf = conf
        self.segleft = segleft


class Dispatcher:
    """The default object-tree dispatcher (CherryPy's ``Dispatcher``).

    Args:
        dispatch_method_name: the name of the custom-dispatch hook on nodes.
        translate: a ``str.translate`` table applied to each segment.
    """

    #: Only a callable exposed object can answer; a MethodDispatcher resource need not be.
    handlers_are_callable = True

    def __init__(
        self,
        dispatch_method_name: str | None = None,
        translate: dict[int, int | str | None] | None = None,
    ) -> None:
        self.dispatch_method_name = dispatch_method_name or "_cp_dispatch"
        if translate is not None:
            validate_translator(translate)
        self.translate = translate if translate is not None else _TRANSLATE

    def __call__(self, path_info: str) -> None:
        """Set ``request.handler`` and ``request.config`` for ``path_info``."""
        request = serving.request
        assert request is not None
        _publish(self.find(request.app, path_info, request.method))

    def find(self, app: Application, path_info: str, method: str) -> Found:
        """Walk the object tree for ``path_info`` and merge config along the way."""
        walk = _TreeWalk(self, app, path_info)
        trail = walk.run()
        found = self._choose(app, trail, walk.fullpath, path_info, walk.cacheable, walk.params)
        if "%2F" in path_info:
            # COMPAT: a %2F the server left quoted did not split segments; in a
            # positional argument it is a slash ("/page%2Fname" -> default("page/name")).
            found.vpath = tuple(segment.replace("%2F", "/") for segment in found.vpath)
        return found

    def _choose(
        self,
        app: Application,
        trail: list[_Step],
        fullpath: list[str],
        path: str,
        cacheable: bool,
        params: dict[str, str],
    ) -> Found:
        fullpath_len = len(fullpath)
        last = len(trail) - 1
        for i in range(last, -1, -1):
            step = trail[i]
            candidate = step.node
            if candidate is None:
                continue
            default = getattr(candidate, "default", None)
            if default is not None and getattr(default, "exposed", False):
                # COMPAT: as CherryPy, the sections of the rest of the path still apply
                # (config for /admin reaches a root.default answering /admin).
                steps = [
                    *trail[: i + 1],
                    _Step("default", default, _conf_of(default), step.segleft),
                    *trail[i + 1 :],
                ]
                vpath = tuple(fullpath[fullpath_len - step.segleft : -1])
                return Found(
                    default, vpath, _merge(app, steps), path.endswith("/"), params, cacheable
                )
            if getattr(candidate, "exposed", False) and (
                callable(candidate) or not self.handlers_are_callable
            ):
                vpath = tuple(fullpath[fullpath_len - step.segleft : -1])
                return Found(candidate, vpath, _merge(app, trail), i == last, params, cacheable)
        return Found(None, (), _merge(app, trail), None, params, cacheable, error=404)


class _TreeWalk:
    """One walk down an application's object tree for one path (``Dispatcher.find``).

    Each segment becomes a :class:`_Step`: the node reached (``None`` once the path
    leaves the tree), the config collected on the way (``_cp_config`` of the node and
    the app's path sections it covers) and how many segments are left. A node's
    ``_cp_dispatch`` (or ``@popargs``) may take segments over.
    """

    __slots__ = ("app", "cacheable", "dispatcher", "fullpath", "names", "params")

    def __init__(self, dispatcher: Dispatcher, app: Application, path: str) -> None:
        self.dispatcher = dispatcher
        self.app = app
        self.fullpath = [seg for seg in path.strip("/").split("/") if seg]
        self.fullpath.append("index")
        self.names = self.fullpath[:]
        self.params: dict[str, str] = {}
        self.cacheable = True

    def run(self) -> list[_Step]:
        """Walk every segment; return the trail, root first."""
        root = self.app.root
        conf: dict[str, Any] = {}
        root_conf = getattr(root, "_cp_config", None)
        if root_conf:
            conf.update(root_conf)
        conf.update(self.app.config.get("/", {}))
        trail = [_Step("root", root, conf, len(self.fullpath))]
        node = root
        while self.names:
            name = self.names[0]
            before = len(self.names)
            node = self._next_node(node, name, before)
            left = self._segments_left(name, before)
            trail.append(_Step(name, node, self._step_config(node, before, left), left))
        return trail

    def _next_node(self, node: Any, name: str, before: int) -> Any:
        objname = name.translate(self.dispatcher.translate)
        # Dunder names are never published (they would expose Python internals).
        subnode = None if objname.startswith("__") else getattr(node, objname, None)
        if subnode is not None:
            self.names.pop(0)
            return subnode
        custom = getattr(node, self.dispatcher.dispatch_method_name, None)
        if custom is None or not callable(custom) or getattr(custom, "exposed", False):
            self.names.pop(0)
            return None
        if before <= 1:  # only "index" is left: nothing for a custom dispatcher
            self.names.pop(0)
            return None
        return self._custom_dispatch(node, custom)

    def _custom_dispatch(self, node: Any, custom: Any) -> Any:
        names = self.names
        index_name = names.pop()
        popargs = getattr(custom, "_popargs", None)
        if popargs is not None:
            popped: dict[str, str] = {}
            for argname in popargs[0]:
                if not names:
                    break
                popped[argname] = names.pop(0)
            subnode = resolve_popargs_target(node, custom, popped, names)
            self.params.update(popped)
        else:
            self.cacheable = False
            subnode = custom(vpath=names)
        names.append(index_name)
        return subnode

    def _segments_left(self, name: str, before: int) -> int:
        left = len(self.names)
        if left > before:
            raise RuntimeError(
                f"A vpath segment was added while processing {name!r} in {self.fullpath!r}: "
                "custom dispatchers may only remove segments."
            )
        if left == before:
            # The custom dispatcher used the segment without popping it.
            self.names.pop(0)
            left -= 1
        return left

    def _step_config(self, node: Any, before: int, left: int) -> dict[str, Any]:
        """The config a step adds: the node's ``_cp_config``, then the sections it covers."""
        conf: dict[str, Any] = {}
        node_conf = getattr(node, "_cp_config", None) if node is not None else None
        if node_conf:
            conf.update(node_conf)
        fullpath = self.fullpath
        done = len(fullpath) - before
        curpath = "/" + "/".join(fullpath[:done]) if done else ""
        sections = self.app.config
        for seg in fullpath[done : len(fullpath) - left]:
            curpath += "/" + seg
            section = sections.get(curpath)
            if section:
                conf.update(section)
                if "tools.staticdir.dir" in section:
                    conf["tools.staticdir.section"] = curpath
        return conf


def _conf_of(obj: Any) -> dict[str, Any]:
    conf = getattr(obj, "_cp_config", None)
    return dict(conf) if conf else {}


def _merge(app: Application, trail: list[_Step]) -> dict[str, Any]:
    merged = dict(global_config)
    for step in trail:
        merged.update(step.conf)
    return merged


class MethodDispatcher(Dispatcher):
    """Dispatch to the method of an exposed resource named after the HTTP verb.

    ``GET`` on ``/items`` calls ``root.items.GET()``; ``HEAD`` falls back to ``GET``;
    ``OPTIONS`` is answered with the ``Allow`` header when the resource has no
    ``OPTIONS`` method; any other verb the resource lacks gives 405 with ``Allow``,
    before the request body is read (a bodiless PATCH is a 405, not a 411).
    """

    handlers_are_callable = False

    def find(self, app: Application, path_info: str, method: str) -> Found:
        """Find the resource for the path, then its handler for ``method``."""
        found = super().find(app, path_info, method)
        resource = found.handler
        if resource is None:
            return found
        avail = {name for name in dir(resource) if name.isupper()}
        if "GET" in avail:
            avail.add("HEAD")
        # COMPAT: Allow lists the resource's own verbs, as CherryPy's (an OPTIONS this
        # dispatcher answers itself is not one of them).
        found.allow = ", ".join(sorted(avail))
        meth = method.upper()
        func = getattr(resource, meth, None) if meth.isupper() and meth.isalpha() else None
        if func is None and meth == "HEAD":
            func = getattr(resource, "GET", None)
        if func is None and meth == "OPTIONS":
            func = _answer_options
        if func is None:
            found.handler = None
            found.error = 405
            return found
        func_conf = getattr(func, "_cp_config", None)
        if func_conf:
            found.config = {**found.config, **func_conf}
        found.handler = func
        return found


def __getattr__(name: str) -> Any:
    # The Routes dispatcher lives in its own module: it needs an optional library,
    # and most applications never dispatch with it.
    if name == "RoutesDispatcher":
        from framework.routesdispatcher import RoutesDispatcher

        return RoutesDispatcher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _answer_options(*args: Any, **kwargs: Any) -> str:
    """The answer to ``OPTIONS`` on a resource without an ``OPTIONS`` method.

    The plan adds the resource's ``Allow`` header; the body is empty.
    """
    return ""


def patched_path(path: str) -> str:
    """``path`` made ready for XML-RPC dispatch: a trailing slash, no leading ``/RPC2``."""
    if not path.endswith("/"):
        path += "/"
    if path.startswith("/RPC2/"):
        path = path[5:]
    return path


class XMLRPCDispatcher:
    """Dispatch XML-RPC requests: the URL (``/RPC2`` stripped) picks the controller.

    The method named in the request body is found by the controller itself
    (:class:`framework.lib.xmlrpcutil.XMLRPCController`).

    Args:
        next_dispatcher: the dispatcher walking the patched path.
    """

    def __init__(self, next_dispatcher: Dispatcher | None = None) -> None:
        self.next_dispatcher = next_dispatcher if next_dispatcher is not None else Dispatcher()

    def find(self, app: Application, path_info: str, method: str) -> Found:
        """Dispatch the patched path with the next dispatcher."""
        return self.next_dispatcher.find(app, patched_path(path_info), method)

    def __call__(self, path_info: str) -> None:
        """CherryPy-style call: dispatch and set the request's handler and config."""
        request = serving.request
        assert request is not None
        _publish(self.find(request.app, path_info, request.method))


class VirtualHost:
    """Route by the request's host name: each domain maps to a subtree of the app.

    ``VirtualHost(**{"www.example.com": "/", "blog.example.com": "/blog"})`` makes
    ``http://blog.example.com/2024`` dispatch as ``/blog/2024``; an unknown host gets no
    prefix. Plans built through it are host-dependent, so they are never cached.

    Args:
        next_dispatcher: the dispatcher that walks the prefixed path.
        use_x_forwarded_host: prefer ``X-Forwarded-Host`` (set by a proxy) to ``Host``.
        domains: host (with port if the client sends one) -> path prefix.
    """

    def __init__(
        self,
        next_dispatcher: Dispatcher | None = None,
        use_x_forwarded_host: bool = True,
        **domains: str,
    ) -> None:
        self.next_dispatcher = next_dispatcher if next_dispatcher is not None else Dispatcher()
        self.use_x_forwarded_host = use_x_forwarded_host
        self.domains = domains

    def prefix(self) -> str:
        """The path prefix for the current request's host ("" when none is mapped)."""
        request = serving.request
        assert request is not None
        host = request.headers.get("Host", "")
        if self.use_x_forwarded_host:
            host = request.headers.get("X-Forwarded-Host", host)
        return self.domains.get(host, "").rstrip("/")

    def find(self, app: Application, path_info: str, method: str) -> Found:
        """Dispatch ``prefix + path_info`` with the next dispatcher."""
        prefix = self.prefix()
        found = self.next_dispatcher.find(app, prefix + path_info, method)
        found.cacheable = False
        section = found.config.get("tools.staticdir.section")
        if prefix and isinstance(section, str) and section.startswith(prefix):
            # The staticdir section is the URL the client sees, without the prefix.
            found.config = {**found.config, "tools.staticdir.section": section[len(prefix) :]}
        return found

    def __call__(self, path_info: str) -> None:
        """CherryPy-style call: dispatch and set the request's handler and config."""
        request = serving.request
        assert request is not None
        _publish(self.find(request.app, path_info, request.method))


class PageHandler:
    """A handler bound to its positional and keyword arguments (CherryPy API)."""

    def __init__(self, callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.callable = callable
        self.args = args
        self.kwargs = kwargs

    def __call__(self) -> Any:
        return call_handler(self.callable, self.args, self.kwargs)


class LateParamPageHandler(PageHandler):
    """A page handler that reads ``request.params`` when called, not when built."""

    def __call__(self) -> Any:
        request = serving.request
        assert request is not None
        kwargs = {**request.params, **self.kwargs}
        return call_handler(self.callable, self.args, kwargs)


def find_with(
    dispatcher: Any, app: Application, path_info: str, method: str, request: Request
) -> Found:
    """Ask ``dispatcher`` what serves ``path_info``, whatever kind of dispatcher it is.

    A dispatcher of ours answers :meth:`Dispatcher.find` with a :class:`Found`. A
    CherryPy-style dispatcher is a callable taking the path that sets
    ``request.handler`` and ``request.config`` itself; its result is read back from the
    request and never cached (that code may answer differently each time).
    """
    find = getattr(dispatcher, "find", None)
    if find is not None:
        found: Found = find(app, path_info, method)
        return found
    # COMPAT: CherryPy's dispatcher protocol.
    dispatcher(path_info)
    page_handler = request.handler
    bare: Callable[..., Any] | None = None
    if page_handler is not None:

        def bare(*args: Any, **kwargs: Any) -> Any:
            # A CherryPy page handler holds its arguments and reads params itself.
            return page_handler()

        bare.page_handler = page_handler  # type: ignore[attr-defined]
    return Found(bare, (), dict(request.config), request.is_index, cacheable=False)


def _publish(found: Found) -> None:
    """Set the current request's handler and config from ``found`` (CherryPy's API)."""
    request = serving.request
    assert request is not None
    request.config = found.config
    request.is_index = found.is_index
    request.params.update(found.params)
    request.handler = make_handler(found)


def make_handler(found: Found) -> Callable[[], Any] | None:
    """Return a zero-argument callable for ``found`` (raises its error if any)."""
    if found.error == 404:
        return _raiser(NotFound())
    if found.error == 405:
        return _raiser(HTTPError(405))
    assert found.handler is not None
    return LateParamPageHandler(found.handler, *found.vpath)


def _raiser(exc: BaseException) -> Callable[[], Any]:
    def raise_it() -> Any:
        raise exc

    return raise_it


def call_handler(func: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    """Call ``func``; turn a signature mismatch into the right 404/400."""
    try:
        return func(*args, **kwargs)
    except TypeError:
        check_call(func, args, kwargs)
        raise


def check_call(func: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Raise 404/400 if ``args``/``kwargs`` cannot bind to ``func``'s signature.

    Missing parameters, surplus path segments and unexpected query-string
    parameters are 404 (the URL names nothing); unexpected or repeated body
    parameters are 400 (the request is malformed). Does nothing when the call
    matches, so a ``TypeError`` raised inside the handler propagates as a 500.
    """
    import inspect

    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return
    request = serving.request
    show = bool(getattr(request, "show_mismatched_params", True))
    body_params = set()
    if request is not None and request.body is not None:
        body_params = set(request.body.params)
    positional = [
        p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    has_varargs = any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values())
    has_varkw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    keyword_only = [p for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]

    bound_positional = positional[: len(args)]
    multiple = [p.name for p in bound_positional if p.name in kwargs]
    missing = [
        p.name for p in positional[len(args) :] if p.default is p.empty and p.name not in kwargs
    ]
    missing += [p.name for p in keyword_only if p.default is p.empty and p.name not in kwargs]
    if missing:
        raise HTTPError(404, f"Missing parameters: {','.join(missing)}" if show else None)
    if not has_varargs and len(args) > len(positional):
        raise HTTPError(404)  # COMPAT: CherryPy gives no detail for surplus segments.
    if multiple:
        qs_params = set(kwargs) - body_params
        status = 404 if qs_params.intersection(multiple) else 400
        raise HTTPError(
            status, f"Multiple values for parameters: {','.join(multiple)}" if show else None
        )
    if not has_varkw:
        accepted = {p.name for p in positional} | {p.name for p in keyword_only}
        extra = set(kwargs) - accepted
        if extra:
            extra_qs = sorted(extra - body_params)
            if extra_qs:
                message = f"Unexpected query string parameters: {', '.join(extra_qs)}"
                raise HTTPError(404, message if show else None)
            extra_body = sorted(extra & body_params)
            message = f"Unexpected body parameters: {', '.join(extra_body)}"
            raise HTTPError(400, message if show else None)


#: CherryPy's name for :func:`check_call`.
test_callable_spec = check_call
