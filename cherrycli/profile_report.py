"""Reading cProfile statistics for people: names, locations, categories, reports.

:mod:`cherrycli.profiling` produces the numbers; this module turns pstats entries into
what ``cherry profile`` shows. :func:`top_functions` ranks functions (``--sort``,
``--limit``) without the profiler's own frames; :func:`print_report` prints the
per-path latency table, one warning per failing path and the function table on a rich
console; :func:`category` tells the app's code from the framework's, libraries', the
standard library's and built-ins, which both the terminal and the HTML report colour by::

    run = run_profile(app, specs, requests=200)
    print_report(run, stdout(), sort="tottime", limit=30)

rich is imported inside :func:`print_report` only.
"""

from __future__ import annotations

import os
import pstats
import re
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cherrycli.profiling import DRIVER_FILE, FuncKey, ProfileRun

__all__ = [
    "SORT_KEYS",
    "SORT_LABELS",
    "FunctionRow",
    "category",
    "format_ms",
    "function_name",
    "is_noise",
    "print_report",
    "short_location",
    "top_functions",
]

# --sort name -> what a pstats entry (cc, nc, tt, ct, callers) is ordered by, descending.
SORT_KEYS: dict[str, Callable[[tuple[Any, ...]], float]] = {
    "cumulative": lambda entry: entry[3],
    "tottime": lambda entry: entry[2],
    "calls": lambda entry: entry[1],
    "percall": lambda entry: entry[3] / entry[1] if entry[1] else 0.0,
}
# --sort name -> how report titles say it ("Top 20 functions by own time").
SORT_LABELS: dict[str, str] = {
    "cumulative": "cumulative time",
    "tottime": "own time",
    "calls": "calls",
    "percall": "time per call",
}
_DISABLE = "<method 'disable' of '_lsprof.Profiler' objects>"
_BUILTIN_RE = re.compile(
    r"^<(?:built-in method (?P<func>[\w.]+)|method '(?P<meth>\w+)' of '(?P<cls>[\w.]+)' objects)>$"
)


@dataclass(frozen=True)
class FunctionRow:
    """One line of the top-functions table.

    Attributes:
        name: readable function name (``respond``, ``dict.copy``).
        location: short ``file:line`` or ``built-in``.
        category: ``app``, ``framework``, ``library``, ``stdlib``, ``builtin``, ``driver``.
        calls: total calls, ``"12/10"`` when recursive (total/primitive).
        tottime: seconds spent in the function itself.
        cumtime: seconds spent in it and everything it called.
    """

    name: str
    location: str
    category: str
    calls: str
    tottime: float
    cumtime: float


_STDLIB_DIRS = tuple(
    os.path.normcase(os.path.abspath(sysconfig.get_paths()[key])) + os.sep
    for key in ("stdlib", "platstdlib")
)


def _framework_dir() -> str | None:
    module = sys.modules.get("framework")
    filename = getattr(module, "__file__", None)
    return (
        os.path.normcase(os.path.dirname(os.path.abspath(filename))) + os.sep if filename else None
    )


def category(filename: str) -> str:
    """Which code a profiled function belongs to.

    Args:
        filename: the file of a pstats entry (``~`` for built-ins).

    Returns:
        ``builtin``, ``driver`` (this module), ``framework``, ``library``
        (site-packages), ``stdlib`` or ``app``.
    """
    if filename == "~":
        return "builtin"
    if filename.startswith("<frozen"):
        return "stdlib"
    path = os.path.normcase(os.path.abspath(filename))
    if path == DRIVER_FILE:
        return "driver"
    framework_dir = _framework_dir()
    if framework_dir and path.startswith(framework_dir):
        return "framework"
    if f"{os.sep}site-packages{os.sep}" in path or f"{os.sep}dist-packages{os.sep}" in path:
        return "library"
    if path.startswith(_STDLIB_DIRS):
        return "stdlib"
    return "app"


def short_location(filename: str, line: int) -> str:
    """A readable ``file:line``: relative to site-packages, the stdlib or the cwd."""
    if filename == "~":
        return "built-in"
    if filename.startswith("<"):
        return filename
    path = os.path.abspath(filename)
    for marker in (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}"):
        if marker in path:
            return f"{path.split(marker, 1)[1]}:{line}"
    framework_dir = _framework_dir()
    if framework_dir and os.path.normcase(path).startswith(framework_dir):
        # framework/core/tree.py reads better than a checkout's absolute path.
        return f"{os.path.relpath(path, os.path.dirname(framework_dir.rstrip(os.sep)))}:{line}"
    for stdlib in _STDLIB_DIRS:
        if os.path.normcase(path).startswith(stdlib):
            return f"{path[len(stdlib) :]}:{line}"
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        relative = path
    return f"{path if relative.startswith('..') else relative}:{line}"


