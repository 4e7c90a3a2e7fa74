"""A test run's coverage, read back and reported: the summary and handler coverage.

``cherry test`` (:mod:`cherrycli.testrunner`) runs the tests under ``coverage run``;
this module turns the data into what the user sees.

**Reading.** Coverage stops the automatic measurement of any process that creates a
``Coverage`` object (it assumes such a process manages its own), so cherry never
creates one: :func:`ask_coverage` runs a few lines in a helper interpreter in the
project directory, which read the project's configuration, erase or combine data,
and write coverage's JSON (and HTML) report. That keeps cherry measurable under an
outer ``coverage run`` and the project's coverage plugins out of cherry's process.
:func:`read_coverage` returns a :class:`CoverageReport`; :func:`print_summary`
prints it as a table (file, statements, missed, branches, cover, missing lines).

**Handler coverage.** Line coverage says which lines ran; it does not say "nobody ever
requested ``/admin``". :func:`handler_coverage` lines up every route that
:func:`cherrycli.routes.collect_routes` finds (the list ``cherry routes`` prints)
with two records of the run:

- the **dispatch log** (:func:`read_dispatches`): the framework's pytest plugin, told
  by ``CHERRY_HANDLER_LOG``, notes every handler the framework dispatched a request to
  (``framework.testing_plugin``). A route whose function (matched by its ``def``
  location) is in it was **requested**. Aliases (one function at several URLs)
  share the function, so a request to any of them marks them all;
- **coverage** of the handler's body: the lines from its first statement after the
  docstring to its last line, found by matching the route's location (``file:line``,
  for a decorated function its first decorator) to the ``def`` in the file's syntax
  tree; the ``def`` and decorator lines run at import and do not count.

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
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cherrycli.errors import CliError
from framework.introspect import HANDLER_LOG_ENV

if TYPE_CHECKING:
    from cherrycli.routes import Route
    from cherrycli.settings import Settings

__all__ = [
    "HANDLER_LOG_ENV",
    "PLAN_OPTIONS",
    "CoverageReport",
    "Dispatches",
    "FileCoverage",
    "HandlerCoverage",
    "Status",
    "ask_coverage",
    "body_lines",
    "handler_coverage",
    "print_handler_coverage",
    "print_summary",
    "read_coverage",
    "read_dispatches",
    "summary_line",
]


@dataclass(frozen=True)
class FileCoverage:
    """Coverage of one source file, as coverage's JSON report gives it.

    Attributes:
        name: the file as coverage names it (relative to the project when inside it).
        path: the file's resolved absolute path.
        executed: line numbers of executed statements.
        missing: line numbers of statements never executed.
        summary: coverage's per-file summary (num_statements, percent_covered, ...).
    """

    name: str
    path: Path
    executed: frozenset[int]
    missing: frozenset[int]
    summary: dict[str, Any]


@dataclass(frozen=True)
class CoverageReport:
    """Everything the summary needs from one coverage run.

    Attributes:
        files: per-file coverage, in coverage's order.
        totals: coverage's totals (percent_covered, num_statements, missing_lines, ...).
        fail_under: the threshold in force.
        precision: decimals coverage shows percentages with.
        branch: whether branch coverage was measured.
        show_missing: ``[report] show_missing``.
        skip_covered: ``[report] skip_covered``.
    """

    files: tuple[FileCoverage, ...]
    totals: dict[str, Any]
    fail_under: float
    precision: int
    branch: bool
    show_missing: bool = False
    skip_covered: bool = False
    by_path: dict[Path, FileCoverage] = field(default_factory=dict, repr=False)

    @property
    def percent(self) -> float:
        """Total coverage in percent."""
        return float(self.totals.get("percent_covered", 0.0))

    def percent_text(self, value: float | None = None) -> str:
        """Format ``value`` (the total by default) with the configured precision."""
        return f"{self.percent if value is None else value:.{self.precision}f}%"

    def under_threshold(self) -> bool:
        """True if the total misses the threshold, judged as ``coverage report`` does."""
        # COMPAT: coverage.py's rule: 100 means exactly 100, never a rounded 99.996.
        if self.fail_under >= 100.0:
            return self.percent < 100.0
        return round(self.percent, self.precision) < self.fail_under


# Run by a helper interpreter in the project directory. Coverage stops the automatic
# measurement of any process that creates a Coverage object (it assumes such a
# process manages its own), so cherry never creates one itself: that keeps cherry
# measurable when it runs under an outer `coverage run`, and keeps the project's
# coverage plugins and configuration out of cherry's process. Prints one JSON object.
_HELPER = """\
import json, sys
import coverage
from coverage.exceptions import NoDataError

