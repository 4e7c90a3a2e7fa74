"""Shared fixtures of the CLI tests: every test leaves the interpreter as it found it.

Code under test changes process-wide state on purpose: the importer puts the app's
directory on ``sys.path`` and imports the app (as ``cherry serve`` must).
:func:`isolated_imports` undoes that after every test, so no test sees another's sample
modules or path entries. Tests never edit ``sys.path`` by hand:
helpers come from ``tests/support`` (pytest's ``pythonpath`` option), sample apps are
loaded by file path (``cli_support.load_module``) or, where importing by name is the
point, through ``monkeypatch.syspath_prepend``.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator

import pytest

from cli_support import ASSETS


@pytest.fixture(autouse=True)
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo ``sys.path`` changes and forget the sample modules a test imported."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    # Only the tests' own sample modules: framework modules must keep their identity.
    roots = (str(ASSETS), tempfile.gettempdir())
    for name in set(sys.modules) - before:
        if (getattr(sys.modules[name], "__file__", None) or "").startswith(roots):
            del sys.modules[name]
