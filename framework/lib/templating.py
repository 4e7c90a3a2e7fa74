"""Template tools: ``tools.jinja`` and ``tools.mako`` render a handler's dict.

A handler switched to a template tool returns a dict; the tool renders it with the
configured template and sends the text as ``text/html;charset=utf-8`` (unless the
handler chose another Content-Type). Anything else the handler returns (a string,
bytes, ``None``, a generator) is passed through untouched::

    class Root:
        _cp_config = {"tools.jinja.dir": "/srv/site/templates"}

        @framework.expose
        @framework.tools.jinja(template="index.html")
        def index(self):
            return {"title": "Home"}

or in config: ``tools.jinja.on = True`` with ``tools.jinja.template = "index.html"``.

Options (``tools.<name>.<option>``):

======================  ================================================================
``template``            the template to render (needed whenever the handler returns a
                        dict)
``dir`` / ``dirs``      Jinja2: the template directory, or a list of them (both may be
                        given; ``dir`` is searched first)
``directories``         Mako: the list of template directories (a single string works)
``autoescape``          escape every value (default ``True``: Jinja2's ``autoescape``,
                        Mako's ``h`` default filter)
``reload``              re-read a template when its file changes (default: on, except
                        in the ``production``, ``staging`` and ``embedded``
                        environments)
``globals``             a dict of names available to every template (the handler's dict
                        wins on a clash)
``filters``             Jinja2 only: a dict of extra filters
======================  ================================================================

With ``reload`` on, a template is recompiled whenever its file's modification time (to
the nanosecond) or size differs from what was compiled, and so is every template it
extends or includes: two saves within one second are both seen, which Mako's own
whole-second check misses. With it off, templates are never looked at again.

Relative directories are resolved against the working directory when the request
plan is built. The engines are imported on first render, so ``import framework``
never loads them; a missing engine raises :class:`MissingEngineError`, whose message
names the extra to install. A missing template answers 500 with a short message and
logs the template name with the directories searched.

:func:`render_jinja` and :func:`render_mako` render a template outside any handler
(error pages, e-mails) with the same cached environments.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from framework._globals import config as global_config
from framework.context import serving
from framework.devpage import FRAME_MAPPERS, TemplateSpot
from framework.errors import HTTPError

__all__ = [
    "MissingEngineError",
    "TemplateNotFound",
    "jinja_wrapper",
    "mako_wrapper",
    "render_jinja",
    "render_mako",
]

#: Environments where templates are compiled once and never re-read.
STATIC_ENVIRONMENTS = frozenset({"production", "staging", "embedded"})

_HTML = "text/html;charset=utf-8"
# The Content-Type every response starts with (see framework.core.response).
_DEFAULT_TYPE = "text/html"

PathList = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


class MissingEngineError(ImportError):
    """The template engine a tool needs is not installed."""


class TemplateNotFound(LookupError):
    """A template (or one it extends or includes) is in none of the directories.

    Attributes:
        name: the template that was asked for.
        dirs: the directories searched.
        detail: the engine's own explanation, if it adds anything.
    """

    def __init__(self, name: str, dirs: tuple[str, ...], detail: str = "") -> None:
        self.name = name
        self.dirs = dirs
        self.detail = detail
        where = ", ".join(dirs) if dirs else "no directories (none configured)"
        text = f"Template {name!r} not found in {where}"
        super().__init__(f"{text} ({detail})" if detail else text)


def _stamp(path: str) -> tuple[int, int] | None:
    """Return what identifies a version of a file: (mtime in ns, size); None if gone."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class _Engine:
    """What differs between engines: options, import, environment, render."""

    tool = ""
    distribution = ""
    dir_options: tuple[str, ...] = ()
    options: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self._module: Any = None

    def module(self) -> Any:
        """Import the engine on first use.

        Raises:
            MissingEngineError: if the engine is not installed.
        """
        module = self._module
        if module is None:
            try:
                module = self._module = self._import()
            except ImportError as exc:
                raise MissingEngineError(
                    f"tools.{self.tool} needs {self.distribution}: "
                    f"pip install 'cherrycli[{self.tool}]'"
                ) from exc
        return module

    def _import(self) -> Any:
        raise NotImplementedError

    def build(self, options: _Options) -> Any:
        """Return a new environment (Jinja2) or lookup (Mako) for ``options``."""
        raise NotImplementedError

    def render(self, loader: Any, options: _Options, name: str, context: dict[str, Any]) -> str:
        """Render template ``name`` with ``context``.

        Raises:
            TemplateNotFound: if the template or one it uses cannot be found.
        """
        raise NotImplementedError