request = json.loads(sys.argv[1])
cov = coverage.Coverage()
answer = {name: cov.get_option(name) for name in request["options"]}
answer["config_file"] = cov.config.config_file
answer["data_file"] = cov.config.data_file
answer["has_data"] = True
if request.get("erase"):
    cov.erase()
try:
    if request.get("combine"):
        cov.load()
        cov.combine(data_paths=request["combine"])
        cov.save()
    if request.get("json"):
        cov.load()
        cov.json_report(outfile=request["json"])
    if request.get("html"):
        cov.html_report(directory=request["html"])
except NoDataError:
    answer["has_data"] = False
print(json.dumps(answer))
"""
PLAN_OPTIONS = ("run:source", "run:include", "run:source_pkgs", "run:parallel", "run:patch")
_REPORT_OPTIONS = (
    "run:branch",
    "report:fail_under",
    "report:precision",
    "report:show_missing",
    "report:skip_covered",
)


def ask_coverage(root: Path, request: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Run the coverage helper with ``request`` in ``root``; return its answer.

    Args:
        root: the project directory.
        request: ``options`` (names to read) and optionally ``erase``, ``combine``
            (data files), ``json`` (output file) and ``html`` (output directory).
        env: the helper's environment (without an outer run's COVERAGE_* variables).

    Returns:
        The options' values plus ``config_file``, ``data_file`` and ``has_data``.

    Raises:
        CliError: if the helper fails (a broken coverage configuration, say).
    """
    result = subprocess.run(
        [sys.executable, "-c", _HELPER, json.dumps(request)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise CliError(f"coverage failed in {root}: {last}")
    # Coverage's own warnings (a module never imported...) are worth seeing.
    sys.stderr.write(result.stderr)
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def read_coverage(
    root: Path,
    env: dict[str, str],
    fail_under: float | None = None,
    *,
    combine: list[str] | None = None,
    html: Path | None = None,
) -> CoverageReport | None:
    """Read the project's coverage data through coverage's JSON report.

    Args:
        root: the project directory (where the data file and config are).
        env: the helper's environment, see :func:`ask_coverage`.
        fail_under: threshold overriding the configured one, or None.
        combine: parallel data files to fold into the main one first.
        html: directory to write coverage's HTML report into, or None.

    Returns:
        The report, or None when no data was collected.

    Raises:
        CliError: if coverage fails.
    """
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch, "coverage.json")
        request: dict[str, Any] = {"options": _REPORT_OPTIONS, "json": str(out)}
        if combine:
            request["combine"] = combine
        if html is not None:
            request["html"] = str(html)
        answer = ask_coverage(root, request, env)
        if not answer["has_data"]:
            return None
        data = json.loads(out.read_text(encoding="utf-8"))
    files = tuple(
        FileCoverage(
            name=name,
            path=(root / name).resolve(),
            executed=frozenset(info.get("executed_lines", ())),
            missing=frozenset(info.get("missing_lines", ())),
            summary=info.get("summary", {}),
        )
        for name, info in data.get("files", {}).items()
    )
    threshold = answer["report:fail_under"] if fail_under is None else fail_under
    return CoverageReport(
        files=files,
        totals=data.get("totals", {}),
        fail_under=float(threshold or 0),
        precision=int(answer["report:precision"] or 0),
        branch=bool(answer["run:branch"]),
        show_missing=bool(answer["report:show_missing"]),
        skip_covered=bool(answer["report:skip_covered"]),
        by_path={item.path: item for item in files},
    )


def _ranges(lines: frozenset[int]) -> str:
    """``{3, 4, 5, 9}`` -> ``"3-5, 9"``."""
    spans: list[list[int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def print_summary(report: CoverageReport) -> None:
    """Print the coverage table: one row per file, then the total.

    Args:
        report: what :func:`read_coverage` returned.
    """
    from rich.table import Table

    from cherrycli.console import escape, stdout

    table = Table(title="Coverage", title_justify="left")
    table.add_column("File", style="path", overflow="fold")
    table.add_column("Stmts", justify="right")
    table.add_column("Missed", justify="right")
    if report.branch:
        table.add_column("Branch", justify="right")
        table.add_column("BrPart", justify="right")
    table.add_column("Cover", justify="right")
    if report.show_missing:
        table.add_column("Missing", overflow="fold")
    skipped = 0
    for item in report.files:
        summary = item.summary
        percent = float(summary.get("percent_covered", 0.0))
        if report.skip_covered and percent >= 100.0:
            skipped += 1
            continue
        row = [escape(item.name), str(summary.get("num_statements", 0))]
        row.append(str(summary.get("missing_lines", 0)))
        if report.branch:
            row += [
                str(summary.get("num_branches", 0)),
                str(summary.get("num_partial_branches", 0)),
            ]
        row.append(report.percent_text(percent))
        if report.show_missing:
            row.append(_ranges(item.missing))
        table.add_row(*row)
    totals = report.totals
    total = ["TOTAL", str(totals.get("num_statements", 0)), str(totals.get("missing_lines", 0))]
    if report.branch:
        total += [str(totals.get("num_branches", 0)), str(totals.get("num_partial_branches", 0))]
    total.append(report.percent_text())
    if report.show_missing:
        total.append("")
    table.add_section()
    table.add_row(*total, style="bold")
    console = stdout()
    console.print(table)
    if skipped:
        console.print(f"[muted]{skipped} file(s) skipped due to complete coverage.[/muted]")
    style = "error" if report.under_threshold() else "ok"
    console.print(
        f"Total coverage: [{style}]{report.percent_text()}[/{style}] "
        f"(threshold {report.fail_under:g}%)"
    )


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


# The dispatch log, read back: ``(resolved file, first line)`` of each function the
# framework dispatched to, the key routes' ``file:line`` locations are matched on
# (names could differ: a route names the instance's class, the code its own).
Dispatches = frozenset[tuple[Path, int]]


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
    locations: set[tuple[Path, int]] = set()
    for line in text.splitlines():
        try:
            entry = json.loads(line)
            locations.add((Path(entry["file"]).resolve(), int(entry["line"])))
        except (ValueError, KeyError, TypeError):
            continue  # a torn line from a killed worker costs only that entry
    return frozenset(locations)


def _split_location(location: str, cwd: Path) -> tuple[Path, int] | None:
    path, sep, line = location.rpartition(":")
    if not sep or not line.isdigit():
        return None
    return (cwd / path).resolve(), int(line)


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
    cwd: Path,
    dispatches: Dispatches | None,
    *,
    other_processes: bool = False,
) -> list[HandlerCoverage]:
    """Judge every route's handler against the dispatch log and the coverage report.

    Args:
        routes: routes from :func:`cherrycli.routes.collect_routes`.
        report: the run's coverage (files keyed by resolved path).
        cwd: the directory the routes' relative locations are relative to.
        dispatches: what the plugin saw dispatched, or None when it wrote no log.
        other_processes: coverage includes other processes (parallel or subprocess
            measurement), whose requests the dispatch log cannot hold.

    Returns:
        One :class:`HandlerCoverage` per route, in the routes' order.
    """
    trees = _Trees()
    unseen = Status.EXECUTED if dispatches is None or other_processes else Status.CALLED_DIRECTLY
    results = []
    for route in routes:
        where = _split_location(route.location, cwd)
        measured = report.by_path.get(where[0]) if where else None
        if where is None or measured is None:
            results.append(HandlerCoverage(route, Status.NOT_MEASURED))
            continue
        tree = trees.get(where[0])
        body = body_lines(tree, where[1]) if tree is not None else None
        statements = (measured.executed | measured.missing).intersection(body or ())
        if not statements:
            results.append(HandlerCoverage(route, Status.NO_CODE))
            continue
        covered = len(measured.executed.intersection(statements))
        if dispatches is not None and where in dispatches:
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
    results = handler_coverage(
        routes, report, Path.cwd(), dispatches, other_processes=other_processes
    )
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
