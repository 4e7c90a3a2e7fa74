"""Shared fixtures for the framework tests.

Every test runs isolated from the others, as a CherryPy suite would: the global mount
table (``framework.tree.apps``) is restored and the global config reset afterwards.
``wsgi_call`` drives any WSGI callable through ``wsgiref.validate`` with a hand-built
environ, for the requests the test client cannot express (no Host header, raw
Transfer-Encoding...). ``error_records`` captures what reaches the global error log.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.validate import validator

import pytest

import framework

RawResult = tuple[str, list[tuple[str, str]], bytes]
WsgiCall = Callable[..., RawResult]


@pytest.fixture(autouse=True)
def _isolate_framework() -> Iterator[None]:
    """Restore ``framework.tree.apps``, reset ``framework.config`` and put the screen log
    back as it was after each test (starting the engine turns it on in development)."""
    saved_apps = dict(framework.tree.apps)
    screen = framework.log.screen
    try:
        yield
    finally:
        framework.tree.apps.clear()
        framework.tree.apps.update(saved_apps)
        framework.config.reset()
        framework.log.screen = screen


def base_environ(method: str = "GET", path: str = "/", body: bytes = b"") -> dict[str, Any]:
    """Return a minimal valid WSGI environ for an HTTP/1.1 request to 127.0.0.1."""
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


@pytest.fixture
def make_environ() -> Callable[..., dict[str, Any]]:
    """``make_environ(method="GET", path="/", body=b"")``: see :func:`base_environ`."""
    return base_environ


def run_wsgi(app: Any, environ: dict[str, Any], validate: bool = True) -> RawResult:
    """Call ``app`` (through ``wsgiref.validate`` unless told not to).

    Returns:
        The status line, the headers and the whole body.
    """
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    result = (validator(app) if validate else app)(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return captured["status"], captured["headers"], body


@pytest.fixture
def wsgi_call() -> WsgiCall:
    """Return ``call(app, method="GET", path="/", body=b"", drop=(), validate=True, **environ)``.

    ``drop`` names environ keys to remove (e.g. ``HTTP_HOST``); keyword arguments are
    added to the environ last. ``validate=False`` skips ``wsgiref.validate``, which
    rejects some deliberately broken environs (a non-numeric ``CONTENT_LENGTH``).
    """

    def call(
        app: Any,
        method: str = "GET",
        path: str = "/",
        body: bytes = b"",
        drop: tuple[str, ...] = (),
        validate: bool = True,
        **extra: Any,
    ) -> RawResult:
        environ = base_environ(method, path, body)
        for key in drop:
            environ.pop(key, None)
        environ.update(extra)
        return run_wsgi(app, environ, validate)

    return call


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _records(logger: logging.Logger) -> Iterator[list[logging.LogRecord]]:
    handler = _ListHandler()
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def error_records() -> Iterator[list[logging.LogRecord]]:
    """Collect records reaching the global error log (every app propagates to it)."""
    yield from _records(framework.log.error_log)


@pytest.fixture
def access_records() -> Iterator[list[logging.LogRecord]]:
    """Collect the global access log's lines (a handler there switches the log on)."""
    yield from _records(framework.log.access_log)


# -- real Redis and memcached (started by scripts/services.sh) ---------------------------
def need_service(env: str, what: str) -> str:
    """Return ``$env``; skip without it, or fail under ``CI=true`` (CI must run it)."""
    value = os.environ.get(env)
    if not value:
        message = f"{what} is not running: set {env} (scripts/services.sh starts one)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return value


@pytest.fixture
def redis_url() -> str:
    """The URL of the test run's Redis server."""
    return need_service("REDIS_URL", "Redis")


@pytest.fixture
def memcached_servers() -> list[str]:
    """The test run's memcached server(s), as ``host:port`` strings."""
    return need_service("MEMCACHED_SERVERS", "memcached").split(",")


@pytest.fixture
def key_prefix() -> str:
    """A key prefix of this test's own, so tests sharing a server never meet."""
    return f"test-{uuid.uuid4().hex[:12]}:"
