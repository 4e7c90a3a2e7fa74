"""Helpers shared by the CLI tests: run the real ``cherry`` entry point, load sample apps.

This directory (``tests/support``) is on the import path through pytest's ``pythonpath``
option (pyproject.toml), so test modules import these helpers without editing
``sys.path`` themselves.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cherrycli.routes import Route

REPO = Path(__file__).resolve().parents[2]
#: Sample apps and projects of the CLI tests.
ASSETS = REPO / "tests" / "cli" / "assets"


def cherry(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m cherrycli ARGS`` from the checkout, without inherited CHERRY_* vars."""
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("CHERRY_")}
    full_env["PYTHONPATH"] = str(REPO)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cherrycli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def load_module(path: Path) -> ModuleType:
    """Run the module file ``path`` and return it, named after the file.

    Neither ``sys.path`` nor ``sys.modules`` is touched, so nothing leaks into other
    tests; the module's classes still report ``<file stem>.<Class>`` as their name.

    Args:
        path: a ``.py`` file (a sample app in :data:`ASSETS`, or one a test wrote).

    Returns:
        The executed module.
    """
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def route_for(handler: Callable[..., Any], path: str = "/x") -> Route:
    """The ``cherry routes`` record of ``handler`` published at ``path`` (any method).

    Its identity is what :func:`framework.introspect.handler_identity` gives, as for
    every listed route, so it matches what the pytest plugin logs for the handler.
    """
    from cherrycli.routes import Route
    from framework import introspect

    identity = introspect.handler_identity(handler)
    return Route.of(introspect.Route(path, handler, identity, (introspect.ANY_METHOD,)))
