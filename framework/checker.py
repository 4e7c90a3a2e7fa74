"""The config checker: warnings about config that cannot work, before the first request.

A misspelled key is otherwise silently ignored (``request.show_tracebakcs``), and an
unknown tool shows up only as a 500 when its path is first requested
(``tools.staticdirr.on``). The checker reads the global config and every mounted
application's config and reports, as structured :class:`ConfigWarning` values:

- ``unknown-namespace``: a key whose first segment no config namespace handles;
- ``unknown-key``: ``request.*``, ``response.*``, ``log.*``, ``server.*``, ``checker.*``,
  ``hooks.*`` or ``error_page.*`` keys that name nothing (with a suggestion);
- ``unknown-tool`` / ``unknown-tool-argument``: ``tools.<name>.<arg>`` naming a tool the
  toolbox lacks, or an argument its callable does not take;
- ``wrong-type``: a value whose type differs from the default's (``"False"`` for a bool);
- ``site-only``: ``engine.*``, ``server.*``, ``tree.*`` or ``checker.*`` in an
  application's config (they only act in the global config);
- ``static-path``: ``tools.staticdir.dir`` relative without a root, or not a directory;
  ``tools.staticfile.filename`` relative without a root;
- ``script-name-section``, ``brackets``, ``app-sections-in-global``, ``obsolete`` and
  ``localhost``: CherryPy's own checks, with its wording where it has one.

API (``cherry check``, ``cherry serve`` and ``cherry routes`` call it)::

    from framework.checker import check

    for warning in check():            # framework.config and every app in framework.tree
        print(warning)                 # [/static] tools.staticdirr.on: unknown tool ...

    check(tree=my_tree, config={"request.show_tracebacks": "no"})

The process-wide :data:`checker` (``cherrypy.checker``) is CherryPy's ``Checker``: the
engine calls it when it starts (unless ``checker.on`` is false, as in the production,
staging, embedded and test_suite environments), and it emits each finding through
:func:`warnings.warn`. A program that shows the findings itself (``cherry serve``)
sets ``checker.on = False`` to avoid showing them twice. Checks are ``check_*``
methods; ``checker.check_localhost = False`` in config turns one off, and a method of
your own named ``check_*`` is run too (it may return a list of warnings).
"""

from __future__ import annotations

import difflib
import inspect
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from framework._globals import config as global_config
from framework._globals import log as site_log
from framework._globals import tools as toolbox
from framework._globals import tree as global_tree
from framework.core.config import namespace_handlers
from framework.core.tools import Tool
from framework.hooks import HOOK_POINTS

__all__ = ["Checker", "ConfigWarning", "check", "checker", "tool_arguments"]

#: Namespaces that only act in the global config (CherryPy's site-wide namespaces).
SITE_NAMESPACES = ("engine", "server", "tree", "checker")
#: Namespaces every path section may use.
PATH_NAMESPACES = ("tools", "request", "response", "hooks", "error_page", "log", "wsgi")

#: Keys CherryPy renamed long ago: old key -> what to use instead (None: gone).
OBSOLETE: dict[str, str | None] = {
    "server.default_content_type": "tools.response_headers.headers",
    "log_access_file": "log.access_file",
    "log_config_options": None,
    "log_file": "log.error_file",
    "log_file_not_found": None,
    "log_request_headers": "tools.log_headers.on",
    "log_to_screen": "log.screen",
    "show_tracebacks": "request.show_tracebacks",
    "throw_errors": "request.throw_errors",
    "profiler.on": "tree.mount(profiler.make_app(Application(Root())))",
}

# Tool arguments every tool takes (the plan strips ``on`` and ``priority``).
_ALWAYS_ARGUMENTS = frozenset({"on", "priority"})
# A stand-in parameter for an argument the callable does not name.
_NO_PARAM = inspect.Parameter("_", inspect.Parameter.KEYWORD_ONLY)
# Types compared for ``wrong-type`` (a default of another type is not checked).
_PLAIN_TYPES = (bool, int, float, str, bytes, list, tuple, dict)


