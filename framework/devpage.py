"""The development error page's traceback: the app's frames, readable, framework folded.

When ``request.show_tracebacks`` is on (development) and a request fails with an
exception, :func:`~framework.errors.get_error_page` puts :func:`render`'s HTML where
the default page has its traceback. For each exception of the chain (``raise ... from``
and "during handling of..."), it shows:

- the exception and the innermost frame of the application's own code;
- the app's frames first, in Python's order, each with the source lines around it
  (the failing one marked) and its local variables (escaped, each ``repr`` cut to
  :data:`REPR_LIMIT` characters); the frames of the framework, the toolchain, the
  standard library and installed packages follow, folded into one line to open;
- for a template error, the template's file and line: Jinja reports them itself,
  an exception carrying ``filename`` and ``lineno`` (a template syntax error) shows
  that spot, and a template engine may register a :data:`FRAME_MAPPERS` function that
  maps its compiled frames back to the template (``framework.lib.templating`` does it
  for Mako, whose frames otherwise read ``index_mako, line 39``);
- the request line and headers (credentials hidden);
- the plain text traceback, folded.

There is no interactive console. Everything shown is escaped.
"""

from __future__ import annotations

import html
import linecache
import os
import sys
import sysconfig
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

__all__ = ["FRAME_MAPPERS", "REPR_LIMIT", "Frame", "TemplateSpot", "frames_of", "render"]

#: Characters of a local variable's ``repr`` shown before it is cut.
REPR_LIMIT = 200
#: Local variables shown per frame at most.
LOCALS_LIMIT = 40
#: Source lines shown before and after the failing one.
CONTEXT = 3
#: Headers whose values are never shown.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class TemplateSpot:
    """Where in a template a compiled frame really is."""

    filename: str
    lineno: int


#: Functions ``mapper(exc) -> {frame index: TemplateSpot}`` that place the frames of a
#: template engine's compiled code (index in ``traceback.walk_tb`` order) in their
#: template. Registered by the engines' adapters when they load.
FRAME_MAPPERS: list[Callable[[BaseException], Mapping[int, TemplateSpot]]] = []


@dataclass
class Frame:
    """One frame of a traceback, as the page shows it.

    Attributes:
        filename: the source file (the template, for a mapped template frame).
        lineno: the line in it.
        name: the function's name.
        app: True for the application's own code (not the framework, the toolchain,
            the standard library or an installed package).
        lines: ``(number, text)`` around ``lineno``.
        variables: ``(name, repr)`` of the frame's locals.
    """

    filename: str
    lineno: int
    name: str
    app: bool
    lines: list[tuple[int, str]] = field(default_factory=list)
    variables: list[tuple[str, str]] = field(default_factory=list)


def _library_roots() -> tuple[str, ...]:
    """Directories whose code is not the application's."""
    roots = {os.path.dirname(os.path.abspath(__file__))}  # the framework package
    toolchain = sys.modules.get("cherrycli")
    if toolchain is not None and getattr(toolchain, "__file__", None):
        roots.add(os.path.dirname(os.path.abspath(str(toolchain.__file__))))
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.abspath(path))
    return tuple(sorted(roots))


def _is_app(filename: str, roots: tuple[str, ...]) -> bool:
    if filename.startswith("<"):
        return False  # <frozen importlib>, <string>: never the app's own file
    path = os.path.abspath(filename)
    return not any(path == root or path.startswith(root + os.sep) for root in roots)


def _source(
    filename: str, lineno: int, module_globals: dict[str, Any] | None
) -> list[tuple[int, str]]:
    start = max(1, lineno - CONTEXT)
    lines = []
    for number in range(start, lineno + CONTEXT + 1):
        text = linecache.getline(filename, number, module_globals)
        if not text and number > lineno:
            break
        lines.append((number, text.rstrip("\n")))
    return lines if any(text for _, text in lines) else []


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not break the error page
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 1] + "\u2026"


def _variables(local_vars: Mapping[str, Any]) -> list[tuple[str, str]]:
    names = sorted(name for name in local_vars if not name.startswith("__"))
    return [(name, _short_repr(local_vars[name])) for name in names[:LOCALS_LIMIT]]


