"""Run a script's ``if __name__ == "__main__":`` block with the engine captured.

A CherryPy script often keeps its whole setup in that block::

    if __name__ == "__main__":
        cherrypy.config.update({"server.socket_port": 9090})
        cherrypy.quickstart(Root(), "/", {"/static": {"tools.staticdir.on": True, ...}})

Importing the module runs none of it, so serving ``Root`` alone would drop every mount
and config the block sets. :func:`run_main_block` runs the block after the module is
imported, in the module's own namespace (its tracebacks name the script's lines),
with the engine captured for the duration:

- ``engine.start()`` (and so ``quickstart``) records that the script would serve, and
  returns at once; ``engine.block()``, ``engine.exit()``, ``engine.stop()`` and
  ``engine.signals.subscribe()`` return at once too, so the block runs to its end
  without serving anything or taking the process's signals itself;
- ``tree.mount``, ``tree.graft``, ``config.update`` and the ``server.*`` settings act
  as they always do: after the block, ``framework.tree`` holds every app the script
  mounted, with its config, and ``framework.server`` its address;
- ``sys.argv`` is the script alone, as when it is run with ``python script.py``.

The toolchain then serves (or lists, checks, profiles) what the block built. A block
only runs when the module calls something that serves (:func:`serves`): a block that
parses command-line arguments to run some other tool is never started by ``cherry``.
"""

from __future__ import annotations

import ast
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["MainBlock", "main_block", "run_main_block", "serves"]

# Calls that mean "this script serves": quickstart(...), <x>.tree.mount(...),
# <x>.tree.graft(...), <x>.engine.start() / .block().
_SERVING_CALLS = {("tree", "mount"), ("tree", "graft"), ("engine", "start"), ("engine", "block")}
# Engine methods that would run or stop the process: they return at once while captured.
_CAPTURED = ("start", "block", "exit", "stop", "wait")


@dataclass
class MainBlock:
    """What running a script's ``__main__`` block did.

    Attributes:
        path: the script.
        mounted: the script names of the apps the block mounted or grafted.
        started: the block called ``engine.start()`` (``quickstart`` does).
    """

    path: Path
    mounted: list[str] = field(default_factory=list)
    started: bool = False


def main_block(source: str) -> ast.If | None:
    """The module's top-level ``if __name__ == "__main__":`` statement, or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None  # the import reports it
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_test(node.test):
            return node
    return None


def _is_main_test(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and texts == ["__main__"]


def serves(source: str) -> bool:
    """True if the module calls ``quickstart``, ``tree.mount``/``graft`` or
    ``engine.start``/``block`` anywhere (its main block, or a function it calls)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            chain = _chain(node.func)
            if chain[-1:] == ("quickstart",) or tuple(chain[-2:]) in _SERVING_CALLS:
                return True
    return False


def _chain(node: ast.expr) -> tuple[str, ...]:
    """``a.b.c`` as ``("a", "b", "c")`` (the names a call is made through)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


def run_main_block(module: ModuleType) -> MainBlock | None:
    """Run ``module``'s ``__main__`` block with the engine captured (see the module doc).

    Args:
        module: the imported script or module.

    Returns:
        What the block did, or None when the module has no block that serves.

    Raises:
        Exception: whatever the block raises (the caller reports it as the app's error).
    """
    filename = getattr(module, "__file__", None)
    if not filename or not filename.endswith(".py"):
        return None
    path = Path(filename)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    block = main_block(source)
    if block is None or not serves(source):
        return None
    code = compile(ast.Module(body=block.body, type_ignores=[]), str(path), "exec")
    import framework

    before = dict(framework.tree.apps)
    result = MainBlock(path)
    with _captured(framework.engine, result), _argv(str(path)):
        exec(code, module.__dict__)
    result.mounted = sorted(
        name for name, app in framework.tree.apps.items() if before.get(name) is not app
    )
    return result


@contextlib.contextmanager
def _captured(engine: Any, result: MainBlock) -> Iterator[None]:
    """Make the engine's start/block/exit/stop/wait return at once, noting a start."""

    def start() -> None:
        result.started = True

    def nothing(*args: Any, **kwargs: Any) -> None:
        return None

    signals = getattr(engine, "signals", None)
    for name in _CAPTURED:
        setattr(engine, name, start if name == "start" else nothing)
    if signals is not None:
        signals.subscribe = nothing
    try:
        yield
    finally:
        for name in _CAPTURED:
            with contextlib.suppress(AttributeError):
                delattr(engine, name)
        if signals is not None:
            with contextlib.suppress(AttributeError):
                del signals.subscribe


@contextlib.contextmanager
def _argv(script: str) -> Iterator[None]:
    saved = sys.argv
    sys.argv = [script]
    try:
        yield
    finally:
        sys.argv = saved
