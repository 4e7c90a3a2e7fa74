"""framework.wsgi: an application's middleware pipeline, and the Host-based router."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import framework
from framework.testing import Client
from framework.wsgi import Pipeline, VirtualHost


def text_app(text: str) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text.encode()]

    return app


class Suffix:
    """Middleware appending ``text`` to every chunk."""

    def __init__(self, app: Callable[..., Iterable[bytes]], text: str = "!") -> None:
        self.app, self.text = app, text

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return [chunk + self.text.encode() for chunk in self.app(environ, start_response)]


class Root:
    @framework.expose
    def index(self) -> str:
        return "root"


def test_pipeline_wraps_first_entry_outermost_with_its_config() -> None:
    pipeline = Pipeline(text_app("x"), [("a", Suffix), ("b", Suffix)])
    pipeline.config = {"a": {"text": "A"}, "b": {"text": "B"}}
    assert Client(pipeline).get("/").text == "xBA"


def test_wsgi_config_namespace_extends_the_apps_pipeline() -> None:
    app = framework.Application(Root())
    app.wsgiapp.pipeline.append(("first", Suffix))
    app.merge({"/": {"wsgi.pipeline": [("second", Suffix)], "wsgi.second.text": "?"}})
    assert Client(app).get("/").text == "root?!"


def test_an_app_without_middleware_serves_directly() -> None:
    app = framework.Application(Root())
    assert (app.wsgiapp.pipeline, Client(app).get("/").text) == ([], "root")


def test_application_without_script_name_takes_it_from_each_request() -> None:
    app = framework.Application(Root(), script_name=None)
    framework.tree.graft(app, "/hosted")
    client = Client(framework.tree)
    assert client.get("/hosted/").text == "root"
    seen: list[str] = []

    class Probe:
        @framework.expose
        def index(self) -> str:
            seen.append(framework.request.app.script_name)
            return framework.url("/x")

    probe = framework.Application(Probe(), script_name=None)
    framework.tree.graft(probe, "/deep/mount")
    assert client.get("/deep/mount/").text.endswith("/deep/mount/x")
    assert seen == ["/deep/mount"]


def test_virtual_host_routes_by_host_then_default() -> None:
    router = VirtualHost(text_app("default"), {"a.example": text_app("A")})
    client = Client(router)
    assert client.get("/", headers={"Host": "a.example"}).text == "A"
    assert client.get("/", headers={"Host": "other.example"}).text == "default"


def test_virtual_host_reads_x_forwarded_host_unless_told_not_to() -> None:
    domains = {"a.example": text_app("A")}
    forwarded = {"Host": "proxy.internal", "X-Forwarded-Host": "a.example"}
    assert Client(VirtualHost(text_app("d"), domains)).get("/", headers=forwarded).text == "A"
    plain = VirtualHost(text_app("d"), domains, use_x_forwarded_host=False)
    assert Client(plain).get("/", headers=forwarded).text == "d"
