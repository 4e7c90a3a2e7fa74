"""Request plans: everything about a path that can be computed once.

For each (application, path, method) the first request builds a :class:`Plan`: the
dispatch result, the merged config, the hooks of every tool switched on, the
``request.*``/``response.*`` settings, error pages and the (possibly wrapped) page
handler. Later requests for the same path reuse it, so the per-request work is
parsing the request and running the hooks, never walking the tree or merging
dicts again.

# PERF: plans are cached per application in a bounded dict, invalidated whenever
any config changes (see :func:`framework.core.config.generation`). Paths that a
custom ``_cp_dispatch`` resolved are never cached: that code may answer
differently each time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from framework._globals import tools as toolbox
from framework.context import current
from framework.core.tools import Toolbox
from framework.dispatch import Found, check_call
from framework.errors import HTTPError, NotFound
from framework.hooks import HookMap

__all__ = ["REQUEST_NAMESPACES", "Plan"]

HandlerFactory = Callable[[Callable[..., Any], dict[str, Any]], Callable[..., Any]]

#: Config namespaces of your own, applied per request: ``handler(key, value)`` runs at
#: the start of every request whose path config has ``<namespace>.<key>`` (after
#: dispatch, before any hook), so it can read and change ``framework.request``. This is
#: CherryPy's ``Request.namespaces`` (``app.request_class.namespaces['raw'] = fn``).
#: A :class:`~framework.core.tools.Toolbox` there is a toolbox of your own: its tools
#: are switched on by ``<namespace>.<tool>.on`` and set up with the plan.
REQUEST_NAMESPACES: dict[str, Callable[[str, Any], Any] | Toolbox] = {}


class Plan:
    """The cached, request-independent part of serving one path.

    A plan is also the default ``request.handler``: calling it calls the page
    handler with the path's positional arguments and the request's parameters.
    """

    __slots__ = (
        "_wrappers",
        "allow",
        "body_attrs",
        "config",
        "customized",
        "error",
        "error_page",
        "error_response",
        "handler",
        "hooks",
        "is_index",
        "params",
        "path_info",
        "raw_handler",
        "request_attrs",
        "request_setups",
        "response_attrs",
        "response_headers",
        "result_filter",
        "toolmaps",
        "vpath",
    )

    def __init__(self, found: Found, path_info: str) -> None:
        self.path_info = path_info
        self.raw_handler = found.handler
        self.handler: Callable[..., Any] | None = found.handler
        self.vpath = found.vpath
        self.is_index = found.is_index
        self.params = found.params
        self.config = found.config
        self.allow = found.allow
        self.error = found.error
        self.hooks = HookMap()
        self.request_attrs: list[tuple[str, Any]] = []
        self.body_attrs: list[tuple[str, Any]] = []
        self.response_attrs: list[tuple[str, Any]] = []
        self.response_headers: list[tuple[str, Any]] = []
        if found.allow is not None:
            self.response_headers.append(("Allow", found.allow))
        self.error_page: dict[str, Any] = {}
        self.error_response: Callable[[], None] | None = None
        #: Applied to what ``request.handler`` returns before it becomes the response
        #: body (the ``encode`` tool: text to bytes before ``before_finalize``).
        self.result_filter: Callable[[Any], Any] | None = None
        self.request_setups: list[Callable[[], None]] = []
        if found.setup is not None:
            self.request_setups.append(found.setup)
        if found.error == 405:
            # Known now: the method is refused without reading the body (a verb the
            # resource lacks is a 405 even when the request's body is missing).
            self.request_attrs.append(("process_request_body", False))
        self.toolmaps: dict[str, dict[str, dict[str, Any]]] = {}
        self._wrappers: list[tuple[int, HandlerFactory, dict[str, Any]]] = []
        self._apply_config()

    # -- building -----------------------------------------------------------------
    def _apply_config(self) -> None:
        """Sort the path's config keys by namespace, then set up the tools switched on."""
        self.toolmaps = {"tools": {}}
        for key, value in self.config.items():
            namespace, _, rest = key.partition(".")
            if rest:
                apply = _NAMESPACES.get(namespace)
                if apply is not None:
                    apply(self, rest, value)
                elif namespace in REQUEST_NAMESPACES:
                    custom = REQUEST_NAMESPACES[namespace]
                    if isinstance(custom, Toolbox):
                        # A toolbox of your own: its tools are switched on as
                        # <namespace>.<tool>.on, like the default ones.
                        name, _, arg = rest.partition(".")
                        self.toolmaps.setdefault(namespace, {}).setdefault(name, {})[arg] = value
                    else:
                        self.request_setups.append(functools.partial(custom, rest, value))
        self._setup_tools(self.toolmaps["tools"], toolbox)
        for namespace, toolmap in self.toolmaps.items():
            box = REQUEST_NAMESPACES.get(namespace)
            if namespace != "tools" and isinstance(box, Toolbox):
                self._setup_tools(toolmap, box)
        for _, factory, conf in sorted(self._wrappers, key=lambda item: item[0]):
            assert self.handler is not None
            self.handler = factory(self.handler, conf)
        self.customized = bool(
            self.error_page
            or self.error_response is not None
            or self.request_attrs
            or self.response_attrs
            or self.response_headers
            or self.request_setups
        )

    def _tools_key(self, rest: str, value: Any) -> None:
        name, _, arg = rest.partition(".")
        self.toolmaps["tools"].setdefault(name, {})[arg] = value

    def _request_key(self, rest: str, value: Any) -> None:
        if rest.startswith("body."):
            self.body_attrs.append((rest[5:], value))
        else:
            self.request_attrs.append((rest, value))

    def _response_key(self, rest: str, value: Any) -> None:
        if rest.startswith("headers."):
            self.response_headers.append((rest[8:], value))
        else:
            self.response_attrs.append((rest, value))

    def _hooks_key(self, rest: str, value: Any) -> None:
        for callback in value if isinstance(value, list | tuple) else [value]:
            self.hooks.attach(rest, callback)

    def _error_page_key(self, rest: str, value: Any) -> None:
        self.error_page[rest] = value

    def _setup_tools(self, toolmap: dict[str, dict[str, Any]], box: Toolbox) -> None:
        """Let every tool of ``box`` switched on attach itself to this plan.

        Raises:
            LookupError: config switches on a tool the toolbox does not have.
        """
        for name, conf in toolmap.items():
            if not conf.get("on"):
                continue
            tool = box.get(name)
            if tool is None:
                setup = getattr(vars(box).get(name), "_setup", None)
                if callable(setup):
                    # COMPAT: CherryPy takes any object with a _setup() method as a
                    # tool (it need not be a Tool); it sets itself up per request.
                    self.add_request_setup(setup)
                    continue
                namespace = box.namespace
                raise LookupError(
                    f"Config switches on an unknown tool {name!r} ({namespace}.{name}.on); "
                    f"known tools: {', '.join(box.names())}."
                )
            tool.setup_plan(self, {k: v for k, v in conf.items() if k != "on"})

    def add_request_setup(self, setup: Callable[[], None]) -> None:
        """Run ``setup()`` at the start of every request on this path, before any hook.

        For tools that must decide per request (CherryPy's ``_setup`` protocol); they
        attach to ``request.hooks``, which then become the request's own copy.
        """
        self.request_setups.append(setup)

    def wrap_handler(self, factory: HandlerFactory, conf: dict[str, Any], priority: int) -> None:
        """Wrap the page handler: ``factory(inner, conf)`` returns the new handler.

        Wrappers are applied in priority order, lowest first (innermost).
        """
        self._wrappers.append((priority, factory, conf))

    # -- serving ------------------------------------------------------------------
    @property
    def callable(self) -> Callable[..., Any] | None:
        """The page handler (CherryPy's ``PageHandler.callable``)."""
        return self.raw_handler

    @property
    def args(self) -> tuple[str, ...]:
        """Positional arguments from the path (CherryPy's ``PageHandler.args``)."""
        return self.vpath

    def __call__(self) -> Any:
        """Call the page handler with the current request's parameters."""
        handler = self.handler
        if handler is None:
            if self.error == 405:
                raise HTTPError(405)
            raise NotFound()
        pair = current()
        assert pair is not None
        params = pair[0].params
        try:
            return handler(*self.vpath, **params)
        except TypeError:
            assert self.raw_handler is not None
            check_call(self.raw_handler, self.vpath, params)
            raise

    def __repr__(self) -> str:
        name = getattr(self.raw_handler, "__qualname__", None)
        return f"<Plan {self.path_info!r} -> {name}>"


#: How each config namespace applies to a plan (other namespaces act elsewhere).
_NAMESPACES: dict[str, Callable[[Plan, str, Any], None]] = {
    "tools": Plan._tools_key,
    "request": Plan._request_key,
    "response": Plan._response_key,
    "hooks": Plan._hooks_key,
    "error_page": Plan._error_page_key,
}
