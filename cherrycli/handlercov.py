"""Handler coverage: which of the app's routes the tests requested.

Line coverage says which lines ran; it does not say "nobody ever requested ``/admin``".
:func:`handler_coverage` lines up every route that
:func:`cherrycli.routes.collect_routes` finds (the list ``cherry routes`` prints) with
two records of the run:

- the **dispatch log** (:func:`read_dispatches`): the framework's pytest plugin, told
  by ``CHERRY_HANDLER_LOG``, notes every handler the framework dispatched a request to
  (``framework.testing_plugin``). Both sides name a handler with
  :func:`framework.introspect.handler_identity` (``module.Class.method`` and the file
  and first line of its ``def``), so a route whose identity is in the log was
  **requested**. Aliases (one function at several URLs) share the identity, so a
  request to any of them marks them all;
- **coverage** of the handler's body (:mod:`cherrycli.coverage_data`): the lines from
  its first statement after the docstring to its last line, found by matching the
  identity's line (for a decorated function its first decorator) to the ``def`` in
  the file's syntax tree; the ``def`` and decorator lines run at import and do not
  count.

A handler never dispatched is **called directly** when its body ran anyway (a unit
test calling the method), and **never requested** when it did not. When the body ran
but the dispatch could not have been seen, because the project measures subprocesses
(a server the tests start in another process, whose requests the plugin cannot record)
or because no dispatch log was written, it is **executed, not seen dispatched**. A
handler in a file coverage did not measure (outside the app package, e.g. a framework
built-in) is **not measured**, and one whose body has no statement is **no code**;
neither counts in the "N of M handlers requested" summary.

:func:`print_handler_coverage` loads the app the way ``cherry routes`` does
(``[tool.cherry] app`` / ``CHERRY_APP`` with ``[tool.cherry] config``) and prints the
table; when the app cannot be loaded it prints one warning line instead, since the
tests themselves already ran.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from framework.introspect import HANDLER_LOG_ENV, HandlerIdentity

if TYPE_CHECKING:
    from cherrycli.coverage_data import CoverageReport
    from cherrycli.routes import Route
    from cherrycli.settings import Settings

__all__ = [
    "HANDLER_LOG_ENV",
    "Dispatches",
    "HandlerCoverage",
    "Status",
    "body_lines",
    "handler_coverage",
    "print_handler_coverage",
    "read_dispatches",
    "summary_line",
]


class Status(Enum):
    """How a handler fared in the test run."""

    REQUESTED = "requested"
    CALLED_DIRECTLY = "called directly"
    EXECUTED = "executed, not seen dispatched"
    NEVER_REQUESTED = "never requested"
    NOT_MEASURED = "not measured"
    NO_CODE = "no code"


@dataclass(frozen=True)
class HandlerCoverage:
    """One route's handler and what the tests did with it.

    Attributes:
        route: the route, as ``cherry routes`` lists it.
        status: see :class:`Status`.
        covered: statements of the body that ran.
        statements: statements in the body (0 when not measured).
    """

    route: Route
    status: Status
    covered: int = 0
    statements: int = 0


# The dispatch log, read back: the identity of each handler the framework dispatched
# to, its file resolved (a symlinked checkout names the same file two ways).
Dispatches = frozenset[HandlerIdentity]


def read_dispatches(path: Path) -> Dispatches | None:
    """Read the dispatch log the framework's pytest plugin appended to.

    Args:
        path: the file ``CHERRY_HANDLER_LOG`` named for the run.

    Returns:
        The dispatched handlers, or None when the plugin wrote no log (it was not
        loaded, or pytest stopped before the session ended).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    handlers: set[HandlerIdentity] = set()
    for line in text.splitlines():
        try:
            entry = json.loads(line)
            handlers.add(_resolved(str(entry["handler"]), entry["file"], int(entry["line"])))
        except (ValueError, KeyError, TypeError):
            continue  # a torn line from a killed worker costs only that entry
    return frozenset(handlers)


def _resolved(name: str, file: str, line: int) -> HandlerIdentity:
    """An identity with its file resolved, so two spellings of one file compare equal."""
    return HandlerIdentity(name, str(Path(file).resolve()), line)