class _Jinja(_Engine):
    tool = "jinja"
    distribution = "Jinja2"
    dir_options = ("dir", "dirs")
    options = frozenset({"template", "dir", "dirs", "autoescape", "reload", "globals", "filters"})

    def _import(self) -> Any:
        import jinja2

        class ReloadingLoader(jinja2.FileSystemLoader):
            """A loader whose templates are stale once their file's stamp changes."""

            def get_source(
                self, environment: jinja2.Environment, template: str
            ) -> tuple[str, str, Callable[[], bool]]:
                source, filename, _ = super().get_source(environment, template)
                # Jinja's own check compares float mtimes only; the stamp also sees a
                # change that keeps the mtime (coarse clocks) but not the size.
                stamp = _stamp(filename)

                def uptodate() -> bool:
                    return _stamp(filename) == stamp

                return source, filename, uptodate

        return jinja2, ReloadingLoader

    def build(self, options: _Options) -> Any:
        jinja2, reloading_loader = self.module()
        # PERF: without reload, Jinja never calls `uptodate`, so the plain loader is used.
        loader_class = reloading_loader if options.reload else jinja2.FileSystemLoader
        env = jinja2.Environment(
            loader=loader_class(list(options.dirs)),
            autoescape=options.autoescape,
            auto_reload=options.reload,
        )
        env.filters.update(options.filters)
        return env

    def render(self, loader: Any, options: _Options, name: str, context: dict[str, Any]) -> str:
        jinja2 = self.module()[0]
        try:
            return loader.get_template(name).render(context)  # type: ignore[no-any-return]
        except jinja2.TemplateNotFound as exc:
            missing = str(exc.name)
            detail = "" if missing == name else f"{missing!r} is missing"
            raise TemplateNotFound(name, options.dirs, detail) from None


