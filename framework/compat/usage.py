"""Which CherryPy names and config keys an application uses that Cherry lacks or changes.

``cherry check --compat`` and ``cherry serve --compat`` report, before the first
request, every use of a name or config key that the compatibility table
(:mod:`framework.compat.surface`, ``docs/compat.md``) lists as not provided or
different, with the table's reason::

    from framework.compat.usage import unsupported_usage

    for usage in unsupported_usage():      # framework.config, framework.tree, app modules
        print(usage)                       # app.py:12: cherrypy.lib.covercp is not provided: ...

Names are found by reading the source of the application's modules (never by running
it again): ``import cherrypy.lib.x``, ``from cherrypy.lib import x``, and attribute
chains such as ``cherrypy.tools.proxy`` or ``cp.lib.covercp.serve`` after
``import cherrypy as cp``. Config keys are read from the global config and from each
mounted application's config (``tools.proxy.on`` stands for ``cherrypy.tools.proxy``).
"""

from __future__ import annotations

import ast
import sys
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framework.compat.surface import WORKS_STATUS, Entry, config_entry, lookup

__all__ = [
    "Usage",
    "app_modules",
    "keys_in_config",
    "names_in_file",
    "names_in_source",
    "unsupported_usage",
]

_ROOT = "cherrypy"


@dataclass(frozen=True)
class Usage:
    """One use of a CherryPy name or config key that does not simply work.

    Attributes:
        entry: the table's entry (name or key, status, reason).
        where: ``file:line`` for a name, ``config [section]`` for a key.
    """

    entry: Entry
    where: str

    def __str__(self) -> str:
        return f"{self.where}: {self.entry.name} is {self.entry.status}: {self.entry.reason}"


class _NameCollector(ast.NodeVisitor):
    """Collects the ``cherrypy...`` names a module refers to, with their line numbers."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}  # local name -> the cherrypy name it stands for
        self.found: list[tuple[str, int]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == _ROOT or alias.name.startswith(_ROOT + "."):
                self.found.append((alias.name, node.lineno))
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    self.aliases[_ROOT] = _ROOT

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not (module == _ROOT or module.startswith(_ROOT + ".")):
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            name = f"{module}.{alias.name}"
            self.found.append((name, node.lineno))
            self.aliases[alias.asname or alias.name] = name

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = _chain(node)
        if chain is None:
            self.generic_visit(node)
            return
        head, _, rest = chain.partition(".")
        base = self.aliases.get(head)
        if base is None:
            self.generic_visit(node)
            return
        self.found.append((f"{base}.{rest}", node.lineno))
        # The whole chain was recorded: its inner Attribute nodes are prefixes of it.


def _chain(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _listed_entry(name: str) -> Entry:
    """The table's entry for the shortest prefix of ``name`` that does not simply work.

    ``cherrypy.lib.covercp.serve`` is reported as ``cherrypy.lib.covercp`` (the module
    is not provided); ``cherrypy.checker.on`` as ``cherrypy.checker``.
    """
    parts = name.split(".")
    for end in range(2, len(parts) + 1):
        candidate = ".".join(parts[:end])
        entry = lookup(candidate)
        if entry.status != WORKS_STATUS:
            return entry
    return Entry(name, WORKS_STATUS)


def names_in_source(source: str, filename: str = "<source>") -> list[Usage]:
    """Uses of CherryPy names in Python ``source`` that are not provided or different.

    A file that does not parse yields nothing (the import that runs it will say why).
    """
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return []
    collector = _NameCollector()
    collector.visit(tree)
    seen: set[tuple[str, int]] = set()
    usages = []
    for name, line in sorted(collector.found, key=lambda found: found[1]):
        entry = _listed_entry(name)
        if entry.status == WORKS_STATUS or (entry.name, line) in seen:
            continue
        seen.add((entry.name, line))
        usages.append(Usage(entry, f"{filename}:{line}"))
    return usages


def names_in_file(path: str | Path) -> list[Usage]:
    """:func:`names_in_source` for one file (nothing if it cannot be read)."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return names_in_source(source, str(path))


def keys_in_config(config: Mapping[str, Any], where: str = "config") -> list[Usage]:
    """Config keys (flat, or path sections of them) that are not provided or different."""
    usages = []
    for key, value in config.items():
        if isinstance(value, Mapping):
            usages += keys_in_config(value, f"{where} [{key}]")
            continue
        entry = config_entry(key)
        if entry.status != WORKS_STATUS:
            usages.append(Usage(entry, where))
    return usages


def app_modules() -> list[types.ModuleType]:
    """Loaded modules of the application: those holding a ``cherrypy`` module or name.

    Modules of the framework, the CLI and installed packages are left out.
    """
    found = []
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if not isinstance(module, types.ModuleType) or name.split(".")[0] in _SKIPPED:
            continue
        filename = getattr(module, "__file__", None)
        if not filename or "site-packages" in filename or not filename.endswith(".py"):
            continue
        if any(_is_cherrypy(value) for value in list(vars(module).values())):
            found.append(module)
    return sorted(found, key=lambda module: module.__name__)


_SKIPPED = frozenset({"framework", "cherrycli", _ROOT, "__main__"})


def _is_cherrypy(value: object) -> bool:
    if isinstance(value, types.ModuleType):
        name = value.__name__
    else:
        name = getattr(value, "__module__", None) or ""
        if not isinstance(value, type) and not callable(value):
            return False
    return name == _ROOT or name.startswith(_ROOT + ".")


def unsupported_usage(
    tree: Any = None,
    config: Mapping[str, Any] | None = None,
    files: Iterable[str | Path] | None = None,
) -> list[Usage]:
    """Every use of a not-provided or different CherryPy name or config key.

    Args:
        tree: the mount tree whose applications' config is read (default:
            ``framework.tree``).
        config: the global config (default: ``framework.config``).
        files: the application's source files (default: the files of
            :func:`app_modules`, plus ``__main__``'s file when it imported cherrypy).

    Returns:
        The uses, source files first (in file order), then config keys; each names the
        table's reason.
    """
    from framework._globals import config as global_config
    from framework._globals import tree as global_tree

    tree = tree if tree is not None else global_tree
    config = config if config is not None else global_config
    paths = list(files) if files is not None else list(_default_files())
    usages: list[Usage] = []
    for path in paths:
        usages += names_in_file(path)
    usages += keys_in_config(dict(config), "global config")
    for script_name, app in sorted(getattr(tree, "apps", {}).items()):
        app_config = getattr(app, "config", None)
        if isinstance(app_config, Mapping):
            usages += keys_in_config(app_config, f"app {script_name or '/'!r}")
    return usages


def _default_files() -> Iterator[str]:
    for module in app_modules():
        assert module.__file__ is not None
        yield module.__file__
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if main is not None and main_file and any(_is_cherrypy(v) for v in list(vars(main).values())):
        yield main_file
