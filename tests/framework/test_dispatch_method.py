"""MethodDispatcher and CherryPy-style dispatchers: the handler picked by HTTP verb."""

from __future__ import annotations

from typing import Any

import pytest

import framework
from framework.dispatch import MethodDispatcher
from framework.testing import Client

# -- MethodDispatcher -------------------------------------------------------------------


@framework.expose
class Items:
    def GET(self, item_id: str | None = None) -> str:
        return f"get {item_id}"

    def POST(self, name: str) -> str:
        framework.response.status = 201
        return f"created {name}"

    def DELETE(self, item_id: str) -> str:
        return f"deleted {item_id}"


class RestRoot:
    items = Items()


@pytest.fixture
def rest() -> Client:
    return Client(RestRoot(), config={"/": {"request.dispatch": MethodDispatcher()}})


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"),
    [
        ("GET", "/items", None, (200, "get None")),
        ("GET", "/items/7", None, (200, "get 7")),
        ("POST", "/items", {"name": "n"}, (201, "created n")),
        ("DELETE", "/items/7", None, (200, "deleted 7")),
    ],
)
def test_method_dispatcher_picks_verb(
    rest: Client, method: str, path: str, data: Any, expected: tuple[int, str]
) -> None:
    response = rest.request(method, path, data=data)
    assert (response.status_code, response.text) == expected


ALLOW = "DELETE, GET, HEAD, POST"


def test_method_dispatcher_405_with_allow(rest: Client) -> None:
    response = rest.put("/items")
    assert (response.status_code, response.headers["Allow"]) == (405, ALLOW)


def test_a_missing_verb_is_405_even_without_a_body(rest: Client, wsgi_call: Any) -> None:
    # A PATCH with neither Content-Length nor a chunked body: the body is never read.
    status, headers, _ = wsgi_call(rest.app, "PATCH", "/items")
    assert status.startswith("405")
    assert dict(headers)["Allow"] == ALLOW


def test_options_is_answered_with_allow(rest: Client) -> None:
    response = rest.options("/items")
    assert response.status_code == 200
    assert response.headers["Allow"] == ALLOW
    assert response.body == b""


def test_an_options_method_of_the_resource_answers_itself() -> None:
    @framework.expose
    class Resource:
        def GET(self) -> str:
            return "get"

        def OPTIONS(self) -> str:
            framework.response.headers["X-Own"] = "yes"
            return "own options"

    class Top:
        res = Resource()

    client = Client(Top(), config={"/": {"request.dispatch": MethodDispatcher()}})
    response = client.options("/res")
    assert (response.text, response.headers["X-Own"]) == ("own options", "yes")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"  # its own OPTIONS is listed


def test_method_dispatcher_head_falls_back_to_get(rest: Client) -> None:
    response = rest.head("/items/3")
    assert (response.status_code, response.body) == (200, b"")


def test_method_dispatcher_allow_on_success(rest: Client) -> None:
    assert rest.get("/items").headers["Allow"] == ALLOW


def test_method_dispatcher_unknown_resource_404(rest: Client) -> None:
    assert rest.get("/nothing").status_code == 404


def test_method_dispatcher_verb_config_applies() -> None:
    @framework.expose
    class Resource:
        @framework.config(**{"response.headers.X-Verb": "get"})
        def GET(self) -> str:
            return "ok"

    class Top:
        res = Resource()

    client = Client(
        framework.Application(Top(), "", {"/": {"request.dispatch": MethodDispatcher()}})
    )
    assert client.get("/res").headers["X-Verb"] == "get"


def test_exposed_non_callable_object_is_404() -> None:
    class Thing:
        exposed = True

    class Top:
        thing = Thing()

    assert Client(framework.Application(Top())).get("/thing").status_code == 404


def test_method_dispatcher_called_cherrypy_style_405() -> None:
    client = Client(RestRoot(), config={"/": {"request.dispatch": MethodDispatcher().__call__}})
    assert client.put("/items").status_code == 405


def test_method_dispatcher_explicit_head() -> None:
    @framework.expose
    class Probe:
        def GET(self) -> str:
            return "get"

        def HEAD(self) -> str:
            framework.response.headers["X-Head"] = "own"
            return ""

    class Top:
        probe = Probe()

    app = framework.Application(Top(), "", {"/": {"request.dispatch": MethodDispatcher()}})
    assert Client(app).head("/probe").headers["X-Head"] == "own"


def test_handler_plan_repr_names_handler() -> None:
    class Introspect:
        @framework.expose
        def index(self) -> str:
            return repr(framework.request.handler)

    text = Client(Introspect()).get("/").text
    assert (text.startswith("<Plan '/' -> "), text.endswith("Introspect.index>")) == (True, True)
