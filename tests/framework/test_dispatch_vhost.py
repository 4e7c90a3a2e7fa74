"""VirtualHost: the request's host name picks a subtree of the app."""

from __future__ import annotations

import io

import pytest

import framework
from framework.configfile import parse
from framework.dispatch import MethodDispatcher, VirtualHost
from framework.testing import Client


class Blog:
    @framework.expose
    def index(self) -> str:
        return "blog home"

    @framework.expose
    def post(self, slug: str) -> str:
        return f"post {slug}"


class Site:
    blog = Blog()

    @framework.expose
    def index(self) -> str:
        return "site home"


def client_for(dispatcher: object) -> Client:
    app = framework.Application(Site(), "", {"/": {"request.dispatch": dispatcher}})
    return Client(app)


@pytest.mark.parametrize(
    ("host", "path", "body"),
    [
        ("blog.example.com", "/", "blog home"),
        ("blog.example.com", "/post/hello", "post hello"),
        ("www.example.com", "/", "site home"),
        ("unknown.example.com", "/blog/", "blog home"),
    ],
)
def test_host_header_selects_the_subtree(host: str, path: str, body: str) -> None:
    client = client_for(VirtualHost(**{"blog.example.com": "/blog"}))
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 200
    assert response.text == body


def test_the_same_path_answers_differently_per_host() -> None:
    client = client_for(VirtualHost(**{"blog.example.com": "/blog"}))
    assert client.get("/", headers={"Host": "blog.example.com"}).text == "blog home"
    assert client.get("/", headers={"Host": "www.example.com"}).text == "site home"
    assert client.get("/", headers={"Host": "blog.example.com"}).text == "blog home"


@pytest.mark.parametrize(("trusted", "body"), [(True, "blog home"), (False, "site home")])
def test_x_forwarded_host_is_used_only_when_trusted(trusted: bool, body: str) -> None:
    client = client_for(VirtualHost(use_x_forwarded_host=trusted, **{"blog.example.com": "/blog"}))
    response = client.get(
        "/", headers={"Host": "www.example.com", "X-Forwarded-Host": "blog.example.com"}
    )
    assert response.text == body


def test_next_dispatcher_does_the_walk() -> None:
    class Items:
        exposed = True

        def GET(self) -> str:
            return "items"

    class Root:
        items = Items()

    dispatcher = VirtualHost(MethodDispatcher(), **{"api.example.com": "/items"})
    app = framework.Application(Root(), "", {"/": {"request.dispatch": dispatcher}})
    client = Client(app)
    assert client.get("/", headers={"Host": "api.example.com"}).text == "items"
    assert client.post("/", headers={"Host": "api.example.com"}).status_code == 405


def test_a_config_file_can_build_a_virtual_host() -> None:
    text = "[/]\nrequest.dispatch = cherrypy.dispatch.VirtualHost(**{'b.test': '/blog'})\n"
    dispatcher = parse(io.StringIO(text))["/"]["request.dispatch"]
    assert isinstance(dispatcher, VirtualHost)
    assert dispatcher.domains == {"b.test": "/blog"}
