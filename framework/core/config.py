"""Configuration: the global config, namespaces, environments and app-config merging.

There are three levels, merged in CherryPy's order for every path: the global
config (``framework.config``), the application's path sections (``[/]``,
``[/blog]``...; a deeper path wins) and ``_cp_config`` on the objects and handlers
along the path. Each level can come from a dict, a file name or an open file
(INI sections whose values are Python literals, parsed by :mod:`framework.configfile`
without ``eval``).

Keys are namespaced: ``request.*``, ``response.*``, ``tools.*``, ``hooks.*``,
``error_page.*`` apply per request (see :mod:`framework.core.plan`); ``server.*``,
``engine.*``, ``log.*`` and ``environment`` act immediately when the global config is
updated. Every change bumps :data:`generation`, which invalidates the per-path
caches of every application.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeVar

__all__ = [
    "ENVIRONMENTS",
    "Config",
    "HandlerConfig",
    "bump",
    "generation",
    "merge",
    "namespace_handlers",
    "normalize",
]

F = TypeVar("F")

ConfigSource = Mapping[str, Any] | str | os.PathLike[str] | IO[str] | IO[bytes]

#: Named bundles of settings, applied by ``environment = "<name>"``.
ENVIRONMENTS: dict[str, dict[str, Any]] = {
    "staging": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": False,
        "request.show_mismatched_params": False,
    },
    "production": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": False,
        "request.show_mismatched_params": False,
        "log.screen": False,
    },
    "embedded": {
        # For a foreign WSGI server: it owns the process, its signals and its logs.
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": False,
        "request.show_mismatched_params": False,
        "log.screen": False,
        "engine.SIGHUP": None,
        "engine.SIGTERM": None,
    },
    "test_suite": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": True,
        "request.show_mismatched_params": True,
        "log.screen": False,
    },
}

#: Defaults of the global config (``config.reset()`` returns to these).
DEFAULTS: dict[str, Any] = {
    "tools.log_tracebacks.on": True,
    "tools.log_headers.on": True,
    "tools.trailing_slash.on": True,
    "tools.encode.on": True,
}

#: A counter that changes whenever any config changes (per-path caches compare it).
# PERF: a module attribute, read without a function call on every request.
generation = 0


def bump() -> None:
    """Invalidate every per-path cache built from config."""
    global generation
    generation += 1


class HandlerConfig(dict[str, Any]):
    """A ``_cp_config`` dict made by ``@config`` or a tool decorator.

    # COMPAT: CherryPy merges ``_cp_config`` on every request, so an application may
    change it while serving (``Root._cp_config.update(...)``, as CherryPy's session tests
    do to switch stores). Plans are cached here, so every in-place change bumps
    :data:`generation`; only decorators create these, so the hot path pays nothing.
    """

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        bump()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        bump()

    def __ior__(self, other: Any) -> HandlerConfig:  # type: ignore[override,misc]
        self.update(other)
        return self

    def update(self, *args: Any, **kwargs: Any) -> None:
        """As :meth:`dict.update`, then invalidate cached plans."""
        super().update(*args, **kwargs)
        bump()

    def setdefault(self, key: str, default: Any = None) -> Any:
        """As :meth:`dict.setdefault`, then invalidate cached plans."""
        value = super().setdefault(key, default)
        bump()
        return value

    def pop(self, key: str, *default: Any) -> Any:
        """As :meth:`dict.pop`, then invalidate cached plans."""
        value = super().pop(key, *default)
        bump()
        return value

    def popitem(self) -> tuple[str, Any]:
        """As :meth:`dict.popitem`, then invalidate cached plans."""
        item = super().popitem()
        bump()
        return item

    def clear(self) -> None:
        """As :meth:`dict.clear`, then invalidate cached plans."""
        super().clear()
        bump()


def normalize(source: ConfigSource) -> dict[str, Any]:
    """Load a config source (dict, file name or open file) into a plain dict."""
    if isinstance(source, Mapping):
        return dict(source)
    from framework.configfile import load

    return load(source)


def _server_handler(key: str, value: Any) -> None:
    from framework.process.server import configure

    configure(key, value)


def _engine_handler(key: str, value: Any) -> None:
    from framework.process import configure

    configure(key, value)


def _checker_handler(key: str, value: Any) -> None:
    # ``checker.on``, ``checker.check_localhost = False``...: attributes of the checker.
    from framework.checker import checker

    setattr(checker, key, value)


#: Handlers run on global-config update, by namespace (first key segment).
#: ``log`` is added by :mod:`framework._globals`, which owns the site log.
namespace_handlers: dict[str, Callable[[str, Any], None]] = {
    "server": _server_handler,
    "engine": _engine_handler,
    "checker": _checker_handler,
}


class Config(dict[str, Any]):
    """The global configuration (``framework.config``).

    Behaves as a dict of flat keys (``"tools.encode.on"``). :meth:`update` accepts a
    dict, a file name or an open file; a ``[global]`` section (or a flat dict) is
    applied, other sections are ignored at this level (they belong to apps).
    """

    def __init__(self) -> None:
        super().__init__(DEFAULTS)

    @property
    def namespaces(self) -> dict[str, Callable[[str, Any], None]]:
        """The handlers of global-config namespaces (``config.namespaces["db"] = fn``).

        ``fn(key, value)`` is called for every ``db.<key>`` set afterwards.
        """
        return namespace_handlers

    def reset(self) -> None:
        """Return to the defaults (for test isolation); ``checker.*`` settings too."""
        dict.clear(self)
        dict.update(self, DEFAULTS)
        checker = sys.modules.get("framework.checker")
        if checker is not None:
            checker.checker.reset()
        bump()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Merge config from a dict, a file name or an open file, then apply it.

        Raises:
            framework.configfile.ConfigError: for a malformed config file.
            ValueError: for an unknown environment name.
        """
        for source in args:
            self._apply(normalize(source))
        if kwargs:
            self._apply(dict(kwargs))

    def _apply(self, conf: dict[str, Any]) -> None:
        if any(isinstance(value, dict) and key.startswith("/") for key, value in conf.items()):
            # Application sections do nothing here: the checker says so at start-up.
            _checker_handler("global_config_contained_paths", True)
        if isinstance(conf.get("global"), dict):
            conf = conf["global"]
        else:
            conf = {key: value for key, value in conf.items() if not key.startswith("/")}
        conf = dict(conf)
        environment = conf.pop("environment", None)
        if environment is not None:
            try:
                env = ENVIRONMENTS[environment]
            except KeyError:
                names = ", ".join(sorted(ENVIRONMENTS))
                raise ValueError(
                    f"Unknown environment {environment!r}; choose one of {names}."
                ) from None
            dict.__setitem__(self, "environment", environment)
            self._set_many(env)
        self._set_many(conf)
        bump()

    def _set_many(self, conf: Mapping[str, Any]) -> None:
        dict.update(self, conf)
        for key, value in conf.items():
            namespace, dot, rest = key.partition(".")
            if not dot:
                continue
            handler = namespace_handlers.get(namespace)
            if handler is not None:
                handler(rest, value)

    def __setitem__(self, key: str, value: Any) -> None:
        self._set_many({key: value})
        bump()

    def __call__(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """Decorate a handler or class to set ``_cp_config`` (``@config(**{...})``).

        Raises:
            TypeError: if positional arguments are given.
        """
        if args:
            raise TypeError(
                "The config decorator does not accept positional arguments; "
                "use keyword arguments, e.g. @config(**{'tools.gzip.on': True})."
            )

        def decorator(target: F) -> F:
            current = getattr(target, "_cp_config", None)
            if current is None or "_cp_config" not in vars(target):
                current = HandlerConfig(current or {})
                target._cp_config = current  # type: ignore[attr-defined]
            current.update(kwargs)
            return target

        return decorator


def merge(base: dict[str, dict[str, Any]], other: ConfigSource) -> None:
    """Merge an application config (path sections) into ``base`` in place.

    Raises:
        ValueError: if ``other`` has a top-level value that is not a section dict.
    """
    loaded = normalize(other)
    for section, value_map in loaded.items():
        if not isinstance(value_map, dict):
            raise ValueError(
                "Application config must be made of path sections, like "
                '{"/": {"tools.encode.on": True}}; got a top-level key '
                f"{section!r}. Wrap your settings in a section dict."
            )
        base.setdefault(section, {}).update(value_map)
    bump()
