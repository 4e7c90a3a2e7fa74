"""A test run's coverage data, read back, and the coverage summary table.

``cherry test`` (:mod:`cherrycli.testrunner`) runs the tests under ``coverage run``;
this module reads the data back and prints the summary the user sees.

Coverage stops the automatic measurement of any process that creates a ``Coverage``
object (it assumes such a process manages its own), so cherry never creates one:
:func:`ask_coverage` runs a few lines in a helper interpreter in the project directory,
which read the project's configuration, erase or combine data, and write coverage's
JSON (and HTML) report. That keeps cherry measurable under an outer ``coverage run``
and the project's coverage plugins out of cherry's process. :func:`read_coverage`
returns a :class:`CoverageReport`; :func:`print_summary` prints it as a table (file,
statements, missed, branches, cover, missing lines). :mod:`cherrycli.handlercov` lines
the same report up with the app's routes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cherrycli.errors import CliError

__all__ = [
    "PLAN_OPTIONS",
    "CoverageReport",
    "FileCoverage",
    "ask_coverage",
    "print_summary",
    "read_coverage",
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
