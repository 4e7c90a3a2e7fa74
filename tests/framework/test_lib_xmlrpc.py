"""XML-RPC: XMLRPCController, XMLRPCDispatcher and tools.xmlrpc, with the stdlib client.

A real ``xmlrpc.client.ServerProxy`` talks to a real cheroot server: results of every
XML-RPC type, arguments, dotted method names, ``/RPC2``, and faults (never HTML) for an
unknown method, a raised or returned Fault, an HTTPError and an unexpected exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xmlrpc.client import DateTime, Fault, ServerProxy

import pytest

import framework
from framework.dispatch import XMLRPCDispatcher
from framework.lib.xmlrpcutil import XMLRPCController, patched_path
from framework.testing import Client


class Math:
    @framework.expose
    def add(self, a: int, b: int) -> int:
        return a + b


class Api(XMLRPCController):
    math = Math()

    @framework.expose
    def hello(self, name: str = "world") -> str:
        return f"hello {name}"

    @framework.expose
    def values(self) -> Any:
        return [42, "text", 3.5, True, {"a": 1}, DateTime((2003, 10, 7, 8, 1, 0, 1, 280, -1))]

    @framework.expose
    def nothing(self) -> None:
        return None

    @framework.expose
    def raise_fault(self) -> None:
        raise Fault(7, "custom fault")

    @framework.expose
    def return_fault(self) -> Fault:
        return Fault(8, "returned fault")

    @framework.expose
    def forbidden(self) -> None:
        raise framework.HTTPError(403, "not for you")

    @framework.expose
    def broken(self) -> None:
        raise ValueError("internal detail")

    def hidden(self) -> str:
        return "not exposed"


class Root:
    api = Api()

    @framework.expose
    def index(self) -> str:
        return "site"


def mount(**extra: Any) -> framework.Application:
    config = {"/": {"request.dispatch": XMLRPCDispatcher(), **extra}}
    return framework.Application(Root(), "", config)


@pytest.fixture
def proxy_url() -> Iterator[str]:
    from framework.process.server import serve_in_thread

    with serve_in_thread(mount()) as url:
        yield url


def test_results_of_every_type(proxy_url: str) -> None:
    with ServerProxy(proxy_url + "/api/") as proxy:
        assert proxy.hello() == "hello world"
        assert proxy.hello("you") == "hello you"
        assert proxy.math.add(2, 3) == 5
        assert proxy.values() == [
            42,
            "text",
            3.5,
            True,
            {"a": 1},
            DateTime((2003, 10, 7, 8, 1, 0, 1, 280, -1)),
        ]


def test_rpc2_prefix_is_stripped(proxy_url: str) -> None:
    with ServerProxy(proxy_url + "/RPC2/api/") as proxy:
        assert proxy.hello() == "hello world"


@pytest.mark.parametrize(
    ("call", "code", "text"),
    [
        (lambda p: p.no_such_method(), 1, 'method "no_such_method" is not supported'),
        (lambda p: p.hidden(), 1, 'method "hidden" is not supported'),
        (lambda p: p._cp_config(), 1, 'method "_cp_config" is not supported'),
        (lambda p: p.raise_fault(), 7, "custom fault"),
        (lambda p: p.return_fault(), 8, "returned fault"),
        (lambda p: p.forbidden(), 403, "not for you"),
        (lambda p: p.math.add({}, 1), 1, "unsupported operand type(s) for +: 'dict' and 'int'"),
        (lambda p: p.nothing(), 1, "cannot marshal None unless allow_none is enabled"),
    ],
    ids=[
        "unknown",
        "not-exposed",
        "private",
        "raised",
        "returned",
        "http-error",
        "type-error",
        "none",
    ],
)
def test_errors_are_faults(proxy_url: str, call: Any, code: int, text: str) -> None:
    with ServerProxy(proxy_url + "/api/") as proxy, pytest.raises(Fault) as info:
        call(proxy)
    assert (info.value.faultCode, info.value.faultString) == (code, text)


def test_allow_none_setting() -> None:
    from framework.process.server import serve_in_thread

    with serve_in_thread(mount(**{"tools.xmlrpc.allow_none": True})) as url:
        with ServerProxy(url + "/api/", allow_none=True) as proxy:
            assert proxy.nothing() is None


def test_faults_are_200_xml_never_html() -> None:
    client = Client(mount())
    body = "<?xml version='1.0'?><methodCall><methodName>broken</methodName></methodCall>"
    page = client.post("/api/", data=body, content_type="text/xml")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/xml"
    assert "<fault>" in page.text and "<html" not in page.text


def test_production_faults_hide_exception_text(error_records: list[Any]) -> None:
    client = Client(mount(**{"request.show_tracebacks": False}))
    body = "<?xml version='1.0'?><methodCall><methodName>broken</methodName></methodCall>"
    page = client.post("/api/", data=body, content_type="text/xml")
    assert "internal detail" not in page.text
    assert "Internal error" in page.text


def test_a_body_that_is_not_xmlrpc_is_a_fault() -> None:
    page = Client(mount()).post("/api/", data="garbage", content_type="text/xml")
    assert page.status_code == 200
    assert 'method "ERRORMETHOD" is not supported' in page.text


def test_a_get_reaches_exposed_methods_as_pages() -> None:
    assert Client(mount()).get("/api/hello").text == "hello world"


@pytest.mark.parametrize(
    ("path", "patched"),
    [("/api", "/api/"), ("/RPC2/api/", "/api/"), ("/RPC2", "/"), ("/", "/")],
)
def test_patched_path(path: str, patched: str) -> None:
    assert patched_path(path) == patched


def test_the_compat_layer_names() -> None:
    from framework import compat

    compat.install()
    try:
        import cherrypy
        from cherrypy import _cptools
        from cherrypy.lib import xmlrpcutil

        assert _cptools.XMLRPCController is XMLRPCController
        assert cherrypy.dispatch.XMLRPCDispatcher is XMLRPCDispatcher
        assert xmlrpcutil.patched_path is patched_path
    finally:
        compat.uninstall()
