"""Import typer's rich help formatter without the two rich modules it never uses here.

``typer.rich_utils`` (imported to draw every ``--help`` and usage error) imports
``rich.markdown`` (which pulls in markdown-it) and ``rich.traceback`` (which pulls in
pygments) at module level. The ``cherry`` app uses neither: its markup mode is
``rich``, not ``markdown``, and typer's pretty exceptions are switched off. Together
they are over a third of ``cherry --help``'s start-up time.

:func:`import_rich_utils` imports ``typer.rich_utils`` while ``sys.modules`` holds a
stand-in for each of the two modules, then takes the stand-ins out again, so any later
``import rich.markdown`` gets the real module. The only thing ``typer.rich_utils``
keeps is the stand-in class (``Markdown``, ``Traceback``): it loads the real class the
first time it is called, instantiated, checked against or asked for an attribute,
so even if typer did use it, it would behave like the real one.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__all__ = ["DEFERRED", "import_rich_utils"]

#: Module -> the one name typer.rich_utils imports from it.
DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


def _real(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def _stand_in(module: str, name: str) -> type:
    """A class that forwards everything to ``module.name``, imported on first use."""

    class _Deferred(type):
        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            return _real(module, name)(*args, **kwargs)

        def __getattr__(cls, attr: str) -> Any:
            return getattr(_real(module, name), attr)

        def __instancecheck__(cls, obj: object) -> bool:
            return isinstance(obj, _real(module, name))

    return _Deferred(name, (), {"__module__": module, "__qualname__": name})


def import_rich_utils() -> None:
    """Import ``typer.rich_utils`` without loading ``rich.markdown``/``rich.traceback``."""
    if "typer.rich_utils" in sys.modules:
        return
    placed: dict[str, types.ModuleType] = {}
    for module, name in DEFERRED.items():
        if module not in sys.modules:
            stub = types.ModuleType(module)
            setattr(stub, name, _stand_in(module, name))
            sys.modules[module] = placed[module] = stub
    try:
        importlib.import_module("typer.rich_utils")
    except ImportError:  # pragma: no cover - typer without rich: plain click help
        pass
    finally:
        for module, stub in placed.items():
            if sys.modules.get(module) is stub:
                del sys.modules[module]
