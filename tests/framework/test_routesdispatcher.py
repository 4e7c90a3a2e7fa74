"""RoutesDispatcher: URL patterns mapped to controllers with the Routes library.

CherryPy's own example (test_routes) plus what it leaves out: route variables as
arguments, config merge order, method conditions, plan caching, url_for in handlers,
and the clear error when the optional Routes library is missing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

import framework
from framework.testing import Client

pytest.importorskip("routes")


class City:
    def __init__(self, name: str) -> None:
        self.name = name
        self.population = 10000

    @framework.config(
        **{
            "tools.response_headers.on": True,
            "tools.response_headers.headers": [("Content-Language", "en-GB")],
        }
    )
    def index(self, **kwargs: Any) -> str:
        return f"Welcome to {self.name}, pop. {self.population}"

    def update(self, **kwargs: Any) -> str:
        self.population = int(kwargs["pop"])
        return "OK"


class Dummy:
    def index(self) -> str:
        return "I said good day!"

    def hello(self, name: str = "you") -> str:
        import routes

        return f"hello {name} at {routes.url_for('person', name=name)}"


class People:
    def show(self, name: str, **kwargs: Any) -> str:
        return f"person {name} {sorted(kwargs)}"


def make_client(config: dict[str, Any] | None = None) -> Client:
    d = framework.dispatch.RoutesDispatcher()
    d.connect(action="index", name="hounslow", route="/hounslow", controller=City("Hounslow"))
    d.connect(
        name="surbiton",
        route="/surbiton",
        controller=City("Surbiton"),
        action="index",
        conditions={"method": ["GET"]},
    )
    d.mapper.connect(
        "/surbiton", controller="surbiton", action="update", conditions={"method": ["POST"]}
    )
    d.connect("person", "/people/:name", controller=People(), action="show")
    d.connect("main", "/:action", controller=Dummy())
    conf = {"/": {"request.dispatch": d}, **(config or {})}
    return Client(framework.Application(None, "", conf))


def test_cherrypys_routes_example() -> None:
    client = make_client()
    assert client.get("/hounslow").text == "Welcome to Hounslow, pop. 10000"
    assert client.get("/foo").status_code == 404
    assert client.get("/surbiton").text == "Welcome to Surbiton, pop. 10000"
    assert client.post("/surbiton", data={"pop": "1327"}).text == "OK"
    page = client.get("/surbiton")
    assert page.headers["Content-Language"] == "en-GB"
    assert page.text == "Welcome to Surbiton, pop. 1327"


def test_route_variables_are_arguments_and_query_params_join_them() -> None:
    assert make_client().get("/people/ann?x=1").text == "person ann ['x']"


def test_unmatched_paths_are_404() -> None:
    client = make_client()
    assert client.get("/people/").status_code == 404
    assert client.get("/a/b/c/d").status_code == 404


def test_url_for_works_in_handlers_on_every_request() -> None:
    client = make_client()
    assert client.get("/hello?name=bo").text == "hello bo at /people/bo"
    # The second request reuses the cached plan: Routes' request config is set again.
    assert client.get("/hello?name=al").text == "hello al at /people/al"


def test_path_sections_merge_after_the_controller() -> None:
    config = {
        "/people": {"response.headers.X-Section": "people"},
        "/people/ann": {"response.headers.X-Section": "ann"},
    }
    client = make_client(config)
    assert client.get("/people/ann").headers["X-Section"] == "ann"
    assert client.get("/people/bob").headers["X-Section"] == "people"


def test_full_result_passes_controller_and_action() -> None:
    class Echo:
        def show(self, **kwargs: Any) -> str:
            return ",".join(sorted(kwargs))

    d = framework.dispatch.RoutesDispatcher(full_result=True)
    d.connect("echo", "/echo", controller=Echo(), action="show")
    client = Client(framework.Application(None, "", {"/": {"request.dispatch": d}}))
    assert client.get("/echo").text == "action,controller"


def test_plans_are_cached_unless_conditions_read_more_than_the_method() -> None:
    d = framework.dispatch.RoutesDispatcher()
    d.connect("home", "/", controller=Dummy(), action="index", conditions={"method": ["GET"]})
    app = framework.Application(None, "", {"/": {"request.dispatch": d}})
    Client(app).get("/")
    assert ("/", "GET") in app._plans
    d.connect(
        "sub",
        "/sub",
        controller=Dummy(),
        action="index",
        conditions={"function": lambda environ, result: True},
    )
    app._plans.clear()
    Client(app).get("/")
    assert app._plans == {}


def test_a_missing_routes_library_names_the_extra() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["routes"] = None  # as if not installed
        import framework
        try:
            framework.dispatch.RoutesDispatcher()
        except ModuleNotFoundError as exc:
            print(exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'cherrycli[routes]'" in done.stdout


def test_the_compat_layer_name() -> None:
    from framework import compat

    compat.install()
    try:
        import cherrypy

        from framework.routesdispatcher import RoutesDispatcher

        assert cherrypy.dispatch.RoutesDispatcher is RoutesDispatcher
    finally:
        compat.uninstall()