def _functions(tree: ast.AST) -> Iterable[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def body_lines(tree: ast.AST, line: int) -> range | None:
    """The body of the function defined at ``line`` in ``tree``.

    Args:
        tree: a parsed module.
        line: the function's ``def`` line or its first decorator's line (what
            ``code.co_firstlineno`` reports).

    Returns:
        The body's line numbers without the docstring, or None when no function
        starts at ``line`` or its body is only a docstring.
    """
    for node in _functions(tree):
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        if line not in (first, node.lineno):
            continue
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body = body[1:]
        if not body:
            return None
        return range(body[0].lineno, (node.end_lineno or body[-1].lineno) + 1)
    return None


class _Trees:
    """Parsed source files, each read once per run."""

    def __init__(self) -> None:
        self._trees: dict[Path, ast.AST | None] = {}

    def get(self, path: Path) -> ast.AST | None:
        if path not in self._trees:
            try:
                self._trees[path] = ast.parse(path.read_bytes(), filename=str(path))
            except (OSError, SyntaxError, ValueError):
                self._trees[path] = None
        return self._trees[path]


def handler_coverage(
    routes: Iterable[Route],
    report: CoverageReport,
    dispatches: Dispatches | None,
    *,
    other_processes: bool = False,
) -> list[HandlerCoverage]:
    """Judge every route's handler against the dispatch log and the coverage report.

    Args:
        routes: routes from :func:`cherrycli.routes.collect_routes`.
        report: the run's coverage (files keyed by resolved path).
        dispatches: what the plugin saw dispatched, or None when it wrote no log.
        other_processes: coverage includes other processes (parallel or subprocess
            measurement), whose requests the dispatch log cannot hold.

    Returns:
        One :class:`HandlerCoverage` per route that has a handler (static sections
        have none), in the routes' order.
    """
    trees = _Trees()
    unseen = Status.EXECUTED if dispatches is None or other_processes else Status.CALLED_DIRECTLY
    results = []
    for route in routes:
        if route.source.handler is None:
            continue  # a static section: files, no handler
        identity = route.source.identity
        handler = _resolved(identity.name, identity.file, identity.line) if identity.file else None
        measured = report.by_path.get(Path(handler.file)) if handler is not None else None
        if handler is None or measured is None:
            results.append(HandlerCoverage(route, Status.NOT_MEASURED))
            continue
        tree = trees.get(Path(handler.file))
        body = body_lines(tree, handler.line) if tree is not None else None
        statements = (measured.executed | measured.missing).intersection(body or ())
        if not statements:
            results.append(HandlerCoverage(route, Status.NO_CODE))
            continue
        covered = len(measured.executed.intersection(statements))
        if dispatches is not None and handler in dispatches:
            status = Status.REQUESTED
        else:
            status = unseen if covered else Status.NEVER_REQUESTED
        results.append(HandlerCoverage(route, status, covered, len(statements)))
    return results


_MARKS = {
    Status.REQUESTED: "[ok]✓ requested[/ok]",
    Status.CALLED_DIRECTLY: "[hint]◐ called directly[/hint]",
    Status.EXECUTED: "[hint]◐ executed, not seen dispatched[/hint]",
    Status.NEVER_REQUESTED: "[error]✗ never requested[/error]",
    Status.NOT_MEASURED: "[muted]- not measured[/muted]",
    Status.NO_CODE: "[muted]- no code[/muted]",
}


def summary_line(results: list[HandlerCoverage]) -> str:
    """The line under the table: ``N of M handlers requested``, then the partial cases.

    Args:
        results: what :func:`handler_coverage` returned.

    Returns:
        Rich markup, green when every counted handler was requested.
    """
    counted = [r for r in results if r.status not in (Status.NOT_MEASURED, Status.NO_CODE)]
    counts = {status: sum(r.status is status for r in counted) for status in Status}
    requested = counts[Status.REQUESTED]
    text = f"{requested} of {len(counted)} handlers requested"
    if counts[Status.CALLED_DIRECTLY]:
        text += f", {counts[Status.CALLED_DIRECTLY]} only called directly"
    if counts[Status.EXECUTED]:
        text += f", {counts[Status.EXECUTED]} executed but not seen dispatched"
    style = "ok" if requested == len(counted) else "error"
    return f"[{style}]{text}[/{style}]"


def print_handler_coverage(
    report: CoverageReport,
    settings: Settings,
    dispatches: Dispatches | None,
    *,
    other_processes: bool = False,
) -> None:
    """Load the app, judge its handlers and print the handler coverage table.

    Args:
        report: the run's coverage.
        settings: toolchain settings (``app`` and ``config`` are read).
        dispatches: the run's dispatch log, see :func:`handler_coverage`.
        other_processes: see :func:`handler_coverage`.
    """
    from rich.table import Table

    from cherrycli.appconfig import read_config
    from cherrycli.console import escape, stderr, stdout
    from cherrycli.importer import load_target
    from cherrycli.routes import ANY_METHOD, collect_routes

    try:
        if settings.get_bool("compat"):
            from framework import compat

            compat.install()  # an unchanged CherryPy app, as `cherry serve --compat` runs it
        loaded = load_target(None, settings)
        routes = collect_routes(loaded.obj, read_config(settings.path("config")))
    except Exception as error:  # the tests ran; a broken app only costs this table
        stderr().print(
            f"[hint]warning:[/hint] handler coverage skipped: {escape(str(error))}",
            soft_wrap=True,
        )
        return
    results = handler_coverage(routes, report, dispatches, other_processes=other_processes)
    table = Table(title="Handler coverage", title_justify="left")
    table.add_column("Path", style="path", overflow="fold")
    table.add_column("Methods", style="method")
    table.add_column("Handler", overflow="fold")
    table.add_column("Status", no_wrap=True)
    table.add_column("Lines", justify="right")
    for result in results:
        route = result.route
        methods = "any" if route.methods == (ANY_METHOD,) else ", ".join(route.methods)
        lines = f"{result.covered}/{result.statements}" if result.statements else ""
        handler = escape(route.handler)
        if route.location:
            handler += f"\n[muted]{escape(route.location)}[/muted]"
        table.add_row(escape(route.path), methods, handler, _MARKS[result.status], lines)
    console = stdout()
    console.print(table)
    console.print(summary_line(results), soft_wrap=True)
