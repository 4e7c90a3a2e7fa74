"""Tools: named, configurable bundles of hooks, and the toolbox that names them.

A :class:`Tool` wraps a callable and the hook point it runs at. It can be switched
on for a path three ways, which all end up as ``tools.<name>.*`` keys in the merged
config: in config (``tools.gzip.on = True``, arguments as ``tools.gzip.level``), as a
decorator (``@tools.gzip(level=6)``) or in ``_cp_config``.

There is one way a tool takes part in a request: when the request plan for a path is
built, :meth:`Tool.setup_plan` receives the plan and the tool's config arguments and
attaches what it needs (a hook, a handler wrapper, an error response).

# PERF: that happens once per (application, path), not per request.

CherryPy's tools set themselves up per request through ``_setup()``; tools written
that way (subclasses of ``cherrypy.Tool`` overriding ``_setup``) run through the
adapter in :mod:`framework.compat.tools`. The default toolbox (one line per tool) is
the table in :mod:`framework.toolbox`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from framework.context import serving
from framework.core.config import HandlerConfig

if TYPE_CHECKING:
    from framework.core.plan import Plan

__all__ = ["ErrorTool", "HandlerTool", "HandlerWrapperTool", "Tool", "Toolbox"]

F = TypeVar("F", bound=Callable[..., Any])


class Tool:
    """A callable attached to a hook point when switched on by config.

    Args:
        point: the hook point (``before_handler``, ``before_finalize``...).
        callable: the function to run; config arguments become its keywords.
        name: the tool's name in the toolbox (set on assignment to a toolbox).
        priority: order at the hook point (lower first; default 50).
    """

    namespace = "tools"

    def __init__(
        self,
        point: str,
        callable: Callable[..., Any],
        name: str | None = None,
        priority: int = 50,
    ) -> None:
        self._point = point
        self.callable = callable
        self._name = name or ""
        self._priority = priority
        self.__doc__ = getattr(callable, "__doc__", None)

    @property
    def on(self) -> bool:
        """Tools are switched on by config, never by attribute."""
        raise AttributeError(
            f"Use config to switch a tool on: 'tools.{self._name}.on': True, "
            f"or the decorator @tools.{self._name}()."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """Return a decorator that switches this tool on for a handler or class.

        Raises:
            TypeError: if positional arguments are given.
        """
        if args:
            raise TypeError(
                f"The {self._name!r} tool does not accept positional arguments; "
                "use keyword arguments."
            )
        prefix = f"{self.namespace}.{self._name}."

        def decorator(target: F) -> F:
            conf = vars(target).get("_cp_config") if hasattr(target, "__dict__") else None
            if conf is None:
                conf = HandlerConfig(getattr(target, "_cp_config", None) or {})
                target._cp_config = conf  # type: ignore[attr-defined]
            conf[prefix + "on"] = True
            for key, value in kwargs.items():
                conf[prefix + key] = value
            return target

        return decorator

    def priority_for(self, conf: dict[str, Any]) -> int:
        """Take ``priority`` out of ``conf``; default: the callable's, else the tool's."""
        priority = conf.pop("priority", None)
        if priority is None:
            priority = getattr(self.callable, "priority", self._priority)
        return int(priority)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach this tool to a request plan with its config arguments."""
        priority = self.priority_for(conf)
        plan.hooks.attach(self._point, self.callable, priority=priority, **conf)

    def arguments(self) -> frozenset[str] | None:
        """The config arguments this tool takes (``on`` and ``priority`` aside).

        The config checker uses it to flag a misspelled ``tools.<name>.<arg>``. By
        default: the keyword parameters of the callable; ``None`` (anything goes)
        when it takes ``**kwargs`` or has no signature.
        """
        import inspect

        try:
            params = inspect.signature(self.callable).parameters.values()
        except (TypeError, ValueError):
            return None
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return None
        return frozenset(
            p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )


