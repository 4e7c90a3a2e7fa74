"""RoutesDispatcher: URL patterns instead of an object tree (as CherryPy's).

Map URL patterns to controllers with the `Routes <https://routes.readthedocs.io>`_
library (an optional extra: ``pip install 'cherrycli[routes]'``)::

    d = framework.dispatch.RoutesDispatcher()
    d.connect("city", "/cities/:name", controller=Cities(), action="show")
    d.connect("main", ":action", controller=Pages())
    framework.tree.mount(None, config={"/": {"request.dispatch": d}})

A matched route calls ``getattr(controller, action)`` (the controller itself when the
route names no action; a class is instantiated) with the route's variables as keyword
arguments, next to the query string and body parameters; the handlers need not be
exposed. No match, or a controller without that action, is a 404. Config is merged as
CherryPy merges it: global, the root's ``_cp_config``, the app's ``[/]`` and path
sections, the controller's and the handler's ``_cp_config``, then the section of the
full path.

Routes' own ``request_config()`` (what ``routes.url_for`` reads) is set for every
request, as CherryPy sets it. Matching happens once per path and method: the plan is
cached, unless a route has conditions beyond the method (a host, a function), which
depend on more of the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from framework._globals import config as global_config
from framework.context import serving
from framework.dispatch import Found, LateParamPageHandler
from framework.errors import HTTPRedirect, NotFound

if TYPE_CHECKING:
    from framework.core.application import Application

__all__ = ["RoutesDispatcher"]

_EXTRA = (
    "RoutesDispatcher needs the Routes library, an optional extra: pip install 'cherrycli[routes]'"
)


def _routes() -> Any:
    try:
        import routes
    except ImportError as exc:
        raise ModuleNotFoundError(_EXTRA, name="routes") from exc
    return routes


class RoutesDispatcher:
    """Dispatch with a ``routes.Mapper``: patterns connected to controllers.

    Args:
        full_result: also pass ``controller`` and ``action`` to the handler.
        **mapper_options: passed to ``routes.Mapper``.

    Raises:
        ModuleNotFoundError: the Routes library is not installed (names the extra).
    """

    def __init__(self, full_result: bool = False, **mapper_options: Any) -> None:
        routes = _routes()
        self.full_result = full_result
        self.controllers: dict[str, Any] = {}
        self.mapper = routes.Mapper(**mapper_options)
        self.mapper.controller_scan = self.controllers.keys

    def connect(self, name: str, route: str, controller: Any, **kwargs: Any) -> None:
        """Map ``route`` (a Routes pattern) to ``controller``, under the name ``name``."""
        self.controllers[name] = controller
        self.mapper.connect(name, route, controller=name, **kwargs)

    def redirect(self, url: str) -> None:
        """Routes' redirect hook.

        Raises:
            HTTPRedirect: always, to ``url``.
        """
        raise HTTPRedirect(url)

    # -- dispatching ---------------------------------------------------------------------
    def find(self, app: Application, path_info: str, method: str) -> Found:
        """Match ``path_info``; return the handler, its parameters and its merged config."""
        request = serving.request
        environ = dict(request.wsgi_environ) if request is not None else {}
        environ["REQUEST_METHOD"] = method
        result = self.mapper.match(path_info, environ)
        config = self._base_config(app, path_info)
        handler = self._handler(result, config)
        last = path_info.rstrip("/").rpartition("/")[2]
        if last:
            trail = path_info.rstrip("/")
            _merge(config, app.config.get(trail, {}), trail)
        params = dict(result or {})
        if not self.full_result:
            params.pop("controller", None)
            params.pop("action", None)
        found = Found(handler, (), config, None, params, self._cacheable(), error=0)
        if handler is None:
            found.error = 404
        found.setup = self._binder(result)
        return found

    def _base_config(self, app: Application, path_info: str) -> dict[str, Any]:
        """Global config, the root's, the app's ``[/]`` and the sections above the last atom."""
        config = dict(global_config)
        root_conf = getattr(app.root, "_cp_config", None)
        if root_conf:
            _merge(config, root_conf, "/")
        _merge(config, app.config.get("/", {}), "/")
        curpath = ""
        for atom in [a for a in path_info.split("/") if a][:-1]:
            curpath += "/" + atom
            _merge(config, app.config.get(curpath, {}), curpath)
        return config

    def _handler(self, result: dict[str, Any] | None, config: dict[str, Any]) -> Any:
        if not result:
            return None
        name = result.get("controller")
        controller = self.controllers.get(name, name) if isinstance(name, str) else name
        if isinstance(controller, type):
            controller = controller()
        if not controller or isinstance(controller, str):
            return None
        _merge(config, getattr(controller, "_cp_config", None) or {}, "")
        action = result.get("action")
        if action is None:
            return controller
        handler = getattr(controller, str(action), None)
        if handler is not None:
            _merge(config, getattr(handler, "_cp_config", None) or {}, "")
        return handler

    def _cacheable(self) -> bool:
        """False when a route's conditions read more of the request than the method."""
        if getattr(self.mapper, "sub_domains", False):
            return False
        return all(
            set((getattr(route, "conditions", None) or {}).keys()) <= {"method"}
            for route in self.mapper.matchlist
        )

    def _bind(self, environ: dict[str, Any], result: dict[str, Any] | None) -> None:
        """Fill Routes' ``request_config()`` for this thread (what ``url_for`` reads)."""
        config = _routes().request_config()
        # Without a mapper, assigning environ records host and protocol without
        # matching the path again (the match is known).
        if hasattr(config, "mapper"):
            del config.mapper
        config.environ = environ
        config.mapper = self.mapper
        config.mapper_dict = result
        config.redirect = self.redirect
        self.mapper.environ = environ

    def _binder(self, result: dict[str, Any] | None) -> Callable[[], None]:
        """The per-request step of the plan: Routes' request config for this request."""

        def bind() -> None:
            request = serving.request
            assert request is not None
            self._bind(request.wsgi_environ, result)

        return bind

    def __call__(self, path_info: str) -> None:
        """CherryPy-style call: set the current request's handler and config."""
        request = serving.request
        assert request is not None
        found = self.find(request.app, path_info, request.method)
        request.config = found.config
        request.params.update(found.params)
        request.handler = (
            LateParamPageHandler(found.handler) if found.handler is not None else NotFound()
        )

    def find_handler(self, path_info: str) -> Any:
        """CherryPy's API: the handler for ``path_info`` (config and params set too)."""
        request = serving.request
        assert request is not None
        found = self.find(request.app, path_info, request.method)
        request.config = found.config
        request.params.update(found.params)
        return found.handler


def _merge(config: dict[str, Any], section: dict[str, Any], path: str) -> None:
    if "tools.staticdir.dir" in section:
        config["tools.staticdir.section"] = path or "/"
    config.update(section)
