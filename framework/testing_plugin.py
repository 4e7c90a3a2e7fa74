"""pytest plugin for Cherry projects: the `app` and `client` fixtures.

Registered through the ``pytest11`` entry point, so pytest loads it in every project where
the package is installed. That is why it imports only pytest at module level: the
framework and the test client are imported inside the fixtures, on first use.

A project defines what to test by overriding ``app`` (usually in ``conftest.py``)::

    @pytest.fixture
    def app():
        return Root()          # or a root class, an Application, any WSGI callable

    def test_index(client):
        client.get("/").assert_status(200)

``live_server`` serves the same ``app`` on a real cheroot server bound to 127.0.0.1 and
a free port, for tests that need real sockets (a browser, ``urllib``, streaming); it
yields the base URL, such as ``http://127.0.0.1:54321``, and stops the server after the
test.

``client`` also isolates tests from each other, as CherryPy suites do: it snapshots the
global mount table (`framework.tree.apps`) before ``app`` runs and restores it afterwards,
then resets the global `framework.config`.

**Dispatch log.** When ``CHERRY_HANDLER_LOG`` names a file (``cherry test`` sets it for
its pytest child), the plugin records every page handler the framework dispatches to
during the session, in this process, and appends them to that file as JSON lines at
session end: ``{"handler": "module.Class.method", "file": ..., "line": ...}``, the
same name and ``def`` location ``cherry routes`` shows. The seam is
`framework.core.tree.Application.plan_for`, which every request passes through once
(cached plans included), so the recording costs one small lookup per request. The
file is created even when nothing was dispatched: its presence says the plugin ran.
Requests served by another process (a server the tests start as a subprocess) are not
seen here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from framework.core.plan import Plan
    from framework.core.request import Request
    from framework.core.tree import Application
    from framework.testing import Client

__all__ = ["HANDLER_LOG_ENV", "app", "client", "live_server", "pytest_configure"]

# The variable naming the dispatch log; cherrycli.handlercov has the same name.
HANDLER_LOG_ENV = "CHERRY_HANDLER_LOG"

_NO_APP_MESSAGE = (
    "define an `app` fixture returning your root object, Application or WSGI callable "
    "(for example in conftest.py) to use the `client` fixture"
)


@pytest.fixture
def app() -> object:
    """The application under test; projects must override this fixture.

    Raises:
        pytest.fail.Exception: always, with a message saying what to define.
    """
    pytest.fail(_NO_APP_MESSAGE, pytrace=False)


@pytest.fixture
def _framework_isolation() -> Iterator[None]:
    """Restore `framework.tree.apps` and reset `framework.config` around one test."""
    import framework

    saved_apps = dict(framework.tree.apps)
    try:
        yield
    finally:
        framework.tree.apps.clear()
        framework.tree.apps.update(saved_apps)
        framework.config.reset()


@pytest.fixture
def client(_framework_isolation: None, app: object) -> Client:
    """An in-process `framework.testing.Client` for the ``app`` fixture.

    ``_framework_isolation`` is listed first so its snapshot is taken before ``app``
    runs: mounts and config done inside the ``app`` fixture are undone too.
    """
    from framework.testing import Client

    return Client(app)


@pytest.fixture
def live_server(_framework_isolation: None, app: object) -> Iterator[str]:
    """Serve the ``app`` fixture on a real HTTP server at 127.0.0.1 for one test.

    Yields:
        The server's base URL (``http://127.0.0.1:PORT``).
    """
    from framework.process.server import serve_in_thread
    from framework.testing import _resolve_app

    with serve_in_thread(_resolve_app(app, None)) as base_url:
        yield base_url


def _describe_handler(raw: Any, request: Any) -> tuple[str, str, int] | None:
    """``(name, file, line)`` of the function behind a dispatched handler, as routes show it.

    Args:
        raw: the handler the dispatcher found (``Plan.raw_handler``).
        request: the request being served.

    Returns:
        The handler's ``module.Class.method`` name and its code's file and first line,
        or None for an object without Python code.
    """
    import inspect

    if getattr(raw, "__module__", None) == "framework.core.tree":
        # COMPAT: for a CherryPy-style dispatcher the plan holds a closure around the
        # page handler that dispatcher set on the request; name that one.
        raw = getattr(request.handler, "callable", request.handler)
    if inspect.ismethod(raw):
        owner = type(raw.__self__)
        name = f"{owner.__module__}.{owner.__qualname__}.{raw.__name__}"
        function: Any = raw.__func__
    elif not inspect.isroutine(raw) and callable(raw):
        owner = type(raw)
        name = f"{owner.__module__}.{owner.__qualname__}"
        function = owner.__call__
    else:
        name = f"{getattr(raw, '__module__', '?')}.{getattr(raw, '__qualname__', '?')}"
        function = raw
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None:
        return None
    return name, code.co_filename, code.co_firstlineno


class _DispatchRecorder:
    """Wraps ``Application.plan_for`` for one session and writes what it saw."""

    def __init__(self, log_path: str) -> None:
        self.log_path = log_path
        self.seen: set[tuple[str, str, int]] = set()
        self.original: Callable[..., Any] | None = None

    def install(self) -> None:
        """Wrap ``Application.plan_for`` so each dispatch is noted in :attr:`seen`."""
        from framework.core.tree import Application

        original = Application.plan_for
        seen = self.seen

        def plan_for(app: Application, path_info: str, method: str, request: Request) -> Plan:
            plan = original(app, path_info, method, request)
            raw = plan.raw_handler
            if raw is not None:
                described = _describe_handler(raw, request)
                if described is not None:
                    seen.add(described)
            return plan

        self.original = original
        # Patched on the class for the session only; pytest_sessionfinish restores it.
        Application.plan_for = plan_for  # type: ignore[method-assign,assignment]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        """Restore ``plan_for`` and append the dispatched handlers to the log."""
        import json

        from framework.core.tree import Application

        if self.original is not None:
            Application.plan_for = self.original  # type: ignore[method-assign]
            self.original = None
        lines = [
            json.dumps({"handler": name, "file": file, "line": line})
            for name, file, line in sorted(self.seen)
        ]
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.writelines(line + "\n" for line in lines)


def pytest_configure(config: pytest.Config) -> None:
    """Start recording dispatched handlers when ``CHERRY_HANDLER_LOG`` is set."""
    import os

    log_path = os.environ.get(HANDLER_LOG_ENV)
    if not log_path or config.pluginmanager.has_plugin("cherry-dispatch-log"):
        return
    recorder = _DispatchRecorder(log_path)
    recorder.install()
    config.pluginmanager.register(recorder, "cherry-dispatch-log")
