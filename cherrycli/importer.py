"""Resolve a TARGET string to the app object it names, with exact error messages.

``serve``, ``routes`` and ``profile`` accept the same TARGET forms:

- ``pkg.module:attr`` (``attr`` may be dotted: ``pkg.app:site.root``);
- ``pkg.module`` or ``path/to/app.py`` without an attribute: the module's
  ``application``, ``app``, ``Root`` or ``root``, else its only class that publishes
  handlers;
- ``path/to/app.py:Root``;
- nothing: ``CHERRY_APP`` or ``app`` in ``[tool.cherry]`` of the nearest pyproject.toml.

What is found is returned as is (a root object, a root class, an ``Application``, a
``Tree`` or a plain WSGI callable) in a :class:`LoadedTarget`, with :func:`classify`
naming which. Every failure is a :class:`~cherrycli.errors.CliError` that tells apart a
module that does not exist, an attribute that is missing and an exception raised while
the module was importing (quoting that exception's own last line and location).
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from cherrycli.errors import USAGE_EXIT, CliError
from cherrycli.settings import Settings, load_settings

__all__ = [
    "DEFAULT_NAMES",
    "LoadedTarget",
    "classify",
    "load_target",
    "parse_target",
    "resolve_target",
]

# Looked up in this order when TARGET names a module or file but no attribute.
DEFAULT_NAMES = ("application", "app", "Root", "root")

_FILE_RE = re.compile(r"^(?P<path>.+\.py)(?::(?P<attr>[^:]+))?$")
_MODULE_RE = re.compile(r"^(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::(?P<attr>[^:]+))?$")
_ATTR_RE = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
_HINT_FORMS = "use pkg.module:attr, path/to/app.py or path/to/app.py:Root"


@dataclass(frozen=True)
class LoadedTarget:
    """What a TARGET resolved to.

    Attributes:
        obj: the object found (root object or class, Application, Tree, WSGI callable).
        spec: the TARGET string as resolved (``module:attr``).
        module: the imported module holding ``obj``.
        kind: what ``obj`` is, see :func:`classify`.
        source: where TARGET came from ("argument", "CHERRY_APP" or a pyproject path).
    """

    obj: Any
    spec: str
    module: ModuleType
    kind: str
    source: str


def classify(obj: object) -> str:
    """Name what kind of app object ``obj`` is.

    Returns:
        ``"application"`` (a mounted app: has ``root``, ``script_name`` and ``config``),
        ``"tree"`` (a mount table: has ``apps``), ``"class"`` (a root class to
        instantiate), ``"wsgi"`` (a callable publishing no handlers) or ``"root"``.
    """
    if isinstance(obj, type):
        return "class"
    if all(hasattr(obj, name) for name in ("root", "script_name", "config")) and callable(obj):
        return "application"
    if isinstance(getattr(obj, "apps", None), dict) and callable(obj):
        return "tree"
    if callable(obj) and not _publishes(obj):
        return "wsgi"
    return "root"


def _publishes(obj: object) -> bool:
    """True if ``obj`` or one of its public attributes is exposed."""
    if getattr(obj, "exposed", False) is True:
        return True
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            value = inspect.getattr_static(obj, name)
        except AttributeError:
            continue
        if getattr(value, "exposed", False) is True or name in ("index", "default"):
            return True
    return False


def parse_target(target: str) -> tuple[str, str | None, Path | None]:
    """Split TARGET into (module name, attribute or None, file path or None).

    For a file target the module name is the dotted name the file is imported under.

    Raises:
        CliError: (exit 2) if TARGET has neither form, or the file does not exist.
    """
    target = target.strip()
    file_match = _FILE_RE.match(target)
    if file_match:
        path = Path(file_match["path"])
        attr = file_match["attr"]
        if attr is not None and not _ATTR_RE.match(attr):
            raise CliError(
                f"invalid attribute {attr!r} in {target!r}", hint=_HINT_FORMS, exit_code=USAGE_EXIT
            )
        if not path.is_file():
            raise CliError(f"file {str(path)!r} not found", exit_code=USAGE_EXIT)
        return _module_name_for(path.resolve()), attr, path.resolve()
    module_match = _MODULE_RE.match(target)
    if module_match is None:
        raise CliError(f"invalid TARGET {target!r}", hint=_HINT_FORMS, exit_code=USAGE_EXIT)
    attr = module_match["attr"]
    if attr is not None and not _ATTR_RE.match(attr):
        raise CliError(
            f"invalid attribute {attr!r} in {target!r}", hint=_HINT_FORMS, exit_code=USAGE_EXIT
        )
    return module_match["module"], attr, None


def _module_name_for(path: Path) -> str:
    """Dotted name of a .py file, climbing through parent packages (``__init__.py``)."""
    parts = [] if path.stem == "__init__" else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts)


def _import_root_for(path: Path) -> Path:
    directory = path.parent
    while (directory / "__init__.py").is_file():
        directory = directory.parent
    return directory


def _prepend_sys_path(directory: Path) -> None:
    entry = str(directory)
    if entry not in sys.path:
        sys.path.insert(0, entry)


def _forget_if_other_file(module_name: str, path: Path) -> None:
    """Drop a cached module of the same name that came from another file."""
    cached = sys.modules.get(module_name)
    cached_file = getattr(cached, "__file__", None)
    if cached is not None and (cached_file is None or Path(cached_file).resolve() != path):
        del sys.modules[module_name]


def _exception_line(error: BaseException) -> str:
    """The exception's own last line plus where it happened (file:line)."""
    if isinstance(error, SyntaxError):
        detail = f"{type(error).__name__}: {error.msg}"
        where = f"{error.filename}:{error.lineno}" if error.filename else ""
    else:
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{detail} ({where})" if where else detail


