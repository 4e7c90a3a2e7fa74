"""Specification of the JSON tools (:mod:`framework.lib.jsontools`).

``json_in`` decodes a JSON request body into ``request.json``; ``json_out`` sends
what the handler returns as JSON.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import framework
from framework.lib.jsontools import json_decode, json_encode, json_handler
from framework.testing import Client


class Api:
    @framework.expose
    @framework.tools.json_in()
    def echo(self, **params: Any) -> str:
        return repr((framework.request.json, params))

    @framework.expose
    @framework.tools.json_out()
    def data(self) -> Any:
        return {"n": 1, "text": "é", "items": [1, 2]}

    @framework.expose
    @framework.tools.json_in()
    @framework.tools.json_out()
    def double(self) -> Any:
        return {key: value * 2 for key, value in framework.request.json.items()}

    @framework.expose
    @framework.tools.json_in(force=False)
    def lenient(self, **params: Any) -> str:
        return repr((framework.request.json, params))

    @framework.expose
    @framework.tools.json_in(content_type="application/vnd.api+json")
    def vendor(self) -> str:
        return repr(framework.request.json)

    @framework.expose
    @framework.tools.json_out(content_type=None)
    def bare(self) -> Any:
        return [1]

    @framework.expose
    @framework.tools.json_out(content_type="text/x-json")
    def custom_type(self) -> Any:
        return None


@pytest.fixture
def client() -> Client:
    return Client(Api())


# -- json_in ------------------------------------------------------------------------------
@pytest.mark.parametrize("document", [{"a": [1, 2]}, [1, "x"], "text", 3.5, None, True])
def test_json_in_decodes_the_body_into_request_json(client: Client, document: Any) -> None:
    response = client.post("/echo", data=json.dumps(document), content_type="application/json")
    assert response.text == repr((document, {}))


def test_json_in_accepts_text_javascript(client: Client) -> None:
    response = client.post("/echo", data=b"[1]", content_type="text/javascript")
    assert response.text == repr(([1], {}))


def test_json_in_accepts_content_type_parameters(client: Client) -> None:
    response = client.post("/echo", data=b"{}", content_type="application/json; charset=utf-8")
    assert response.text == repr(({}, {}))


@pytest.mark.parametrize("raw", [b"{bad", b"", b"\xff\xfe", b"[1,]"])
def test_json_in_bad_document_is_400(client: Client, raw: bytes) -> None:
    response = client.post("/echo", data=raw, content_type="application/json")
    assert (response.status_code, b"Invalid JSON document" in response.body) == (400, True)


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
)
def test_json_in_other_content_type_is_415(client: Client, content_type: str) -> None:
    response = client.post("/echo", data=b"a=1", content_type=content_type)
    assert (response.status_code, b"application/json" in response.body) == (415, True)


def test_json_in_missing_content_type_is_415(client: Client) -> None:
    assert client.post("/echo", data=b"{}").status_code == 415


def test_json_in_chunked_body_is_decoded(client: Client) -> None:
    # The server has de-chunked the stream: the body runs to EOF.
    response = client.post(
        "/echo",
        data=b"[7]",
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
    )
    assert response.text == repr(([7], {}))


def test_json_in_empty_chunked_body_is_411(client: Client) -> None:
    response = client.post(
        "/echo",
        data=b"",
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
    )
    assert response.status_code == 411


def test_json_in_ignores_get(client: Client) -> None:
    assert client.get("/echo?x=1").text == repr((None, {"x": "1"}))


def test_json_in_without_force_still_processes_forms(client: Client) -> None:
    assert client.post("/lenient", data={"x": "1"}).text == repr((None, {"x": "1"}))


def test_json_in_without_force_decodes_json(client: Client) -> None:
    response = client.post("/lenient", json={"k": "v"})
    assert response.text == repr(({"k": "v"}, {}))


def test_json_in_custom_content_type(client: Client) -> None:
    response = client.post("/vendor", data=b'"v"', content_type="application/vnd.api+json")
    assert response.text == repr("v")


def test_json_in_custom_content_type_rejects_plain_json(client: Client) -> None:
    assert client.post("/vendor", json={}).status_code == 415


def test_json_in_by_config() -> None:
    class App:
        @framework.expose
        def index(self) -> str:
            return repr(framework.request.json)

    client = Client(App(), config={"/": {"tools.json_in.on": True}})
    assert client.post("/", json=[1]).text == "[1]"


# -- json_out -----------------------------------------------------------------------------
def test_json_out_serializes_the_return_value(client: Client) -> None:
    assert client.get("/data").json() == {"n": 1, "text": "é", "items": [1, 2]}


def test_json_out_sets_application_json(client: Client) -> None:
    assert client.get("/data").headers["Content-Type"] == "application/json"


def test_json_out_body_is_utf8_without_escapes(client: Client) -> None:
    assert "é".encode() in client.get("/data").body


def test_json_out_with_content_type_none_keeps_the_default(client: Client) -> None:
    response = client.get("/bare")
    assert (response.body, response.headers["Content-Type"]) == (b"[1]", "text/html;charset=utf-8")


def test_json_out_custom_content_type(client: Client) -> None:
    response = client.get("/custom_type")
    assert (response.body, response.headers["Content-Type"]) == (
        b"null",
        "text/x-json;charset=utf-8",
    )


def test_json_in_and_out_together(client: Client) -> None:
    assert client.post("/double", json={"a": 2}).json() == {"a": 4}


def test_json_out_unserializable_value_is_500() -> None:
    class App:
        @framework.expose
        @framework.tools.json_out()
        def index(self) -> Any:
            return object()

    assert Client(App()).get("/").status_code == 500


def test_json_out_custom_handler_receives_the_inner_handler() -> None:
    def wrap(*args: Any, **kwargs: Any) -> bytes:
        return b"<" + json_handler(*args, **kwargs) + b">"

    class App:
        @framework.expose
        @framework.tools.json_out(handler=wrap)
        def index(self, x: str) -> Any:
            return {"x": x}

    response = Client(App()).get("/?x=1")
    assert (response.body, response.headers["Content-Type"]) == (
        b'<{"x": "1"}>',
        "application/json",
    )


def test_json_out_default_handler_explicitly() -> None:
    class App:
        @framework.expose
        @framework.tools.json_out(handler=json_handler)
        def index(self) -> Any:
            return [True]

    assert Client(App()).get("/").body == b"[true]"


def test_json_out_custom_handler_without_content_type() -> None:
    class App:
        @framework.expose
        @framework.tools.json_out(handler=lambda: b"raw", content_type=None)
        def index(self) -> Any:
            return None

    response = Client(App()).get("/")
    assert (response.body, response.headers["Content-Type"]) == (b"raw", "text/html;charset=utf-8")


def test_json_out_by_config() -> None:
    class App:
        @framework.expose
        def index(self) -> Any:
            return {"ok": True}

    assert Client(App(), config={"/": {"tools.json_out.on": True}}).get("/").json() == {"ok": True}


# -- codec helpers -----------------------------------------------------------------------
def test_json_encode_is_utf8_bytes() -> None:
    assert json_encode({"é": [1, None]}) == '{"é": [1, null]}'.encode()


def test_json_decode_parses_text() -> None:
    assert json_decode('{"a": [1.5]}') == {"a": [1.5]}


def test_json_out_as_a_hook_wraps_the_handler_of_one_request() -> None:
    from framework.lib.jsontools import json_out

    class Root:
        @framework.expose
        @framework.config(**{"hooks.before_handler": json_out})
        def data(self) -> dict[str, int]:
            return {"a": 1}

    page = Client(Root()).get("/data")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "application/json"
    assert json.loads(page.body) == {"a": 1}