def function_name(func: FuncKey) -> str:
    """A readable name for a pstats key: ``respond``, ``dict.copy``, ``builtins.sum``."""
    filename, _, name = func
    if filename != "~":
        return name
    match = _BUILTIN_RE.match(name)
    if match is None:
        return name
    if match["func"]:
        return match["func"]
    return f"{match['cls']}.{match['meth']}"


def is_noise(func: FuncKey) -> bool:
    """True for the profiler's own frames: the request driver and ``Profiler.disable``."""
    filename, _, name = func
    if filename == "~":
        return name == _DISABLE
    return os.path.normcase(os.path.abspath(filename)) == DRIVER_FILE


def top_functions(
    stats: pstats.Stats, sort: str = "cumulative", limit: int = 20
) -> list[FunctionRow]:
    """The ``limit`` heaviest functions of ``stats`` by ``sort``, driver frames left out.

    Args:
        stats: merged statistics (see :meth:`ProfileRun.combined_stats`).
        sort: a key of :data:`SORT_KEYS`.
        limit: how many rows at most.

    Returns:
        The rows, heaviest first.
    """
    entries: dict[FuncKey, tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    key = SORT_KEYS[sort]
    ranked = sorted(
        ((func, entry) for func, entry in entries.items() if not is_noise(func)),
        key=lambda item: (-key(item[1]), item[0]),
    )
    rows = []
    for func, (primitive, total, tottime, cumtime, _callers) in ranked[:limit]:
        calls = str(total) if total == primitive else f"{total}/{primitive}"
        rows.append(
            FunctionRow(
                name=function_name(func),
                location=short_location(func[0], func[1]),
                category=category(func[0]),
                calls=calls,
                tottime=tottime,
                cumtime=cumtime,
            )
        )
    return rows


def format_ms(value: float) -> str:
    """Milliseconds with a precision that suits the magnitude (``0.042``, ``12.3``)."""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def print_report(run: ProfileRun, console: Any, sort: str = "cumulative", limit: int = 20) -> None:
    """Print the per-path table, a warning per failing path and the top functions.

    Args:
        run: what :func:`run_profile` returned.
        console: a rich Console (see :mod:`cherrycli.console`).
        sort: a key of :data:`SORT_KEYS` for the function table.
        limit: rows of the function table (0 hides it).
    """
    from rich.table import Table

    from cherrycli.console import escape

    table = Table(
        title=f"{run.requests} requests per path after {run.warmup} warm-up, no profiler",
        title_justify="left",
    )
    table.add_column("Path", overflow="fold")
    for name in ("Status", "Requests", "Mean ms", "p50 ms", "p95 ms", "Req/s"):
        # Numbers keep their width; a long path folds instead of being cut.
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    for result in run.results:
        style = "error" if result.failed else ("hint" if len(result.statuses) > 1 else "ok")
        table.add_row(
            f"[method]{result.spec.method}[/method] [path]{escape(result.spec.target)}[/path]",
            f"[{style}]{result.status_text}[/{style}]",
            str(len(result.timings_ns)),
            format_ms(result.mean_ms),
            format_ms(result.percentile_ms(0.50)),
            format_ms(result.percentile_ms(0.95)),
            f"{result.requests_per_second:,.0f}",
        )
    console.print(table)
    for result in run.results:
        label = escape(result.spec.label)
        if result.failed:
            console.print(
                f"[hint]warning:[/hint] {label} answered {escape(result.reason)}: not profiled",
                soft_wrap=True,
            )
        elif len(result.statuses) > 1:
            errors = sum(count for code, count in result.statuses.items() if code >= 400)
            console.print(
                f"[hint]warning:[/hint] {label}: {errors} of {len(result.timings_ns)} "
                "requests answered an error status",
                soft_wrap=True,
            )
    stats = run.combined_stats()
    if stats is None or limit <= 0:
        return
    rows = top_functions(stats, sort, limit)
    count = len(run.profiled)
    order = SORT_LABELS.get(sort, sort)
    functions = Table(
        title=f"Top {len(rows)} functions by {order} ({count} path{'s' if count != 1 else ''}"
        f" x {run.requests} profiled requests; cProfile overhead included)",
        title_justify="left",
    )
    for name in ("Calls", "Own ms", "Total ms", "Per call µs"):
        functions.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    functions.add_column("Function", overflow="fold")
    for row in rows:
        total_calls = int(row.calls.split("/")[0])
        per_call = row.cumtime / total_calls * 1e6 if total_calls else 0.0
        style = {"app": "ok", "framework": "method"}.get(row.category, "muted")
        functions.add_row(
            row.calls,
            format_ms(row.tottime * 1e3),
            format_ms(row.cumtime * 1e3),
            f"{per_call:.1f}",
            f"[{style}]{escape(row.name)}[/{style}] [muted]{escape(row.location)}[/muted]",
        )
    console.print(functions)