class _Mako(_Engine):
    tool = "mako"
    distribution = "Mako"
    dir_options = ("directories",)
    options = frozenset({"template", "directories", "autoescape", "reload", "globals"})

    def _import(self) -> Any:
        from mako import exceptions, lookup
        from mako.template import Template

        class ReloadingLookup(lookup.TemplateLookup):  # type: ignore[misc]
            """A lookup that recompiles a template whenever its file's stamp changes.

            Mako's own check (kept on) reloads a file only when its whole-second mtime
            is later than the compile time, so a second save within the same second
            would never show. Every template, including those reached through
            ``<%inherit>``, ``<%include>`` and ``<%namespace>``, is fetched through
            :meth:`get_template`, so each file is checked on each render.
            """

            def __init__(self, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                # uri -> (the template last handed out, its file's stamp when compiled)
                self.stamps: dict[str, tuple[Any, tuple[int, int] | None]] = {}

            def get_template(self, uri: str) -> Any:
                template = super().get_template(uri)
                seen = self.stamps.get(uri)
                stamp = _stamp(template.filename)
                # A template Mako has just (re)compiled is taken as matching its file;
                # a vanished file is left for Mako's check to report next time.
                if seen is not None and seen[0] is template and stamp not in (seen[1], None):
                    # Stamped before compiling: a save during the compile shows next time.
                    template = Template(
                        uri=uri, filename=template.filename, lookup=self, **self.template_args
                    )
                    self.put_template(uri, template)
                self.stamps[uri] = (template, stamp)
                return template

        if _mako_spots not in FRAME_MAPPERS:
            FRAME_MAPPERS.append(_mako_spots)
        return lookup.TemplateLookup, ReloadingLookup, exceptions.TemplateLookupException

    def build(self, options: _Options) -> Any:
        plain_lookup, reloading_lookup, _ = self.module()
        # PERF: without reload, the plain lookup serves compiled templates without a stat.
        lookup_class = reloading_lookup if options.reload else plain_lookup
        return lookup_class(
            directories=list(options.dirs),
            filesystem_checks=options.reload,
            # "h" escapes HTML; "str" is Mako's own default (no escaping).
            default_filters=["h"] if options.autoescape else ["str"],
            input_encoding="utf-8",
        )

    def render(self, loader: Any, options: _Options, name: str, context: dict[str, Any]) -> str:
        lookup_error = self.module()[2]
        try:
            return str(loader.get_template(name).render(**context))
        except lookup_error as exc:
            # Mako names the missing file only in its message.
            detail = "" if str(exc).endswith(f"'{name}'") else str(exc)
            raise TemplateNotFound(name, options.dirs, detail) from None


def _mako_spots(exc: BaseException) -> dict[int, TemplateSpot]:
    """Place Mako's compiled frames in their templates, for the development error page.

    A frame of a compiled template reads ``index_mako, line 27``; Mako's own
    ``RichTraceback`` knows the template file and line behind it.
    """
    import traceback

    from mako.exceptions import RichTraceback

    frames = list(traceback.walk_tb(exc.__traceback__))
    # PERF: most errors never went through a template.
    if not any("_template_uri" in frame.f_globals for frame, _ in frames):
        return {}
    records = RichTraceback(error=exc, traceback=exc.__traceback__).records
    return {
        index: TemplateSpot(record[4], record[5])
        for index, record in enumerate(records)
        if record[4] and record[5]
    }


JINJA = _Jinja()
MAKO = _Mako()


class _Options:
    """The settings that decide an environment; hashable, so they key the cache."""

    __slots__ = ("_key", "autoescape", "dirs", "engine", "filters", "reload")

    def __init__(
        self,
        engine: _Engine,
        dirs: tuple[str, ...],
        autoescape: bool,
        reload: bool,
        filters: tuple[tuple[str, Callable[..., Any]], ...] = (),
    ) -> None:
        self.engine = engine
        self.dirs = dirs
        self.autoescape = autoescape
        self.reload = reload
        self.filters = filters
        self._key = (engine.tool, dirs, autoescape, reload, filters)

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Options) and other._key == self._key


# PERF: one environment / lookup per distinct option set, shared by every handler and
# app that uses it, so each template is compiled once (the engines cache templates
# per environment, and re-check file times only when `reload` is on).
_loaders: dict[_Options, Any] = {}


def _loader(options: _Options) -> Any:
    loader = _loaders.get(options)
    if loader is None:
        # Two threads may build one at once; the first stored wins and the other is dropped.
        loader = _loaders.setdefault(options, options.engine.build(options))
    return loader


def _dir_list(value: PathList | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | os.PathLike):
        value = [value]
    return [os.path.abspath(os.fspath(item)) for item in value]


def _default_reload() -> bool:
    return global_config.get("environment") not in STATIC_ENVIRONMENTS


def _options(engine: _Engine, conf: Mapping[str, Any]) -> _Options:
    unknown = sorted(set(conf) - engine.options)
    if unknown:
        raise TypeError(
            f"tools.{engine.tool} has no option {unknown[0]!r}; "
            f"its options are {', '.join(sorted(engine.options))}."
        )
    dirs: list[str] = []
    for option in engine.dir_options:
        dirs.extend(_dir_list(conf.get(option)))
    reload = conf.get("reload")
    filters = conf.get("filters") or {}
    return _Options(
        engine,
        tuple(dict.fromkeys(dirs)),
        bool(conf.get("autoescape", True)),
        _default_reload() if reload is None else bool(reload),
        tuple(sorted(filters.items())),
    )