@dataclass(frozen=True)
class ConfigWarning:
    """One finding of the checker.

    Attributes:
        code: what kind of problem (``unknown-key``, ``unknown-tool``, ``wrong-type``...).
        message: one readable sentence, with a suggestion where there is one.
        app: the script name of the application (``None`` for the global config).
        section: the config section (``"/blog"``; ``"global"`` for the global config).
        key: the config key concerned ("" when the warning is about a section or app).
    """

    code: str
    message: str
    app: str | None = None
    section: str = "global"
    key: str = ""

    @property
    def where(self) -> str:
        """Where the problem is: ``app '/blog' [/static] tools.x.on``."""
        parts = []
        if self.app is not None:
            parts.append(f"app {self.app or '/'!r}")
        parts.append(f"[{self.section}]")
        if self.key:
            parts.append(self.key)
        return " ".join(parts)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def tool_arguments(tool: Tool) -> frozenset[str] | None:
    """The config arguments ``tool`` accepts, or ``None`` when that cannot be told.

    See :meth:`framework.core.tools.Tool.arguments`; ``on`` and ``priority`` are
    always accepted.
    """
    names = tool.arguments()
    return None if names is None else frozenset(names) | _ALWAYS_ARGUMENTS


def _parameters(func: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    """The keyword parameters of ``func`` (empty when it has no signature)."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {}
    return {
        name: p for name, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def _suggest(name: str, choices: Iterator[str] | list[str] | frozenset[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_name(value: Any) -> str:
    return type(value).__name__


def _type_mismatch(expected: Any, value: Any) -> bool:
    """True when ``value`` cannot stand for a default like ``expected``."""
    if expected is None or value is None or not isinstance(expected, _PLAIN_TYPES):
        return False
    if isinstance(expected, bool):
        return not isinstance(value, bool)
    if isinstance(expected, float):
        return not isinstance(value, int | float) or isinstance(value, bool)
    if isinstance(expected, list | tuple):
        return not isinstance(value, list | tuple | set | frozenset)
    return not isinstance(value, type(expected))


class _Namespaces:
    """What the keys of one namespace may be: names and the defaults of typed ones."""

    def __init__(self) -> None:
        from framework.body import RequestBody
        from framework.core.request import Request
        from framework.core.response import Response

        self.request = _attributes(Request)
        self.body = _attributes(RequestBody)
        self.response = _attributes(Response)
        self.log = _attributes(type(site_log))
        self.checker = _attributes(Checker)

    def server(self) -> dict[str, Any] | None:
        """The server settings, or None when the process layer is not loaded."""
        import sys

        module = sys.modules.get("framework.process.server")
        if module is None:
            return None
        return {name: getattr(module.server, name, None) for name in module._SETTINGS}


def _attributes(cls: type) -> dict[str, Any]:
    """Public data attributes of ``cls`` and their defaults (properties: None)."""
    found: dict[str, Any] = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, property):
            if raw.fset is not None:
                found[name] = None
            continue
        if isinstance(raw, staticmethod) or not inspect.isroutine(raw):
            found[name] = None if isinstance(raw, staticmethod) else raw
    return found


class Checker:
    """CherryPy's ``Checker`` (``cherrypy.checker``): every ``check_*`` method, in order.

    Calling it runs the checks on the global config and tree and emits each warning
    with :func:`warnings.warn` (CherryPy's behaviour at engine start). :func:`check`
    returns them instead.
    """

    #: False turns every check off (``checker.on`` in config).
    on = True
    #: Set when the global config was given application sections (``[/path]``).
    global_config_contained_paths = False
    #: Config namespaces of your own the checker should accept.
    extra_config_namespaces: list[str] = []
    #: Obsolete keys and their replacements.
    obsolete = OBSOLETE
    #: Deprecated keys and their replacements (none today).
    deprecated: dict[str, str | None] = {}

    def __init__(self) -> None:
        self.tree: Any = None
        self.config: Mapping[str, Any] | None = None
        self._known: _Namespaces | None = None

    def reset(self) -> None:
        """Forget settings made through ``checker.*`` config (back to the class defaults)."""
        for name in list(vars(self)):
            if name not in ("tree", "config", "_known"):
                delattr(self, name)

    # -- running -------------------------------------------------------------------
    def __call__(self) -> None:
        """Run every check and emit the findings as warnings (when ``on``)."""
        if not self.on:
            return
        for warning in self.run():
            warnings.warn(str(warning), UserWarning, stacklevel=2)

    def run(self, tree: Any = None, config: Mapping[str, Any] | None = None) -> list[ConfigWarning]:
        """Run every ``check_*`` method and return the findings.

        Args:
            tree: the mount tree to check (default: ``framework.tree``).
            config: the global config to check (default: ``framework.config``).
        """
        self.tree = tree if tree is not None else global_tree
        self.config = config if config is not None else global_config
        self._known = _Namespaces()
        found: list[ConfigWarning] = []
        try:
            for name in sorted(dir(self)):
                if not name.startswith("check_"):
                    continue
                method = getattr(self, name)
                if method and callable(method):
                    found.extend(method() or ())
        finally:
            self.tree = self.config = self._known = None
        return found

    def formatwarning(
        self, message: Any, category: Any, filename: str, lineno: int, line: str | None = None
    ) -> str:
        """CherryPy's format of a checker warning."""
        return f"CherryPy Checker:\n{message}\n\n"

    # -- helpers -------------------------------------------------------------------
    def _apps(self) -> Iterator[tuple[str, Any]]:
        from framework.core.application import Application

        for script_name, app in sorted(self.tree.apps.items()):
            if isinstance(app, Application):
                yield script_name, app

    def _sections(self) -> Iterator[tuple[str | None, str, Mapping[str, Any]]]:
        """``(app, section, entries)`` for the global config and each path section."""
        assert self.config is not None
        yield None, "global", self.config
        for script_name, app in self._apps():
            for section, entries in app.config.items():
                if isinstance(entries, Mapping):
                    yield script_name, section, entries

    # -- CherryPy's checks ---------------------------------------------------------
    def check_app_config_entries_dont_start_with_script_name(self) -> list[ConfigWarning]:
        """App config sections that repeat the app's own mount point."""
        found = []
        for script_name, app in self._apps():
            if not script_name:
                continue
            atoms = script_name.strip("/").split("/")
            for section in app.config:
                if section.strip("/").split("/")[: len(atoms)] == atoms:
                    found.append(
                        ConfigWarning(
                            "script-name-section",
                            f"The application mounted at {script_name!r} has config entries "
                            f"that start with its script name: {section!r} (sections are "
                            "relative to the mount point).",
                            script_name,
                            section,
                        )
                    )
        return found

    def check_site_config_entries_in_app_config(self) -> list[ConfigWarning]:
        """Site-wide keys (``engine.*``, ``server.*``...) set in an application's config."""
        found = []
        for script_name, section, entries in self._sections():
            if script_name is None or not section.startswith("/"):
                continue
            for key in entries:
                if key.partition(".")[0] in SITE_NAMESPACES:
                    found.append(
                        ConfigWarning(
                            "site-only",
                            "only acts in the global config: move it to a [global] section "
                            "and pass it to config.update() instead of tree.mount().",
                            script_name,
                            section,
                            key,
                        )
                    )
        return found

    def check_skipped_app_config(self) -> list[ConfigWarning]:
        """An app without config while the global config was given app sections.

        # COMPAT: CherryPy also warns about every app mounted without config; an app
        needs none here, so only the likely mistake behind it is reported.
        """
        if not self.global_config_contained_paths:
            return []
        return [
            ConfigWarning(
                "app-sections-in-global",
                f"The application mounted at {script_name!r} has an empty config, and the "
                "config passed to config.update() contains application sections ([/path]), "
                "which do nothing there. Pass them to tree.mount(..., config=app_config).",
                script_name,
            )
            for script_name, app in self._apps()
            if not app.config
        ]

    def check_app_config_brackets(self) -> list[ConfigWarning]:
        """Section names written with the brackets of a config *file* in a dict."""
        found = []
        for script_name, app in self._apps():
            for section in app.config:
                if section.startswith("[") or section.endswith("]"):
                    found.append(
                        ConfigWarning(
                            "brackets",
                            f"section name {section!r} has extraneous brackets: config "
                            "files need them, config dicts (e.g. passed to tree.mount) "
                            "do not.",
                            script_name,
                            section,
                        )
                    )
        return found

    def check_compatibility(self) -> list[ConfigWarning]:
        """Obsolete and deprecated keys."""
        found = []
        for script_name, section, entries in self._sections():
            for key in entries:
                for table, word in ((self.obsolete, "obsolete"), (self.deprecated, "deprecated")):
                    if key in table:
                        instead = table[key]
                        hint = f"; use {instead!r} instead" if instead else " and has no effect"
                        found.append(
                            ConfigWarning(
                                word, f"{key!r} is {word}{hint}.", script_name, section, key
                            )
                        )
        return found

    def check_localhost(self) -> list[ConfigWarning]:
        """``server.socket_host = 'localhost'``, which may bind IPv4 or IPv6."""
        assert self.config is not None
        if self.config.get("server.socket_host") != "localhost":
            return []
        return [
            ConfigWarning(
                "localhost",
                "The use of 'localhost' as a socket host can cause problems on newer systems, "
                "since 'localhost' can map to either an IPv4 or an IPv6 address. You should "
                "use '127.0.0.1' or '[::1]' instead.",
                key="server.socket_host",
            )
        ]

    def check_static_paths(self) -> list[ConfigWarning]:
        """Static directories and files that cannot be found from the config given."""
        found: list[ConfigWarning] = []
        for script_name, app in self._apps():
            for section in sorted(app.config):
                if not section.startswith("/"):
                    continue
                merged = self._merged(app, section)
                found.extend(_static_dir_problems(script_name, section, merged))
                found.extend(_static_file_problems(script_name, section, merged))
        return found

    def _merged(self, app: Any, section: str) -> dict[str, Any]:
        """The config a path section sees: global, then every enclosing section."""
        assert self.config is not None
        merged = dict(self.config)
        trail = ""
        for atom in [""] + [a for a in section.split("/") if a]:
            trail = f"{trail}/{atom}" if atom else "/"
            trail = trail.replace("//", "/")
            merged.update(app.config.get(trail, {}))
        return merged

    # -- Cherry's key checks -------------------------------------------------------
    def check_config_namespaces(self) -> list[ConfigWarning]:
        """Keys in unknown namespaces, and unknown keys in known ones."""
        found = []
        for script_name, section, entries in self._sections():
            if script_name is not None and not section.startswith("/"):
                continue  # CherryPy ignores non-path sections of an app config
            namespaces = self._namespaces(script_name)
            for key, value in entries.items():
                warning = self._check_key(namespaces, key, value)
                if warning is not None:
                    code, message = warning
                    found.append(ConfigWarning(code, message, script_name, section, key))
        return found

    def _namespaces(self, script_name: str | None) -> frozenset[str]:
        names = set(PATH_NAMESPACES) | set(self.extra_config_namespaces)
        names |= set(namespace_handlers)
        from framework.core.plan import REQUEST_NAMESPACES

        names |= set(REQUEST_NAMESPACES)
        if script_name is None:
            names |= set(SITE_NAMESPACES)
        else:
            app = self.tree.apps[script_name]
            names |= set(app.namespaces)
            names |= set(getattr(app.request_class, "namespaces", {}))
        return frozenset(names)

    def _check_key(
        self, namespaces: frozenset[str], key: str, value: Any
    ) -> tuple[str, str] | None:
        namespace, dot, rest = key.partition(".")
        if not dot:
            if key == "environment" or key in self.obsolete:
                return None
            return "unknown-key", f"{key!r} is not a config key: keys are namespaced (ns.key)."
        if namespace not in namespaces:
            if namespace == "cherrypy" and rest.partition(".")[0] in namespaces:
                return "unknown-namespace", f"invalid key; try {rest!r} instead."
            return (
                "unknown-namespace",
                f"the {namespace!r} config namespace is unknown{_suggest(namespace, namespaces)}.",
            )
        if key in self.obsolete:
            return None
        check = _KEY_CHECKS.get(namespace)
        return check(self, rest, value) if check is not None else None

    def _attribute_key(
        self, namespace: str, known: Mapping[str, Any], rest: str, value: Any
    ) -> tuple[str, str] | None:
        if rest not in known:
            return (
                "unknown-key",
                f"{rest!r} is not a {namespace} setting{_suggest(rest, frozenset(known))}; "
                "it is ignored.",
            )
        if _type_mismatch(known[rest], value):
            return (
                "wrong-type",
                f"is a {_type_name(value)}, but {namespace}.{rest} expects a "
                f"{_type_name(known[rest])} (like {known[rest]!r}).",
            )
        return None

    def _request_key(self, rest: str, value: Any) -> tuple[str, str] | None:
        assert self._known is not None
        if rest.startswith("body."):
            return self._attribute_key("request.body", self._known.body, rest[5:], value)
        return self._attribute_key("request", self._known.request, rest, value)

    def _response_key(self, rest: str, value: Any) -> tuple[str, str] | None:
        assert self._known is not None
        if rest.startswith("headers."):
            return None
        return self._attribute_key("response", self._known.response, rest, value)

    def _log_key(self, rest: str, value: Any) -> tuple[str, str] | None:
        assert self._known is not None
        return self._attribute_key("log", self._known.log, rest, value)

    def _checker_key(self, rest: str, value: Any) -> tuple[str, str] | None:
        assert self._known is not None
        if rest.startswith("check_") or rest in self._known.checker:
            return None
        return self._attribute_key("checker", self._known.checker, rest, value)

    def _server_key(self, rest: str, value: Any) -> tuple[str, str] | None:
        assert self._known is not None
        known = self._known.server()
        name = rest.rpartition(".")[2]  # server.<name>.<setting> configures a named server
        if known is None or name == "on":
            return None
        return self._attribute_key("server", known, name, value)

    def _hooks_key(self, rest: str, value: Any) -> tuple[str, str] | None:
        if rest in HOOK_POINTS:
            return None
        return "unknown-key", f"{rest!r} is not a hook point{_suggest(rest, list(HOOK_POINTS))}."

    def _error_page_key(self, rest: str, value: Any) -> tuple[str, str] | None:
        if rest == "default" or (rest.isdigit() and 400 <= int(rest) <= 599):
            return None
        return "unknown-key", f"error_page.{rest} must name a status (404) or 'default'."

    def _tools_key(self, rest: str, value: Any) -> tuple[str, str] | None:
        name, _, arg = rest.partition(".")
        tool = toolbox.get(name)
        if tool is None:
            return (
                "unknown-tool",
                f"there is no tool named {name!r}{_suggest(name, toolbox.names())}: "
                "the path would answer 500.",
            )
        accepted = tool_arguments(tool)
        if not arg:
            return None
        if accepted is not None and arg not in accepted:
            return (
                "unknown-tool-argument",
                f"the {name!r} tool takes no argument {arg!r}"
                f"{_suggest(arg, accepted)}; it accepts {', '.join(sorted(accepted))}.",
            )
        default = True if arg == "on" else _parameters(tool.callable).get(arg, _NO_PARAM).default
        if _type_mismatch(default, value):
            return (
                "wrong-type",
                f"is a {_type_name(value)}, but tools.{name}.{arg} expects a "
                f"{_type_name(default)} (like {default!r}).",
            )
        return None


_KEY_CHECKS: dict[str, Callable[[Checker, str, Any], tuple[str, str] | None]] = {
    "request": Checker._request_key,
    "response": Checker._response_key,
    "log": Checker._log_key,
    "checker": Checker._checker_key,
    "server": Checker._server_key,
    "hooks": Checker._hooks_key,
    "error_page": Checker._error_page_key,
    "tools": Checker._tools_key,
}


def _static_dir_problems(
    script_name: str, section: str, conf: Mapping[str, Any]
) -> Iterator[ConfigWarning]:
    if not conf.get("tools.staticdir.on"):
        return
    root = conf.get("tools.staticdir.root")
    directory = conf.get("tools.staticdir.dir")
    key = "tools.staticdir.dir"
    if directory is None:
        yield ConfigWarning("static-path", "tools.staticdir.dir is not set.", script_name, section)
        return
    directory = os.fspath(directory)
    if os.path.isabs(directory):
        full = directory
    elif not root:
        yield ConfigWarning(
            "static-path",
            f"{directory!r} is a relative path and no tools.staticdir.root is set: it would "
            "depend on the current directory. Set an absolute root.",
            script_name,
            section,
            key,
        )
        return
    else:
        full = os.path.join(os.fspath(root), directory)
        if not os.path.isabs(full):
            yield ConfigWarning(
                "static-path",
                f"{full!r} (root + dir) is not an absolute path.",
                script_name,
                section,
                "tools.staticdir.root",
            )
            return
    if not os.path.isdir(full):
        yield ConfigWarning(
            "static-path",
            f"{full!r} (root + dir) is not an existing directory.",
            script_name,
            section,
            key,
        )


def _static_file_problems(
    script_name: str, section: str, conf: Mapping[str, Any]
) -> Iterator[ConfigWarning]:
    if not conf.get("tools.staticfile.on"):
        return
    filename = conf.get("tools.staticfile.filename")
    if filename is None:
        return
    filename = os.fspath(filename)
    root = conf.get("tools.staticfile.root")
    if not os.path.isabs(filename) and not root:
        yield ConfigWarning(
            "static-path",
            f"{filename!r} is a relative path and no tools.staticfile.root is set: it "
            "would depend on the current directory. Set an absolute root.",
            script_name,
            section,
            "tools.staticfile.filename",
        )


#: The process-wide checker (``cherrypy.checker``); the engine runs it on start.
checker = Checker()


def check(tree: Any = None, config: Mapping[str, Any] | None = None) -> list[ConfigWarning]:
    """Check the global config and every mounted application's config.

    Runs every check of :data:`checker` (even when ``checker.on`` is false: this is an
    explicit request; a check switched off with ``checker.check_<name> = False`` stays
    off), without emitting warnings.

    Args:
        tree: the mount tree (default: ``framework.tree``).
        config: the global config (default: ``framework.config``).

    Returns:
        The findings, global config first, then each application by mount point.
    """
    return checker.run(tree, config)


def run_at_engine_start() -> None:
    """The engine's ``start`` listener: warn about config problems when ``checker.on``."""
    checker()
