"""WSGI composition: an application's middleware pipeline, and virtual hosts by ``Host``.

- :class:`Pipeline` is ``app.wsgiapp``: WSGI middleware wrapped around one application,
  from code (``app.wsgiapp.pipeline.append(("name", Middleware))``) or from the app's
  ``[/]`` config (``wsgi.pipeline = [("name", Middleware)]``, ``wsgi.name.arg = value``
  for the middleware's keyword arguments). The first entry is the outermost.
- :class:`VirtualHost` is a WSGI callable that hands each request to the application
  registered for its ``Host`` (``X-Forwarded-Host`` first, by default), else to a default
  one: ``framework.tree.graft(VirtualHost(default, {"www.example.com": app}))``.

These are CherryPy's ``cherrypy._cpwsgi.CPWSGIApp`` and ``cherrypy._cpwsgi.VirtualHost``
(the dispatcher of the same name, :func:`framework.dispatch.VirtualHost`, maps hosts to
paths inside one application instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["Pipeline", "VirtualHost"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Middleware = Callable[..., WSGIApp]


class Pipeline:
    """WSGI middleware around one application (CherryPy's ``CPWSGIApp``).

    The nested callable is built on the first request (so config merged after the
    app was created still counts) and reused after that.

    Args:
        app: the innermost WSGI callable (the application's own pipeline).
        pipeline: ``(name, middleware)`` pairs, outermost first; each middleware is
            called as ``middleware(next_app, **config[name])``.
    """

    def __init__(self, app: WSGIApp, pipeline: Iterable[tuple[str, Middleware]] = ()) -> None:
        self.app = app
        self.pipeline: list[tuple[str, Middleware]] = list(pipeline)
        self.config: dict[str, dict[str, Any]] = {}
        self.head: WSGIApp | None = None

    def namespace_handler(self, key: str, value: Any) -> None:
        """Apply one ``wsgi.*`` config entry (the ``wsgi.`` prefix removed).

        ``pipeline`` extends the pipeline; ``<name>.<arg>`` is a keyword argument for
        the middleware named ``name``.

        Raises:
            ValueError: a key that is neither ``pipeline`` nor ``<name>.<arg>``.
        """
        if key == "pipeline":
            self.pipeline.extend(value)
        else:
            name, dot, arg = key.partition(".")
            if not dot:
                raise ValueError(f"wsgi.{key}: use wsgi.pipeline or wsgi.<name>.<argument>")
            self.config.setdefault(name, {})[arg] = value
        self.head = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Serve a request through the middleware, outermost first."""
        head = self.head
        if head is None:
            head = self.app
            for name, middleware in reversed(self.pipeline):
                head = middleware(head, **self.config.get(name, {}))
            self.head = head
        return head(environ, start_response)


class VirtualHost:
    """Route each request to the WSGI application registered for its host name.

    Args:
        default: the application for hosts not in ``domains``.
        domains: host name (as sent, port included if any) -> WSGI application.
        use_x_forwarded_host: read ``X-Forwarded-Host`` before ``Host`` (behind a
            proxy). Either header only picks among the applications you registered.
    """

    def __init__(
        self,
        default: WSGIApp,
        domains: Mapping[str, WSGIApp] | None = None,
        use_x_forwarded_host: bool = True,
    ) -> None:
        self.default = default
        self.domains = dict(domains or {})
        self.use_x_forwarded_host = use_x_forwarded_host

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Hand the request to the application for its host."""
        domain = environ.get("HTTP_HOST", "")
        if self.use_x_forwarded_host:
            domain = environ.get("HTTP_X_FORWARDED_HOST", domain)
        app = self.domains.get(domain, self.default)
        return app(environ, start_response)
