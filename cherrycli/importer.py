"""Resolve a TARGET string to the app object it names, with exact error messages.

``serve``, ``routes`` and ``profile`` accept the same TARGET forms:

- ``pkg.module:attr`` (``attr`` may be dotted: ``pkg.app:site.root``);
- ``pkg.module`` or ``path/to/app.py`` without an attribute: the module's
  ``application``, ``app``, ``Root`` or ``root``, else its only class that publishes
  handlers;
- ``path/to/app.py:Root``;
- nothing: ``CHERRY_APP`` or ``app`` in ``[tool.cherry]`` of the nearest pyproject.toml.

What is found is returned as is (a root object, a root class, an ``Application``, a
``Tree`` or a plain WSGI callable) in a :class:`LoadedTarget`, with
:func:`framework.introspect.classify` naming which: the framework's route model decides
what publishes, so the importer, ``cherry routes`` and the test client agree. Anything
else (``42``, a list, an instance that exposes nothing, a function that cannot take
``(environ, start_response)``) is refused by :func:`require_app` rather than served as
a site that answers 404 everywhere.

Every failure is a :class:`~cherrycli.errors.CliError` that tells apart a module or file
that does not exist (a usage error, exit 2), an attribute that is missing or not an app,
and an exception raised while the module was importing (quoting that exception's own
last line and location; exit 1). A module written for CherryPy (``import cherrypy``)
loaded without the compat aliases is refused with a hint to add ``--compat``: on the
real CherryPy it would mount itself on CherryPy's tree and Cherry would serve nothing.
"""

from __future__ import annotations

import functools
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
    "load_target",
    "parse_target",
    "require_app",
    "resolve_target",
]

# Looked up in this order when TARGET names a module or file but no attribute.
DEFAULT_NAMES = ("application", "app", "Root", "root")

_FILE_RE = re.compile(r"^(?P<path>.+\.py)(?::(?P<attr>[^:]+))?$")
_MODULE_RE = re.compile(r"^(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::(?P<attr>[^:]+))?$")
_ATTR_RE = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
_HINT_FORMS = "use pkg.module:attr, path/to/app.py or path/to/app.py:Root"
_HINT_COMPAT = "this app imports cherrypy: add --compat (or compat = true in [tool.cherry])"
_NOT_AN_APP = "not a root object, class, Application or WSGI callable"


@dataclass(frozen=True)
class LoadedTarget:
    """What a TARGET resolved to.

    Attributes:
        obj: the object found (root object or class, Application, Tree, WSGI callable).
        spec: the TARGET string as resolved (``module:attr``).
        module: the imported module holding ``obj``.
        kind: what ``obj`` is, see :func:`framework.introspect.classify`.
        source: where TARGET came from ("argument", "CHERRY_APP" or a pyproject path).
        notes: lines to show the user about how TARGET was read (a script's
            ``__main__`` block that was run).
    """

    obj: Any
    spec: str
    module: ModuleType
    kind: str
    source: str
    notes: tuple[str, ...] = ()


def require_app(obj: object, spec: str) -> str:
    """Return :func:`framework.introspect.classify` of ``obj``, refusing what cannot be served.

    A class is refused only when it publishes nothing and has neither an ``__init__``
    of its own nor a property (either could lead to exposed children on an instance);
    mount its instance through this again.

    Args:
        obj: the object TARGET names (or a root class's instance).
        spec: TARGET as resolved, for the message.

    Returns:
        The kind, never ``"other"``.

    Raises:
        CliError: (exit 1) ``obj`` is a value, an object exposing nothing, or a function
            that cannot be called as WSGI.
    """
    from framework.introspect import classify, publishes

    kind = classify(obj)
    if isinstance(obj, type):  # classify says "class"
        own_init = getattr(obj, "__init__", object.__init__) is not object.__init__
        if own_init or _has_properties(obj) or publishes(obj):
            return kind
    elif kind != "other":
        return kind
    if obj is None:
        raise CliError(f"{spec} is None, {_NOT_AN_APP}")
    kind_name = type(obj).__name__
    if type(obj).__module__ == "builtins" and not callable(obj):
        article = "an" if kind_name[:1].lower() in "aeiou" else "a"
        raise CliError(f"{spec} is {article} {kind_name}, {_NOT_AN_APP}")
    if callable(obj) and not isinstance(obj, type):
        raise CliError(
            f"{spec} cannot be called as a WSGI app (environ, start_response)",
            hint="point TARGET at the root object, root class, Application or WSGI callable",
        )
    raise CliError(
        f"{spec} publishes nothing: no exposed method",
        hint="decorate its handlers with @expose (or set exposed = True)",
    )


def _has_properties(cls: type) -> bool:
    """True if ``cls`` defines a property, which only an instance can evaluate."""
    return any(
        isinstance(value, property | functools.cached_property)
        for owner in cls.__mro__
        for value in vars(owner).values()
    )


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