class HandlerTool(Tool):
    """A tool that may answer the request itself.

    When its callable returns true, the page handler is skipped
    (``request.handler = None``). :meth:`handler` turns the tool into a page handler.
    """

    def __init__(self, callable: Callable[..., Any], name: str | None = None) -> None:
        super().__init__("before_handler", callable, name)

    def handler(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """Return an exposed page handler that runs this tool and 404s if it declines.

        Config arguments of the tool for the request's path override ``kwargs``.
        """

        def handle_func(*a: Any, **kw: Any) -> Any:
            request = serving.request
            response = serving.response
            assert request is not None and response is not None
            conf = dict(kwargs)
            conf.update(request.toolmaps.get(self.namespace, {}).get(self._name, {}))
            conf.pop("on", None)
            if not self.callable(*args, **conf):
                from framework.errors import NotFound

                raise NotFound()
            return response.body

        handle_func.exposed = True  # type: ignore[attr-defined]
        return handle_func

    def _wrapper(self, **kwargs: Any) -> None:
        if self.callable(**kwargs):
            request = serving.request
            assert request is not None
            request.handler = None

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach the short-circuiting wrapper at ``before_handler``."""
        priority = self.priority_for(conf)
        plan.hooks.attach(self._point, self._wrapper, priority=priority, **conf)


class HandlerWrapperTool(Tool):
    """A tool that wraps the page handler once, when the plan is built.

    ``callable(inner, conf)`` receives the inner handler and the tool's config
    arguments and returns the wrapping handler (see :mod:`framework.lib.jsontools`).
    Paths without a handler are left alone.
    """

    def __init__(
        self, callable: Callable[..., Any], name: str | None = None, priority: int = 50
    ) -> None:
        super().__init__("before_handler", callable, name, priority)

    def arguments(self) -> frozenset[str] | None:
        """Unknown: the wrapper reads its arguments from a dict."""
        return None

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Wrap ``plan.handler`` with this tool's wrapper."""
        if plan.handler is None:
            return
        priority = self.priority_for(conf)
        plan.wrap_handler(self.callable, conf, priority)


class ErrorTool(Tool):
    """A tool that replaces ``request.error_response`` (how errors are rendered)."""

    def __init__(self, callable: Callable[..., Any], name: str | None = None) -> None:
        super().__init__("before_error_response", callable, name)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Make the plan's error response call this tool."""
        conf.pop("priority", None)
        callback = self.callable

        def error_response() -> None:
            callback(**conf)

        plan.error_response = error_response


class Toolbox:
    """A namespace of tools; assigning a tool names it (``tools.mine = Tool(...)``)."""

    #: The class :meth:`register` makes tools of.
    tool_class: type[Tool] = Tool

    def __init__(self, namespace: str = "tools") -> None:
        object.__setattr__(self, "namespace", namespace)
        object.__setattr__(self, "_lazy", {})

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Tool):
            if value._name == "":
                value._name = name
            value.namespace = self.namespace
        self._lazy.pop(name, None)
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called for a name that is not set yet: a lazy tool is built here.
        lazy = self.__dict__.get("_lazy")
        if lazy and name in lazy:
            setattr(self, name, lazy[name]())
            return self.__dict__[name]
        raise AttributeError(
            f"No tool named {name!r} in the {self.namespace!r} toolbox. Register one with "
            f"{self.namespace}.{name} = Tool('before_handler', func)."
        )

    def lazy(self, name: str, build: Callable[[], Tool]) -> None:
        """Register the tool ``name``, made by ``build()`` the first time it is looked up.

        PERF: the built-in tools' modules are imported when a config or decorator first
        names the tool, not by ``import framework``.
        """
        if name not in self.__dict__:
            self._lazy[name] = build

    def get(self, name: str) -> Tool | None:
        """Return the tool called ``name`` or ``None``."""
        value = vars(self).get(name)
        if value is None and name in self._lazy:
            value = getattr(self, name)
        return value if isinstance(value, Tool) else None

    def names(self) -> list[str]:
        """Return the registered tool names (lazy ones included, without building them)."""
        built = {name for name, value in vars(self).items() if isinstance(value, Tool)}
        return sorted(built | set(self._lazy))

    def register(
        self, point: str, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorate a function to register it as a tool named after the function."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            tool = self.tool_class(point, func, **kwargs)
            setattr(self, kwargs.get("name", func.__name__), tool)
            return func

        return decorator
