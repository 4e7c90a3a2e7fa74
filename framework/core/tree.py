"""The mount table: routes each WSGI request to the application at the longest match.

:class:`Tree` maps script names (``""``, ``"/blog"``) to applications; calling it
serves a WSGI request by finding the application mounted at the longest script name
that prefixes the path. Foreign WSGI apps can be grafted beside ours. The global
instance is ``framework.tree`` (:mod:`framework._globals`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from framework.context import serving

if TYPE_CHECKING:
    from framework.core.application import Application

__all__ = ["Tree", "bare_response"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_NOTHING_MOUNTED = "Nothing is mounted at this path."


def bare_response(start_response: Callable[..., Any], status: str, message: str) -> list[bytes]:
    """Answer with a short plain-text ``message`` and no pipeline at all."""
    body = message.encode("utf-8")
    start_response(
        status, [("Content-Type", "text/plain;charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


class Tree:
    """The mount table: routes a request to the app at the longest script name."""

    def __init__(self) -> None:
        self.apps: dict[str, Any] = {}

    def mount(self, root: Any, script_name: str = "", config: Any = None) -> Application:
        """Mount ``root`` (an object or an ``Application``) at ``script_name``.

        Raises:
            TypeError: if ``script_name`` is not a string.
            ValueError: if ``script_name`` ends with a slash, or ``root`` is an
                Application mounted elsewhere.
        """
        # Imported here: the application pulls in the whole pipeline, and the
        # singletons module (which builds the global Tree) must stay a leaf.
        from framework.core.application import Application

        if script_name is None:
            raise TypeError("script_name must be a string; use '' for the site root.")
        if script_name.endswith("/") and script_name != "/":
            raise ValueError(
                f"script_name {script_name!r} must not end with a slash; "
                f"mount at {script_name.rstrip('/')!r} instead."
            )
        script_name = script_name.rstrip("/")
        if isinstance(root, Application):
            app = root
            if script_name != "" and script_name != app.script_name:
                raise ValueError(
                    "Cannot mount an Application at a different script_name than its own."
                )
            script_name = app.script_name
            if config:
                app.merge(config)
        else:
            app = Application(root, script_name, config)
        self.apps[script_name] = app
        return app

    def graft(self, wsgi_callable: WSGIApp, script_name: str = "") -> None:
        """Mount any WSGI callable at ``script_name``."""
        self.apps[script_name.rstrip("/")] = wsgi_callable

    def script_name(self, path: str | None = None) -> str | None:
        """Return the script name of the app that serves ``path`` (or ``None``)."""
        if path is None:
            request = serving.request
            if request is None:
                return None
            path = request.script_name + request.path_info
        apps = self.apps
        while True:
            if path in apps:
                return path
            if path == "":
                return None
            path = path[: path.rfind("/")]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Route a WSGI request to the mounted app (404 if none)."""
        script = environ.get("SCRIPT_NAME", "")
        path = script + environ.get("PATH_INFO", "")
        name = self.script_name(path or "/")
        if name is None:
            return bare_response(start_response, "404 Not Found", _NOTHING_MOUNTED)
        app = self.apps[name]
        if name != script:
            environ = dict(environ)
            environ["SCRIPT_NAME"] = name
            environ["PATH_INFO"] = path[len(name) :]
        return app(environ, start_response)
