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
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from framework.testing import Client

__all__ = ["app", "client", "live_server"]

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
