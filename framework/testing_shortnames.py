"""The short names of the pytest plugin's fixtures: ``app``, ``client``, ``live_server``.

:mod:`framework.testing_plugin` registers this module as a plugin only when no other
plugin owns these names (pytest-flask and pytest-django both define ``client`` and
``live_server``), so a project can write ``client`` where nothing clashes and the
``cherry_`` names everywhere. Each short name is the ``cherry_`` fixture under another
name; a project overrides whichever app fixture it likes:

- ``app`` (default: fails with a message) is what ``cherry_app`` returns here, so an
  ``app`` fixture in ``conftest.py`` is the app under test for both spellings;
- a ``cherry_app`` fixture in ``conftest.py`` overrides this module's, and ``client``
  then drives it (``app`` is not used).

Registered after the plugin module, these fixtures take precedence over its own
``cherry_app``; ``conftest.py`` fixtures take precedence over both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from framework.testing import Client

__all__ = ["app", "cherry_app", "client", "live_server"]

_NO_APP_MESSAGE = (
    "define an `app` (or `cherry_app`) fixture returning your root object, Application or "
    "WSGI callable (for example in conftest.py) to use the `client` fixture"
)


@pytest.fixture
def app() -> object:
    """The application under test; projects override this fixture or ``cherry_app``.

    Raises:
        pytest.fail.Exception: always, with a message saying what to define.
    """
    pytest.fail(_NO_APP_MESSAGE, pytrace=False)


@pytest.fixture
def cherry_app(app: object) -> object:
    """The ``app`` fixture, for the ``cherry_`` fixtures built on ``cherry_app``."""
    return app


@pytest.fixture
def client(cherry_client: Client) -> Client:
    """``cherry_client``: the in-process test client for the app under test."""
    return cherry_client


@pytest.fixture
def live_server(cherry_live_server: str) -> Iterator[str]:
    """``cherry_live_server``: the app on a real server at 127.0.0.1; yields its base URL."""
    yield cherry_live_server
