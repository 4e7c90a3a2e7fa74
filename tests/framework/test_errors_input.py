"""Malformed requests get a short 4xx, never a 500, and the app keeps serving."""

from __future__ import annotations

from typing import Any

import pytest
from errors_app import Root

import framework
from framework.errors import HTTPError
from framework.testing import Client

# -- bad input ---------------------------------------------------------------------------

BAD_INPUT: list[tuple[str, dict[str, Any], int]] = [
    # (id, wsgi_call keyword arguments, expected status)
    ("percent-path", {"path": "/%zz"}, 404),
    ("percent-path-truncated", {"path": "/params%"}, 404),
    # COMPAT: a path that is not UTF-8 is read as Latin-1, as CherryPy does: no such page.
    ("utf8-path", {"path": "/\xff\xfe"}, 404),
    ("utf8-query", {"path": "/params", "QUERY_STRING": "a=%ff"}, 400),
    ("utf8-query-name", {"path": "/params", "QUERY_STRING": "%c3%28=1"}, 400),
    (
        "utf8-form",
        {
            "method": "POST",
            "path": "/params",
            "body": b"a=%ff",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": "5",
        },
        400,
    ),
    (
        "content-length-text",
        {
            "method": "POST",
            "path": "/params",
            "body": b"a=1",
            "CONTENT_LENGTH": "abc",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
        },
        400,
    ),
    (
        "content-length-negative",
        {
            "method": "POST",
            "path": "/params",
            "body": b"a=1",
            "CONTENT_LENGTH": "-5",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
        },
        400,
    ),
    (
        "content-length-too-long",
        {
            "method": "POST",
            "path": "/params",
            "body": b"a=1",
            "CONTENT_LENGTH": "50",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
        },
        400,
    ),
    (
        "multipart-garbage",
        {
            "method": "POST",
            "path": "/params",
            "body": b"not multipart at all",
            "CONTENT_LENGTH": "20",
            "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        },
        400,
    ),
    (
        "multipart-no-boundary",
        {
            "method": "POST",
            "path": "/params",
            "body": b"--x\r\n",
            "CONTENT_LENGTH": "5",
            "CONTENT_TYPE": "multipart/form-data",
        },
        400,
    ),
    (
        "multipart-unterminated",
        {
            "method": "POST",
            "path": "/params",
            "body": b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue',
            "CONTENT_LENGTH": "59",
            "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        },
        400,
    ),
    (
        "transfer-encoding-unknown",
        {
            "method": "POST",
            "path": "/params",
            "body": b"a=1",
            "HTTP_TRANSFER_ENCODING": "gzip",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
        },
        400,
    ),
]


def raw_exchange(wsgi_call: Any, spec: dict[str, Any]) -> tuple[str, bytes]:
    """Send ``spec`` to a fresh app, bypassing the validator (it rejects some of these)."""
    status, _, body = wsgi_call(framework.Application(Root()), validate=False, **spec)
    return status, body


@pytest.mark.parametrize(
    ("spec", "status"), [pytest.param(spec, status, id=name) for name, spec, status in BAD_INPUT]
)
def test_bad_input_is_4xx(wsgi_call: Any, spec: dict[str, Any], status: int) -> None:
    assert int(raw_exchange(wsgi_call, spec)[0][:3]) == status


@pytest.mark.parametrize("spec", [pytest.param(spec, id=name) for name, spec, _ in BAD_INPUT])
def test_bad_input_message_is_short_and_has_no_traceback(
    wsgi_call: Any, spec: dict[str, Any]
) -> None:
    framework.config.update({"request.show_tracebacks": False})
    body = raw_exchange(wsgi_call, spec)[1]
    assert (b"Traceback" in body, len(body) < 2000) == (False, True)


def test_app_keeps_serving_after_bad_input(wsgi_call: Any) -> None:
    app = framework.Application(Root())
    for _, spec, _ in BAD_INPUT:
        wsgi_call(app, validate=False, **spec)
    assert Client(app).get("/").text == "home"


def test_oversized_body_is_413() -> None:
    client = Client(Root(), config={"/": {"request.body.maxbytes": 10}})
    assert client.post("/params", data={"a": "x" * 100}).status_code == 413


def test_body_within_maxbytes_is_served() -> None:
    client = Client(Root(), config={"/": {"request.body.maxbytes": 100}})
    assert client.post("/params", data={"a": "x"}).text == "['a']"


def test_oversized_chunked_body_is_413(wsgi_call: Any) -> None:
    framework.config.update({"request.body.maxbytes": 10})
    spec = {"method": "POST", "path": "/params", "body": b"a=" + b"x" * 100,
            "HTTP_TRANSFER_ENCODING": "chunked",
            "CONTENT_TYPE": "application/x-www-form-urlencoded"}  # fmt: skip
    assert raw_exchange(wsgi_call, spec)[0].startswith("413")


def test_oversized_multipart_is_413() -> None:
    client = Client(Root(), config={"/": {"request.body.maxbytes": 50}})
    response = client.post("/params", files={"f": ("a.txt", b"x" * 500)})
    assert response.status_code == 413


def test_bad_input_through_validator(wsgi_call: Any) -> None:
    status, _, _ = wsgi_call(framework.Application(Root()), path="/params", QUERY_STRING="a=%ff")
    assert status.startswith("400")


def test_internal_redirect_outside_script_name() -> None:
    framework.tree.mount(Root(), "/app")
    response = Client(framework.tree).get("/app/internal?to=/elsewhere")
    assert response.status_code == 404


def test_http_error_get_error_page_method() -> None:
    assert b"<title>410 Gone</title>" in HTTPError(410).get_error_page(410)