def _import(module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise CliError(
                f"module {module_name!r} not found",
                hint="run cherry from your project directory or check the name",
            ) from None
        raise CliError(f"error while importing {module_name!r}: {_exception_line(error)}") from None
    except (Exception, SystemExit) as error:
        raise CliError(f"error while importing {module_name!r}: {_exception_line(error)}") from None


def _get_attr(module: ModuleType, attr: str) -> Any:
    obj: Any = module
    walked = []
    for part in attr.split("."):
        walked.append(part)
        try:
            obj = getattr(obj, part)
        except AttributeError:
            owner = (
                module.__name__
                if len(walked) == 1
                else f"{module.__name__}:{'.'.join(walked[:-1])}"
            )
            candidates = _candidates(module)
            hint = f"candidates: {', '.join(candidates)}" if candidates else None
            raise CliError(f"{owner!r} has no attribute {part!r}", hint=hint) from None
        except Exception as error:
            raise CliError(
                f"error while reading {module.__name__}:{attr}: {_exception_line(error)}"
            ) from None
    return obj


def _candidates(module: ModuleType) -> list[str]:
    """Public names in ``module`` that look like apps (for hints and defaults)."""
    found = []
    for name, value in vars(module).items():
        if name.startswith("_") or inspect.ismodule(value):
            continue
        kind = classify(value)
        if kind in ("application", "tree"):
            found.append(name)
        elif kind in ("class", "root"):
            cls = value if kind == "class" else type(value)
            # Skip names merely imported into the module (framework classes and the like).
            if cls.__module__ == module.__name__ and _publishes(value):
                found.append(name)
    return sorted(found)


def _default_attr(module: ModuleType) -> str:
    for name in DEFAULT_NAMES:
        if hasattr(module, name):
            return name
    candidates = _candidates(module)
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise CliError(
            f"module {module.__name__!r} holds several apps: {', '.join(candidates)}",
            hint=f"name one, e.g. {module.__name__}:{candidates[0]}",
            exit_code=USAGE_EXIT,
        )
    raise CliError(
        f"no app found in module {module.__name__!r}",
        hint=f"define one of {', '.join(DEFAULT_NAMES)} or name it as {module.__name__}:attr",
    )


def load_target(target: str | None = None, settings: Settings | None = None) -> LoadedTarget:
    """Import and return the app object TARGET names.

    Args:
        target: ``pkg.module[:attr]`` or ``path/to/file.py[:attr]``; when None or empty,
            ``CHERRY_APP`` / ``[tool.cherry] app`` is used.
        settings: toolchain settings; loaded from the working directory when None.

    Returns:
        The :class:`LoadedTarget`.

    Raises:
        CliError: when no target is configured, the module or file does not exist, the
            attribute is missing, or importing the module raised an exception.
    """
    source = "argument"
    if not target:
        settings = settings or load_settings()
        target = settings.get_str("app")
        if target is None:
            raise CliError(
                "no TARGET given and no app configured",
                hint='pass pkg.module:attr, or set app = "pkg.app:Root" in [tool.cherry] '
                "of pyproject.toml, or CHERRY_APP",
                exit_code=USAGE_EXIT,
            )
        source = settings.sources.get("app", "settings")
        # A pyproject's app is importable from the project root, wherever cherry runs.
        if not source.startswith("CHERRY_"):
            _prepend_sys_path(settings.root)
    module_name, attr, path = parse_target(target)
    _prepend_sys_path(_import_root_for(path) if path is not None else Path.cwd())
    if path is not None:
        _forget_if_other_file(module_name, path)
    module = _import(module_name)
    attr = attr or _default_attr(module)
    obj = _get_attr(module, attr)
    return LoadedTarget(
        obj=obj, spec=f"{module_name}:{attr}", module=module, kind=classify(obj), source=source
    )


def resolve_target(target: str | None = None, settings: Settings | None = None) -> Any:
    """Return just the object TARGET names (see :func:`load_target`).

    Raises:
        CliError: as :func:`load_target`.
    """
    return load_target(target, settings).obj