def frames_of(exc: BaseException, hidden: Callable[[str], bool] | None = None) -> list[Frame]:
    """The frames of ``exc``'s traceback, oldest first, mapped to templates.

    Args:
        exc: an exception with a traceback.
        hidden: drop the frames whose file name this says yes to (a loader's own).

    Returns:
        One :class:`Frame` per traceback entry kept.
    """
    spots: dict[int, TemplateSpot] = {}
    for mapper in FRAME_MAPPERS:
        try:
            spots.update(mapper(exc))
        except Exception:  # a mapper's bug must not cost the page
            continue
    roots = _library_roots()
    frames = []
    for index, (frame, lineno) in enumerate(traceback.walk_tb(exc.__traceback__)):
        code = frame.f_code
        if hidden is not None and hidden(code.co_filename):
            continue
        spot = spots.get(index)
        filename, line = (spot.filename, spot.lineno) if spot else (code.co_filename, lineno)
        # A module's top level: its "locals" are all its globals, noise rather than help.
        module_level = frame.f_locals is frame.f_globals
        frames.append(
            Frame(
                filename=filename,
                lineno=line,
                name=code.co_name,
                app=spot is not None or _is_app(filename, roots),
                lines=_source(filename, line, None if spot else frame.f_globals),
                variables=[] if module_level else _variables(frame.f_locals),
            )
        )
    return frames


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """``exc`` and the exceptions behind it, oldest first, each with the sentence that
    leads from it to the next (as Python prints them)."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen and len(chain) < 5:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception:"
        else:
            current = None
    # Each older exception was stored with the sentence that follows it.
    return list(reversed(chain))


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _frame_html(frame: Frame) -> str:
    rows = "".join(
        f'<span class="{"hit" if number == frame.lineno else "ctx"}">{number:>5} {_e(text)}</span>'
        for number, text in frame.lines
    )
    source = f'<code class="src">{rows}</code>' if rows else ""
    variables = ""
    if frame.variables:
        cells = "".join(
            f"<tr><th>{_e(name)}</th><td>{_e(value)}</td></tr>" for name, value in frame.variables
        )
        variables = (
            f"<details><summary>Local variables ({len(frame.variables)})</summary>"
            f'<table class="vars">{cells}</table></details>'
        )
    kind = "app" if frame.app else "lib"
    return (
        f'<div class="frame {kind}"><div class="loc">{_e(frame.filename)}, line '
        f"{frame.lineno}, in <b>{_e(frame.name)}</b></div>{source}{variables}</div>"
    )


def _frames_html(frames: list[Frame]) -> Iterator[str]:
    """The app's frames (oldest first), then the others folded into one ``<details>``.

    With no frame of the app's own at all (a failure inside the framework), the others
    are shown open: they are all there is.
    """
    own = [f for f in frames if f.app]
    others = [f for f in frames if not f.app]
    yield from (_frame_html(frame) for frame in own)
    if others:
        noun = "frame" if len(others) == 1 else "frames"
        inner = "".join(_frame_html(f) for f in others)
        opened = "" if own else " open"
        yield (
            f'<details class="folded"{opened}><summary>{len(others)} framework or '
            f"library {noun}</summary>{inner}</details>"
        )


def _spot_html(exc: BaseException) -> str:
    """The file and line an exception names itself (a template or syntax error)."""
    filename, lineno = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if not isinstance(filename, str) or not isinstance(lineno, int) or lineno < 1:
        return ""
    frame = Frame(filename, lineno, "(template)", True, _source(filename, lineno, None))
    return f'<div class="spot">{_frame_html(frame)}</div>'


def _exception_html(exc: BaseException, hidden: Callable[[str], bool] | None) -> str:
    frames = frames_of(exc, hidden)
    headline = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    own = [f for f in frames if f.app]
    where = ""
    if own:
        last = own[-1]
        where = f' <span class="where">({_e(last.filename)}, line {last.lineno})</span>'
    return (
        f'<div class="exc"><p class="headline">{_e(headline)}{where}</p>'
        f"{_spot_html(exc)}{''.join(_frames_html(frames))}</div>"
    )


def _request_html(request: Any) -> str:
    if request is None:
        return ""
    rows = []
    for name, value in request.headers.items():
        shown = "(hidden)" if name.lower() in _SECRET_HEADERS else value
        rows.append(f"<tr><th>{_e(name)}</th><td>{_e(shown)}</td></tr>")
    return (
        f'<details class="request" open><summary>{_e(request.request_line)}</summary>'
        f'<table class="vars">{"".join(rows)}</table></details>'
    )


#: Styles of the fragment; the page's ``<pre id="traceback">`` holds it.
STYLE = (
    "#traceback{white-space:normal;color:#222;font-family:system-ui,sans-serif}"
    "#traceback .headline{color:#900;font-weight:bold;font-family:monospace}"
    "#traceback .frame{margin:.4rem 0;padding:.3rem .5rem;background:#fff;"
    "border-left:3px solid #c33}"
    "#traceback .frame.lib{border-left-color:#bbb;color:#555}"
    "#traceback .loc{font-family:monospace}"
    "#traceback code.src{display:block;white-space:pre;font-family:monospace;overflow:auto}"
    "#traceback .hit{background:#fde2e2;display:block}"
    "#traceback .ctx{display:block;color:#666}"
    "#traceback table.vars{font-family:monospace;border-collapse:collapse}"
    "#traceback table.vars th{text-align:left;padding-right:1rem;vertical-align:top}"
    "#traceback table.vars td{white-space:pre-wrap;word-break:break-all}"
    "#traceback summary{cursor:pointer;color:#555}"
)


def render(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None],
    request: Any = None,
    *,
    hidden: Callable[[str], bool] | None = None,
    plain: str | None = None,
) -> str:
    """The HTML fragment of the development error page for one exception.

    Args:
        exc_info: ``sys.exc_info()`` of the exception being handled.
        request: the request that failed (its line and headers are shown), or None.
        hidden: leave out the frames whose file name this says yes to (the
            toolchain's loader shows a failed import from the app's first line).
        plain: the plain text traceback to fold in (default: Python's, in full).

    Returns:
        HTML without a surrounding element, meant for the page's traceback slot.
    """
    exc = exc_info[1]
    parts = [f"<style>{STYLE}</style>"]
    for item, link in _chain(exc):
        parts.append(_exception_html(item, hidden))
        if link:
            parts.append(f'<p class="link">{_e(link)}</p>')
    parts.append(_request_html(request))
    if plain is None:
        plain = "".join(traceback.format_exception(exc))
    parts.append(
        '<details class="plain"><summary>Plain text traceback</summary>'
        f'<code class="src">{html.escape(plain, quote=False)}</code></details>'
    )
    return "".join(parts)