def _render(options: _Options, name: str, context: dict[str, Any]) -> str:
    return options.engine.render(_loader(options), options, name, context)


def _make_wrapper(
    engine: _Engine, inner: Callable[..., Any], conf: dict[str, Any]
) -> Callable[..., Any]:
    # PERF: options are checked and directories resolved once per request plan.
    options = _options(engine, conf)
    template: str | None = conf.get("template")
    globals_: dict[str, Any] = dict(conf.get("globals") or {})
    tool = engine.tool

    def render_result(*args: Any, **kwargs: Any) -> Any:
        value = inner(*args, **kwargs)
        if not isinstance(value, dict):
            return value
        if not template:
            raise ValueError(
                f"tools.{tool} got a dict from the handler but has no template: "
                f"set tools.{tool}.template (or @tools.{tool}(template=...))."
            )
        response = serving.response
        assert response is not None
        headers = response.headers
        if headers.get("Content-Type") == _DEFAULT_TYPE:
            headers["Content-Type"] = _HTML
        context = {**globals_, **value} if globals_ else value
        try:
            return _render(options, template, context)
        except TemplateNotFound as exc:
            _log_missing(tool, exc)
            raise HTTPError(500, f"Template {template!r} not found.", echoes_input=True) from None

    return render_result


def _log_missing(tool: str, exc: TemplateNotFound) -> None:
    request = serving.request
    assert request is not None and request.app is not None
    request.app.log.error(str(exc), f"TOOLS.{tool.upper()}", logging.ERROR)


def jinja_wrapper(inner: Callable[..., Any], conf: dict[str, Any]) -> Callable[..., Any]:
    """Wrap ``inner`` so a returned dict is rendered with Jinja2 (``tools.jinja``).

    Args:
        inner: the page handler.
        conf: the tool's options (see the module docstring).

    Returns:
        The wrapping handler.

    Raises:
        TypeError: for an unknown option.
    """
    return _make_wrapper(JINJA, inner, conf)


def mako_wrapper(inner: Callable[..., Any], conf: dict[str, Any]) -> Callable[..., Any]:
    """Wrap ``inner`` so a returned dict is rendered with Mako (``tools.mako``).

    Args:
        inner: the page handler.
        conf: the tool's options (see the module docstring).

    Returns:
        The wrapping handler.

    Raises:
        TypeError: for an unknown option.
    """
    return _make_wrapper(MAKO, inner, conf)


def render_jinja(
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    dirs: PathList = (),
    autoescape: bool = True,
    reload: bool | None = None,
    filters: Mapping[str, Callable[..., Any]] | None = None,
) -> str:
    """Render a Jinja2 template outside a handler, as ``tools.jinja`` would.

    Args:
        name: the template name.
        context: the template's variables.
        dirs: the template directory or directories.
        autoescape: escape every value.
        reload: re-read changed files (default: on outside production).
        filters: extra Jinja2 filters.

    Returns:
        The rendered text.

    Raises:
        MissingEngineError: if Jinja2 is not installed.
        TemplateNotFound: if the template is in none of ``dirs``.
    """
    conf = {"dirs": dirs, "autoescape": autoescape, "reload": reload, "filters": filters}
    return _render(_options(JINJA, conf), name, dict(context or {}))


def render_mako(
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    directories: PathList = (),
    autoescape: bool = True,
    reload: bool | None = None,
) -> str:
    """Render a Mako template outside a handler, as ``tools.mako`` would.

    Args:
        name: the template name.
        context: the template's variables.
        directories: the template directory or directories.
        autoescape: apply the ``h`` (HTML-escaping) filter to every expression.
        reload: re-read changed files (default: on outside production).

    Returns:
        The rendered text.

    Raises:
        MissingEngineError: if Mako is not installed.
        TemplateNotFound: if the template is in none of ``directories``.
    """
    conf = {"directories": directories, "autoescape": autoescape, "reload": reload}
    return _render(_options(MAKO, conf), name, dict(context or {}))
