"""pytest plugin for Cherry projects: the ``cherry_app``, ``cherry_client`` and
``cherry_live_server`` fixtures, also called ``app``, ``client`` and ``live_server``.

Registered through the ``pytest11`` entry point, so pytest loads it in every project where
the package is installed. That is why it imports only pytest at module level: the
framework and the test client are imported inside the fixtures, on first use.

A project defines what to test by overriding ``cherry_app`` or ``app`` (usually in
``conftest.py``)::

    @pytest.fixture
    def cherry_app():
        return Root()          # or a root class, an Application, any WSGI callable

    def test_index(cherry_client):
        cherry_client.get("/").assert_status(200)

``cherry_live_server`` serves the same app on a real cheroot server bound to 127.0.0.1
and a free port, for tests that need real sockets (a browser, ``urllib``, streaming); it
yields the base URL, such as ``http://127.0.0.1:54321``, and stops the server after the
test.

**Short names.** ``app``, ``client`` and ``live_server`` are what pytest-flask and
pytest-django call their own fixtures, and a pytest session has one fixture per name:
with either plugin installed, a Cherry test asking for ``client`` would get Flask's or
Django's client (pytest-django's skips the test: "no Django settings"). So the short
names come from :mod:`framework.testing_shortnames`, which :func:`pytest_configure`
registers only when neither plugin is loaded; the ``cherry_`` names always exist. A
project that may meet those plugins uses the ``cherry_`` names (the scaffolds do).

``cherry_client`` also isolates tests from each other, as CherryPy suites do: it
snapshots the global mount table (`framework.tree.apps`) before the app fixture runs and
restores it afterwards, then resets the global `framework.config`.

**Dispatch log.** When ``CHERRY_HANDLER_LOG`` names a file (``cherry test`` sets it for
its pytest child), the plugin records every page handler the framework dispatches to
during the session, in this process, and appends them to that file as JSON lines at
session end: ``{"handler": "module.Class.method", "file": ..., "line": ...}``, the
handler's identity as :func:`framework.introspect.handler_identity` gives it (the
same name and ``def`` location ``cherry routes`` shows). It observes dispatches
through ``Application.observers``, the framework's documented hook, called once per
request (cached plans included). The file is created even when nothing was
dispatched: its presence says the plugin ran. Requests served by another process (a
server the tests start as a subprocess) are not seen here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from framework.core.application import Application
    from framework.core.plan import Plan
    from framework.core.request import Request
    from framework.testing import Client

__all__ = [
    "CLASHING_PLUGINS",
    "cherry_app",
    "cherry_client",
    "cherry_live_server",
    "clashing_plugins",
    "pytest_configure",
]

#: Plugin module -> the project it comes from; each defines ``client`` and ``live_server``
#: (pytest-flask also uses ``app``). While one is loaded, the short names are not ours.
CLASHING_PLUGINS = {"pytest_flask.plugin": "pytest-flask", "pytest_django.plugin": "pytest-django"}

#: pluginmanager name of :mod:`framework.testing_shortnames` once registered.
SHORT_NAMES_PLUGIN = "cherry-short-names"

_NO_APP_MESSAGE = (
    "define a `cherry_app` fixture returning your root object, Application or WSGI "
    "callable (for example in conftest.py) to use `cherry_client` or `cherry_live_server`"
)


@pytest.fixture
def cherry_app() -> object:
    """The application under test; projects must override this fixture (or ``app``).

    Raises:
        pytest.fail.Exception: always, with a message saying what to define.
    """
    pytest.fail(_NO_APP_MESSAGE, pytrace=False)


@pytest.fixture
def _framework_isolation() -> Iterator[None]:
    """Restore `framework.tree.apps` and reset `framework.config` around one test."""
    from framework._globals import config, tree

    saved_apps = dict(tree.apps)
    try:
        yield
    finally:
        tree.apps.clear()
        tree.apps.update(saved_apps)
        config.reset()


@pytest.fixture
def cherry_client(_framework_isolation: None, cherry_app: object) -> Client:
    """An in-process `framework.testing.Client` for the ``cherry_app`` fixture.

    ``_framework_isolation`` is listed first so its snapshot is taken before the app
    fixture runs: mounts and config done inside it are undone too.
    """
    from framework.testing import Client

    return Client(cherry_app)


@pytest.fixture
def cherry_live_server(_framework_isolation: None, cherry_app: object) -> Iterator[str]:
    """Serve the ``cherry_app`` fixture on a real HTTP server at 127.0.0.1 for one test.

    Yields:
        The server's base URL (``http://127.0.0.1:PORT``).
    """
    from framework.process.server import serve_in_thread
    from framework.testing import resolve_app

    with serve_in_thread(resolve_app(cherry_app)) as base_url:
        yield base_url


def clashing_plugins(config: pytest.Config) -> list[str]:
    """The loaded plugins that define Cherry's short fixture names themselves.

    Args:
        config: the session's pytest config.

    Returns:
        Their project names (``pytest-flask``, ``pytest-django``), sorted.
    """
    loaded = {getattr(plugin, "__name__", None) for plugin in config.pluginmanager.get_plugins()}
    return sorted(project for module, project in CLASHING_PLUGINS.items() if module in loaded)


class _DispatchRecorder:
    """Observes dispatches for one session (``Application.observers``) and logs them."""

    def __init__(self, log_path: str) -> None:
        self.log_path = log_path
        self.seen: set[tuple[str, str, int]] = set()

    def observe(self, app: Application, plan: Plan, request: Request) -> None:
        """Note the handler behind ``plan`` (called by the framework per request)."""
        raw = plan.raw_handler
        if raw is not None:
            from framework.introspect import handler_identity

            identity = handler_identity(raw)
            if identity.file:
                self.seen.add((identity.name, identity.file, identity.line))

    def install(self) -> None:
        """Start observing every application's dispatches."""
        from framework.core.application import Application

        Application.observers.append(self.observe)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        """Stop observing and append the dispatched handlers to the log."""
        import json

        from framework.core.application import Application

        if self.observe in Application.observers:
            Application.observers.remove(self.observe)
        lines = [
            json.dumps({"handler": name, "file": file, "line": line})
            for name, file, line in sorted(self.seen)
        ]
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.writelines(line + "\n" for line in lines)


def pytest_configure(config: pytest.Config) -> None:
    """Add the short fixture names unless another plugin owns them; record dispatches.

    Dispatched handlers are recorded when ``CHERRY_HANDLER_LOG`` is set.
    """
    import os

    if not clashing_plugins(config) and not config.pluginmanager.has_plugin(SHORT_NAMES_PLUGIN):
        from framework import testing_shortnames

        config.pluginmanager.register(testing_shortnames, SHORT_NAMES_PLUGIN)
    from framework.introspect import HANDLER_LOG_ENV

    log_path = os.environ.get(HANDLER_LOG_ENV)
    if not log_path or config.pluginmanager.has_plugin("cherry-dispatch-log"):
        return
    recorder = _DispatchRecorder(log_path)
    recorder.install()
    config.pluginmanager.register(recorder, "cherry-dispatch-log")
