"""Run unchanged CherryPy applications: make ``import cherrypy`` resolve to the framework.

This module owns the ``cherrypy`` names. :func:`install` puts one import hook at the
front of :data:`sys.meta_path`; from then on ``import cherrypy`` and the submodules
CherryPy applications import (``cherrypy.lib.static``, ``cherrypy.process.plugins``,
``cherrypy._cpdispatch``...) resolve through the single table :data:`ALIASES`::

    from framework import compat

    compat.install()
    import cherrypy               # the framework, under CherryPy's names

    class Root:
        @cherrypy.expose
        def index(self):
            return "Hello from a CherryPy app"

    cherrypy.quickstart(Root())

How the aliases look:

- a package (``cherrypy``, ``cherrypy.lib``, ``cherrypy.process``) is a thin module
  whose attributes are read live from the framework module it stands for, so
  ``cherrypy.config``, ``cherrypy.tree``, ``cherrypy.request`` are the framework's
  own objects and ``cherrypy.engine`` / ``cherrypy.server`` still load on first use;
  its aliased children (``cherrypy.lib.sessions``) are imported on first attribute
  access, as CherryPy makes them available after a bare ``import cherrypy``;
- any other alias is the framework module itself
  (``cherrypy.lib.httputil is framework.lib.httputil``).

:func:`unsupported_usage` lists the CherryPy names and config keys an application uses
that the compatibility table (``docs/compat.md``, :mod:`framework.compat.surface`) says
are not provided or behave differently, with the reason: ``cherry check --compat`` and
``cherry serve --compat`` print it before the first request.

Installing costs nothing: no framework module is imported until an alias is. A name
the table maps to a feature the framework does not have yet (or a ``cherrypy.*``
module it does not map at all, such as ``cherrypy.test``) fails at import time with
a :class:`ModuleNotFoundError` saying what is missing.

If the real CherryPy was imported before :func:`install`, its ``cherrypy*`` entries
are taken out of :data:`sys.modules` (and put back by :func:`uninstall`), so every
later ``import cherrypy`` gets the framework. Modules that already hold a reference
to the real ``cherrypy`` keep it: install the aliases before importing the app.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from framework.compat.usage import Usage

__all__ = [
    "ALIASES",
    "CHERRYPY_VERSION",
    "OVERRIDES",
    "install",
    "installed",
    "uninstall",
    "unsupported_usage",
]

#: ``cherrypy`` module name -> (framework module, the feature it provides). The feature
#: is named in the ImportError when the framework module does not exist (yet).
ALIASES: dict[str, tuple[str, str]] = {
    "cherrypy": ("framework", "the framework facade"),
    "cherrypy.dispatch": ("framework.dispatch", "the dispatchers"),
    "cherrypy._cpdispatch": ("framework.dispatch", "the dispatchers"),
    "cherrypy._cptools": ("framework.compat.tools", "tools and toolboxes"),
    "cherrypy._cperror": ("framework.errors", "HTTP errors and redirects"),
    "cherrypy._cpconfig": ("framework.core.config", "configuration"),
    "cherrypy._cptree": ("framework.compat.cptree", "applications and the mount tree"),
    "cherrypy._cprequest": ("framework.core.request", "the request object"),
    "cherrypy._cplogging": ("framework.core.log", "the error and access logs"),
    "cherrypy._cpreqbody": ("framework.body", "request bodies"),
    "cherrypy._cpserver": ("framework.process.server", "the HTTP server"),
    "cherrypy._helper": ("framework.helpers", "expose, popargs and url"),
    "cherrypy._cpwsgi": ("framework.compat.cpwsgi", "the WSGI pipeline and virtual hosts"),
    "cherrypy.daemon": ("framework.process.daemon", "the cherryd launcher"),
    "cherrypy._cpwsgi_server": ("framework.compat.cpwsgi_server", "the default HTTP server"),
    "cherrypy._cpnative_server": ("framework.compat.cpwsgi_server", "the default HTTP server"),
    "cherrypy.wsgi": ("framework.compat.cpwsgi", "the WSGI pipeline and virtual hosts"),
    "cherrypy.lib": ("framework.lib", "the tool library"),
    "cherrypy.lib.httputil": ("framework.lib.httputil", "the HTTP helpers"),
    "cherrypy.lib.cptools": ("framework.lib.cptools", "the small built-in tools"),
    "cherrypy.lib.encoding": ("framework.lib.encoding", "response encoding"),
    "cherrypy.lib.jsontools": ("framework.lib.jsontools", "the JSON tools"),
    "cherrypy.lib.static": ("framework.lib.static", "static file serving"),
    "cherrypy.lib.sessions": ("framework.lib.sessions", "sessions"),
    "cherrypy.lib.caching": ("framework.lib.caching", "response caching"),
    "cherrypy.lib.reprconf": ("framework.compat.reprconf", "config-file helpers"),
    "cherrypy.lib.headers": ("framework.headers", "the header-value grammar"),
    "cherrypy.lib.auth_basic": ("framework.lib.auth_basic", "HTTP Basic authentication"),
    "cherrypy.lib.auth_digest": ("framework.lib.auth_digest", "HTTP Digest authentication"),
    "cherrypy.lib.cpstats": ("framework.lib.cpstats", "request statistics"),
    "cherrypy.lib.xmlrpcutil": ("framework.lib.xmlrpcutil", "XML-RPC"),
    "cherrypy.lib.profiler": ("framework.lib.profiler", "the profiler"),
    "cherrypy.lib.locking": ("framework.lib.locking", "lock timers"),
    "cherrypy.process": ("framework.process", "the engine"),
    "cherrypy.process.wspbus": ("framework.process.wspbus", "the engine bus"),
    "cherrypy.process.plugins": ("framework.process.plugins", "the engine plugins"),
    "cherrypy.process.servers": ("framework.process.adapter", "the HTTP server adapter"),
}

#: Names a proxy package takes from another module than the one it stands for:
#: ``{package: {name: "module:attribute"}}``. CherryPy's per-request tool classes
#: (:mod:`framework.compat.tools`) replace the native ones under ``cherrypy.*``.
OVERRIDES: dict[str, dict[str, str]] = {
    "cherrypy": {
        "CherryPyException": "framework.errors:CherryPyException",
        "checker": "framework.checker:checker",
        "thread_data": "framework.context:thread_data",
        "Tool": "framework.compat.tools:Tool",
        "HandlerTool": "framework.compat.tools:HandlerTool",
        "HandlerWrapperTool": "framework.compat.tools:HandlerWrapperTool",
        "ErrorTool": "framework.compat.tools:ErrorTool",
        # CherryPy's process-wide cache; apps clear pages through its ``store``.
        "_cache": "framework.lib.caching:default_cache",
    },
}

#: Aliases that have aliased children: they become live proxy packages.
_PACKAGES = frozenset(name.rpartition(".")[0] for name in ALIASES if "." in name)

#: Dunder names a proxy package reads from its framework module (others stay its own).
_FORWARDED_DUNDERS = frozenset({"__all__"})

#: The CherryPy release whose behaviour this layer matches: ``cherrypy.__version__``.
#: (``framework.__version__`` stays Cherry's own.) CherryPy apps check it at import.
CHERRYPY_VERSION = "18.10.0"

#: ``framework._globals`` singletons an app may replace through ``cherrypy.<name> = ...``.
_REPLACEABLE_SINGLETONS = frozenset({"tree"})

#: ``framework`` proxies of the current request's objects: ``del cherrypy.<name>`` keeps them.
_CONTEXT_PROXIES = frozenset({"request", "response", "session", "serving"})

_ROOT = "cherrypy"
#: ``python -m cherrypy`` runs this alias: the cherryd launcher.
_MAIN = "cherrypy.__main__"


def _is_ours(name: str) -> bool:
    return name == _ROOT or name.startswith(_ROOT + ".")


class _AliasPackage(types.ModuleType):
    """A ``cherrypy`` package whose attributes are its framework module's, read live."""

    def __init__(self, name: str, target: types.ModuleType) -> None:
        super().__init__(name, target.__doc__)
        self.__path__: list[str] = []
        self._compat_target = target

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails, i.e. for everything but the
        # submodules already imported through this alias.
        if name.startswith("__") and name.endswith("__") and name not in _FORWARDED_DUNDERS:
            raise AttributeError(name)
        child = f"{self.__name__}.{name}"
        if child in ALIASES:
            try:
                return importlib.import_module(child)
            except ImportError as exc:
                raise AttributeError(str(exc)) from exc
        override = OVERRIDES.get(self.__name__, {}).get(name)
        if override is not None:
            module_name, _, attr = override.partition(":")
            value = getattr(importlib.import_module(module_name), attr)
            super().__setattr__(name, value)  # cached on the alias, never on the framework
            return value
        target = self._compat_target
        try:
            return getattr(target, name)
        except AttributeError:
            raise AttributeError(
                f"module {self.__name__!r} (an alias of {target.__name__!r}) "
                f"has no attribute {name!r}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        # COMPAT: CherryPy apps (and its test helper) replace module globals, e.g.
        # ``cherrypy.tree = cherrypy._cptree.Tree()``: the framework must see the new
        # object, so public writes go to the framework module (and to the singletons
        # module for the mount tree). Submodules and private names stay on the alias.
        if name.startswith("_") or isinstance(value, types.ModuleType):
            super().__setattr__(name, value)
            return
        target = self._compat_target
        setattr(target, name, value)
        if target.__name__ == "framework" and name in _REPLACEABLE_SINGLETONS:
            setattr(importlib.import_module("framework._globals"), name, value)

    def __delattr__(self, name: str) -> None:
        if name in vars(self):
            super().__delattr__(name)
            return
        target = self._compat_target
        if target.__name__ == "framework" and name in _CONTEXT_PROXIES:
            # COMPAT: CherryPy creates ``cherrypy.session`` when the first session
            # starts, and code that switches stores deletes it to start afresh (its
            # session tests do). Cherry's proxy holds no state (it reads the current
            # request), so it stays: the next request's session is the new store's.
            return
        if name.startswith("_"):
            raise AttributeError(name)
        delattr(target, name)

    def __dir__(self) -> list[str]:
        parent = self.__name__
        children = {
            child for name in ALIASES for head, _, child in [name.rpartition(".")] if head == parent
        }
        return sorted(set(super().__dir__()) | set(dir(self._compat_target)) | children)

    def __repr__(self) -> str:
        return f"<module {self.__name__!r} (alias of {self._compat_target.__name__!r})>"


def _main_spec() -> importlib.machinery.ModuleSpec | None:
    """``cherrypy.__main__``: the cherryd launcher's own source, which runpy executes."""
    launcher = importlib.util.find_spec("framework.process.daemon")
    if launcher is None or launcher.origin is None:  # pragma: no cover - always shipped
        return None
    loader = importlib.machinery.SourceFileLoader(_MAIN, launcher.origin)
    return importlib.util.spec_from_file_location(_MAIN, launcher.origin, loader=loader)


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The import hook: finds and loads every ``cherrypy`` name from :data:`ALIASES`."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """Return a spec for an aliased name; refuse other ``cherrypy.*`` names.

        Raises:
            ModuleNotFoundError: for a ``cherrypy`` submodule the table does not map.
        """
        if not _is_ours(fullname):
            return None
        if fullname == _MAIN:
            return _main_spec()
        if fullname not in ALIASES:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: the CherryPy compatibility layer "
                "(framework.compat) does not provide it.",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname in _PACKAGES)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        """Import the framework module behind ``spec.name`` and return its alias.

        Raises:
            ModuleNotFoundError: if that framework module does not exist.
        """
        target_name, feature = ALIASES[spec.name]
        try:
            target = importlib.import_module(target_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if missing != target_name and not target_name.startswith(missing + "."):
                raise  # the framework module exists but one of its imports failed
            raise ModuleNotFoundError(
                f"{spec.name} is not available: the framework does not provide "
                f"{feature} yet ({target_name} is missing).",
                name=spec.name,
            ) from None
        if spec.name in _PACKAGES:
            package = _AliasPackage(spec.name, target)
            if spec.name == _ROOT:
                package.__version__ = CHERRYPY_VERSION
                importlib.import_module("framework.compat.tools").adopt_default_toolbox()
            return package
        # importlib stamps the alias spec on the module it gets back; keep the
        # framework module's own spec to restore in exec_module().
        spec.loader_state = target.__spec__
        return target

    def exec_module(self, module: types.ModuleType) -> None:
        """Finish loading: the framework module already ran, restore its own spec."""
        spec = module.__spec__
        if spec is not None and spec.loader_state is not None:
            module.__spec__ = spec.loader_state


_FINDER = _AliasFinder()
_lock = threading.Lock()
#: ``cherrypy*`` modules (the real CherryPy) taken out of sys.modules by install().
_saved: dict[str, types.ModuleType] = {}


def installed() -> bool:
    """Return True while the ``cherrypy`` aliases are installed."""
    return _FINDER in sys.meta_path


def install() -> None:
    """Make ``import cherrypy`` (and its submodules) resolve to the framework.

    Idempotent. Any real CherryPy modules already imported are set aside until
    :func:`uninstall`, so later imports get the framework either way.
    """
    with _lock:
        if _FINDER in sys.meta_path:
            return
        for name in [name for name in sys.modules if _is_ours(name)]:
            _saved[name] = sys.modules.pop(name)
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Remove the aliases and put back whatever ``cherrypy`` modules install() set aside.

    Idempotent. Modules that imported ``cherrypy`` meanwhile keep the alias they got.
    """
    with _lock:
        if _FINDER not in sys.meta_path:
            return
        sys.meta_path.remove(_FINDER)
        for name in [name for name in sys.modules if _is_ours(name)]:
            del sys.modules[name]
        compat_tools = sys.modules.get("framework.compat.tools")
        if compat_tools is not None:
            compat_tools.restore_default_toolbox()
        sys.modules.update(_saved)
        _saved.clear()


def unsupported_usage(
    tree: Any = None, config: Any = None, files: Iterable[str | Path] | None = None
) -> list[Usage]:
    """Every CherryPy name or config key the app uses that Cherry lacks or changes.

    Each :class:`~framework.compat.usage.Usage` says where (``file:line`` or the config
    section) and carries the compatibility table's status and reason. See
    :func:`framework.compat.usage.unsupported_usage` for the arguments.
    """
    from framework.compat.usage import unsupported_usage as find

    return find(tree, config, files)