def _not_found_hint(target: str | None) -> str:
    """Advice for a TARGET naming no module, from what the user most likely meant.

    ``cherry profile health`` (a URL path without its ``/``) and ``cherry routes
    README.md`` (some other file) both parse as module names; saying only that the
    module is missing would not tell what a TARGET is.
    """
    plain = target.strip() if target else ""
    if not plain or ":" in plain:
        return "run cherry from your project directory or check the name"
    path = Path(plain)
    if path.suffix and path.is_file():
        return f"{plain} is not a Python file: TARGET is pkg.module:attr, app.py or app.py:Root"
    if not path.exists():
        return "a TARGET is pkg.module:attr or app.py; URL paths start with /"
    return "run cherry from your project directory or check the name"


def _import(module_name: str, target: str | None = None) -> ModuleType:
    """Import ``module_name``; refuse a CherryPy app loaded without the compat aliases.

    ``target`` is TARGET as typed, used only to word the hint when nothing is found.
    """
    had_cherrypy = "cherrypy" in sys.modules
    needs_compat = ""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise CliError(
                f"module {module_name!r} not found",
                hint=_not_found_hint(target),
                exit_code=USAGE_EXIT,
            ) from None
        if not _is_cherrypy(missing) or _compat_installed():
            raise CliError(
                f"error while importing {module_name!r}: {_exception_line(error)}"
            ) from None
        # Raised below, outside this handler: the fix is a flag, not the app's code, so
        # the reload worker shows this line instead of a traceback page.
        needs_compat = _exception_line(error)
    except (Exception, SystemExit) as error:
        raise CliError(f"error while importing {module_name!r}: {_exception_line(error)}") from None
    if needs_compat:
        raise CliError(f"error while importing {module_name!r}: {needs_compat}", hint=_HINT_COMPAT)
    if _uses_real_cherrypy(module, had_cherrypy):
        raise CliError(
            f"{module_name!r} runs on the real CherryPy, so Cherry would serve nothing",
            hint=_HINT_COMPAT,
        )
    return module


def _is_cherrypy(name: object) -> bool:
    return isinstance(name, str) and (name == "cherrypy" or name.startswith("cherrypy."))


def _compat_installed() -> bool:
    """True while ``framework.compat`` aliases ``cherrypy`` (never imports the framework)."""
    compat = sys.modules.get("framework.compat")
    return compat is not None and bool(compat.installed())


def _uses_real_cherrypy(module: ModuleType, had_cherrypy: bool) -> bool:
    """True if importing ``module`` loaded the real CherryPy, or it holds CherryPy names."""
    if _compat_installed():
        return False
    if not had_cherrypy and "cherrypy" in sys.modules:
        return True
    for value in list(vars(module).values()):
        try:
            owner = value.__name__ if inspect.ismodule(value) else value.__module__
        except Exception:  # no __module__, or a __getattr__ that raises something else
            continue
        if _is_cherrypy(owner):
            return True
    return False


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
    from framework.introspect import classify, publishes

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
            if cls.__module__ == module.__name__ and publishes(value):
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
        CliError: exit 2 when no target is configured or the module or file does not
            exist; exit 1 when the attribute is missing or not an app (see
            :func:`require_app`), importing the module raised an exception, or the module
            is a CherryPy app loaded without the compat aliases.
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
    module = _import(module_name, target)
    block = _run_main_block(module, module_name)
    if block is not None:
        served = _main_block_target(module, module_name, attr, block, source)
        if served is not None:
            return served
    attr = attr or _default_attr(module)
    obj = _get_attr(module, attr)
    spec = f"{module_name}:{attr}"
    return LoadedTarget(
        obj=obj, spec=spec, module=module, kind=require_app(obj, spec), source=source
    )


def _run_main_block(module: ModuleType, module_name: str) -> Any:
    """Run the module's serving ``__main__`` block (:mod:`cherrycli.script`), if any.

    Raises:
        CliError: the block raised (exit 1; the exception is the error's context).
    """
    from cherrycli.script import run_main_block

    try:
        return run_main_block(module)
    except (Exception, SystemExit) as error:
        raise CliError(
            f"error while running the __main__ block of {module_name!r}: {_exception_line(error)}"
        ) from None


def _main_block_target(
    module: ModuleType, module_name: str, attr: str | None, block: Any, source: str
) -> LoadedTarget | None:
    """The mount tree the block built, or None to fall back to TARGET's attribute.

    Raises:
        CliError: the block mounted nothing and the module holds no app either.
    """
    import framework

    name = Path(block.path).name
    if not framework.tree.apps:
        named = attr is not None or any(hasattr(module, n) for n in DEFAULT_NAMES)
        if not named and not _candidates(module):
            raise CliError(
                f"{name} mounts no app: its __main__ block ran without "
                "quickstart(root) or tree.mount(root)",
                hint=f"mount the root object in the block, or name it: {name}:Root",
            )
        return None
    mounts = ", ".join(sorted(p or "/" for p in framework.tree.apps))
    note = f"note: ran the __main__ block of {name}: serving what it mounts ({mounts})"
    if attr is not None:
        note += f", not {attr} alone"
    return LoadedTarget(
        obj=framework.tree,
        spec=f"{module_name}:__main__",
        module=module,
        kind="tree",
        source=source,
        notes=(note,),
    )


def resolve_target(target: str | None = None, settings: Settings | None = None) -> Any:
    """Return just the object TARGET names (see :func:`load_target`).

    Raises:
        CliError: as :func:`load_target`.
    """
    return load_target(target, settings).obj
