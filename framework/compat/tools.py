"""CherryPy's tool classes (``cherrypy.Tool``, ``cherrypy._cptools``), on the native tools.

Cherry's tools take part in a request once, when the request plan for a path is built
(:meth:`framework.core.tools.Tool.setup_plan`). CherryPy's tools set themselves up on
every request through ``_setup()``, reading their arguments with ``_merged_args()``, and
applications written for CherryPy subclass them and override ``_setup``. This module is
the one adapter between the two:

- the classes here are the native ones plus CherryPy's per-request API (``_setup``,
  ``_merged_args``, CherryPy's :class:`HandlerWrapperTool` signature);
- a tool whose class overrides ``_setup`` asks the plan to call it at the start of each
  request (:meth:`~framework.core.plan.Plan.add_request_setup`); one that does not is
  set up once, natively, at no per-request cost.

``framework.compat`` serves these classes as ``cherrypy.Tool``, ``cherrypy.HandlerTool``,
``cherrypy.HandlerWrapperTool``, ``cherrypy.ErrorTool`` and ``cherrypy._cptools``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from framework._globals import tools as default_toolbox
from framework.context import serving
from framework.core import tools as native
from framework.lib.xmlrpcutil import XMLRPCController

if TYPE_CHECKING:
    from framework.core.plan import Plan

__all__ = [
    "ErrorTool",
    "HandlerTool",
    "HandlerWrapperTool",
    "Tool",
    "Toolbox",
    "XMLRPCController",
    "default_toolbox",
]


class _PerRequest(native.Tool):
    """CherryPy's per-request tool protocol, mixed into each native tool class."""

    def _merged_args(self, d: dict[str, Any] | None = None) -> dict[str, Any]:
        """This tool's config arguments for the current request, over ``d``."""
        args = dict(d or {})
        request = serving.request
        if request is not None:
            args.update(request.toolmaps.get(self.namespace, {}).get(self._name, {}))
        args.pop("on", None)
        return args

    def _setup(self) -> None:
        """Attach to the current request (CherryPy's per-request setup)."""
        raise NotImplementedError

    def _overrides_setup(self) -> bool:
        # The base _setup of each class below is the native setup done per request;
        # only an application's own override needs to run per request.
        return type(self)._setup not in _BASE_SETUPS

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Set up once for the plan natively, or per request if ``_setup`` is overridden."""
        if self._overrides_setup():
            plan.add_request_setup(self._setup)
        else:
            super().setup_plan(plan, conf)


class Tool(_PerRequest):
    """CherryPy's ``Tool``: a callable attached to a hook point by config."""

    def _setup(self) -> None:
        request = serving.request
        assert request is not None
        conf = self._merged_args()
        priority = self.priority_for(conf)
        request.hooks.attach(self._point, self.callable, priority=priority, **conf)


class HandlerTool(_PerRequest, native.HandlerTool):
    """CherryPy's ``HandlerTool``: may answer the request itself, skipping the handler."""

    def _setup(self) -> None:
        request = serving.request
        assert request is not None
        conf = self._merged_args()
        priority = self.priority_for(conf)
        request.hooks.attach(self._point, self._wrapper, priority=priority, **conf)


class HandlerWrapperTool(Tool):
    """CherryPy's ``HandlerWrapperTool``: wraps ``request.handler`` on each request.

    ``newhandler(next_handler, *args, **kwargs)`` is called instead of the page handler
    and calls ``next_handler`` itself. (The native
    :class:`framework.core.tools.HandlerWrapperTool` wraps once per path instead.)

    Args:
        newhandler: the wrapping function.
        point: the hook point where the wrapping happens.
        name: the tool's name (set when assigned to a toolbox).
        priority: order at the hook point.
    """

    def __init__(
        self,
        newhandler: Callable[..., Any],
        point: str = "before_handler",
        name: str | None = None,
        priority: int = 50,
    ) -> None:
        super().__init__(point, self._wrap_handler, name, priority)
        self.newhandler = newhandler
        self.__doc__ = getattr(newhandler, "__doc__", None)

    def _wrap_handler(self, *args: Any, **kwargs: Any) -> None:
        request = serving.request
        assert request is not None
        inner = request.handler
        newhandler = self.newhandler

        def wrap(*args: Any, **kwargs: Any) -> Any:
            return newhandler(inner, *args, **kwargs)

        request.handler = wrap


class ErrorTool(_PerRequest, native.ErrorTool):
    """CherryPy's ``ErrorTool``: replaces ``request.error_response``."""

    def _setup(self) -> None:
        request = serving.request
        assert request is not None
        conf = self._merged_args()
        conf.pop("priority", None)
        callback = self.callable
        request.error_response = lambda: callback(**conf)


_BASE_SETUPS = frozenset({Tool._setup, HandlerTool._setup, ErrorTool._setup})


class Toolbox(native.Toolbox):
    """CherryPy's ``Toolbox``: :meth:`register` makes ``cherrypy.Tool`` objects."""

    tool_class = Tool


def adopt_default_toolbox() -> None:
    """Make the default toolbox (``cherrypy.tools``) CherryPy's :class:`Toolbox`.

    # COMPAT: ``@cherrypy.tools.register(...)`` must give a ``cherrypy.Tool``. The
    toolbox object stays the one the framework reads (only its class changes), and
    the tools it makes still set up natively unless a subclass overrides ``_setup``.
    """
    default_toolbox.__class__ = Toolbox


def restore_default_toolbox() -> None:
    """Undo :func:`adopt_default_toolbox` (the framework's own ``Toolbox`` again)."""
    default_toolbox.__class__ = native.Toolbox
