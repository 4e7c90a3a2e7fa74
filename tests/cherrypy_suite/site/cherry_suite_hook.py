"""Import hook that lets CherryPy's own test suite run against Cherry (or CherryPy).

The runner (``tests/cherrypy_suite/run.py``) copies the installed CherryPy wheel's
``cherrypy/test`` and ``cherrypy/tutorial`` packages into a temporary directory as
``cpsuite`` and ``cptutorial`` and puts that directory on ``PYTHONPATH``. This hook makes
the names the suite imports (``from cherrypy.test import helper``, ``cherrypy.tutorial``)
resolve to those copies, so ``cherrypy`` itself stays free to be either:

- ``CHERRY_SUITE_TARGET=cherry``: :func:`framework.compat.install` runs first, so
  ``import cherrypy`` is Cherry. A few pure helpers the suite imports from CherryPy's
  private modules (listed in :data:`HELPERS` and in the README) come from
  ``cherry_suite_helpers`` unless Cherry's compat layer maps the name itself;
- ``CHERRY_SUITE_TARGET=cherrypy``: ``import cherrypy`` is the real CherryPy.

``sitecustomize`` installs the hook at interpreter start, so the Python subprocesses
the suite starts (``python -m cherrypy`` in ``test_states``) get it as well.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
from collections.abc import Sequence

TARGET_ENV = "CHERRY_SUITE_TARGET"
TARGETS = ("cherry", "cherrypy")

#: CherryPy's test packages -> the names their copies are imported under.
PACKAGES = {"cherrypy.test": "cpsuite", "cherrypy.tutorial": "cptutorial"}

#: Pure helpers (no behaviour under test) the runner provides when the target is Cherry.
HELPERS = {
    "cherrypy._cpcompat": "cherry_suite_helpers.cpcompat",
    "cherrypy._json": "cherry_suite_helpers.json",
    "cherrypy.lib.gctools": "cherry_suite_helpers.gctools",
}


class _SuiteFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serve ``cherrypy.test*``/``cherrypy.tutorial*`` (and the helpers) as aliases."""

    def __init__(self, helpers: dict[str, str]) -> None:
        self.helpers = helpers

    def real_name(self, fullname: str) -> str | None:
        for alias, real in PACKAGES.items():
            if fullname == alias or fullname.startswith(alias + "."):
                return real + fullname[len(alias) :]
        return self.helpers.get(fullname)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        real = self.real_name(fullname)
        if real is None:
            return None
        module = importlib.import_module(real)
        spec = importlib.machinery.ModuleSpec(
            fullname, self, is_package=hasattr(module, "__path__")
        )
        spec.loader_state = module
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module: types.ModuleType = spec.loader_state
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # importlib stamped the alias spec on the module: give it back its own.
        spec = module.__spec__
        if spec is not None and spec.loader_state is not None:
            module.__spec__ = spec.loader_state


def install(target: str) -> None:
    """Put the suite's import hook first on ``sys.meta_path`` for ``target``.

    Args:
        target: ``"cherry"`` (``cherrypy`` is Cherry through its compat layer) or
            ``"cherrypy"`` (the real CherryPy).

    Raises:
        ValueError: for any other target.
    """
    if target not in TARGETS:
        raise ValueError(f"{TARGET_ENV} must be one of {TARGETS}, not {target!r}")
    helpers: dict[str, str] = {}
    if target == "cherry":
        from framework import compat

        compat.install()
        helpers = {name: real for name, real in HELPERS.items() if name not in compat.ALIASES}
    sys.meta_path.insert(0, _SuiteFinder(helpers))


def install_from_environ() -> None:
    """Install the hook when the runner asked for it through ``CHERRY_SUITE_TARGET``."""
    target = os.environ.get(TARGET_ENV)
    if target:
        install(target)
