"""The application the error-handling tests drive."""

from __future__ import annotations

from typing import Any

import framework
from framework.errors import HTTPError, HTTPRedirect, InternalRedirect, NotFound
from framework.testing import Client


class Root:
    @framework.expose
    def index(self) -> str:
        return "home"

    @framework.expose
    def error(self, code: str = "500", message: str | None = None) -> str:
        raise HTTPError(int(code), message)

    @framework.expose
    def custom_reason(self) -> str:
        raise HTTPError("418 Short And Stout")

    @framework.expose
    def notfound(self) -> str:
        raise NotFound()

    @framework.expose
    def notfound_path(self) -> str:
        raise NotFound("/elsewhere")

    @framework.expose
    def redirect(self, to: str = "/target", status: str = "") -> str:
        raise HTTPRedirect(to, int(status) if status else None)

    @framework.expose
    def redirect_many(self) -> str:
        raise HTTPRedirect(["/one", "/two"], 300)

    @framework.expose
    def not_modified(self) -> str:
        raise HTTPRedirect("/x", 304)

    @framework.expose
    def use_proxy(self) -> str:
        raise HTTPRedirect("/proxy", 305)

    @framework.expose
    def odd_redirect(self) -> str:
        raise HTTPRedirect("/odd", 399)

    @framework.expose
    def target(self, **kwargs: Any) -> str:
        request = framework.request
        prev = request.prev.path_info if request.prev is not None else None
        return f"target {request.method} {sorted(kwargs.items())} prev={prev}"

    @framework.expose
    def internal(self, to: str = "/target?x=1") -> str:
        raise InternalRedirect(to)

    @framework.expose
    def internal_qs(self) -> str:
        raise InternalRedirect("target", "y=2")

    @framework.expose
    def loop(self) -> str:
        raise InternalRedirect("/loop")

    @framework.expose
    def crash(self) -> str:
        raise ValueError("secret boom")

    @framework.expose
    def header(self, value: str) -> str:
        framework.response.headers["X-Echo"] = value
        return "ok"

    @framework.expose
    def bad_status(self, status: str) -> str:
        framework.response.status = status
        return "ok"

    @framework.expose
    def handled(self) -> str:
        with HTTPError.handle(KeyError, 404):
            raise KeyError("no such item")
        return "unreachable"

    @framework.expose
    def params(self, **kwargs: Any) -> str:
        return repr(sorted(kwargs))


def production(client: Client) -> Client:
    """Switch the app served by ``client`` to production settings (no tracebacks)."""
    framework.config.update({"request.show_tracebacks": False})
    return client
