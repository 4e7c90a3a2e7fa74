"""Handler coverage: "requested" means dispatched, not merely executed.

The status matrix, the dispatch log reader and the summary line are tested in
process; two real ``cherry test`` runs check the whole path (the framework's pytest
plugin writing the log, cherry reading it) and a project whose path is too long for
coverage's SQLite data file.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cherrycli.coverage_data import CoverageReport, FileCoverage
from cherrycli.handlercov import (
    HANDLER_LOG_ENV,
    Dispatches,
    HandlerCoverage,
    Status,
    handler_coverage,
    read_dispatches,
    summary_line,
)
from cherrycli.testrunner import EXIT_OK, LONG_DATA_PATH
from cli_support import cherry, load_module, route_for
from framework.introspect import HandlerIdentity

RUN_TIMEOUT = 180

APP = """\
import framework


class Extra:
    @framework.expose
    def index(self):
        return "home"

    @framework.expose
    def hidden(self, word):
        return "hidden " + word
"""

CONFTEST = """\
import pytest

from mini.app import Extra


@pytest.fixture
def cherry_app():
    return Extra()
"""

TESTS = """\
from mini.app import Extra


def test_index_is_requested(cherry_client):
    assert cherry_client.get("/").text == "home"


def test_hidden_is_only_called(cherry_client):
    assert Extra().hidden("z") == "hidden z"
"""

REQUEST_BOTH = """\
def test_both_pages(cherry_client):
    assert cherry_client.get("/").text == "home"
    assert cherry_client.get("/hidden/z").text == "hidden z"
"""

PYPROJECT = """\
[project]
name = "mini"
version = "0.1.0"

[tool.cherry]
app = "mini.app:Extra"

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
filterwarnings = ["error"]

[tool.coverage.run]
source = ["mini"]
"""


def make_project(root: Path, tests: str = TESTS) -> Path:
    """Write the two-handler project into ``root``."""
    (root / "mini").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "mini" / "__init__.py").write_text("")
    (root / "mini" / "app.py").write_text(APP)
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    (root / "tests" / "test_app.py").write_text(tests)
    return root


def cherry_test(project: Path) -> subprocess.CompletedProcess[str]:
    return cherry("test", cwd=project, env={"COLUMNS": "200"}, timeout=RUN_TIMEOUT)


def row_of(output: str, text: str) -> str:
    return next(line for line in output.splitlines() if text in line)


# -- real runs ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def direct_call_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """``/`` requested through the client, ``hidden`` only called as a method."""
    return cherry_test(make_project(tmp_path_factory.mktemp("direct") / "mini"))


def test_dispatched_handler_is_requested(
    direct_call_run: subprocess.CompletedProcess[str],
) -> None:
    assert direct_call_run.returncode == EXIT_OK, direct_call_run.stdout + direct_call_run.stderr
    assert "✓ requested" in row_of(direct_call_run.stdout, "│ / ")


def test_unit_test_call_is_not_a_request(direct_call_run: subprocess.CompletedProcess[str]) -> None:
    row = row_of(direct_call_run.stdout, "│ /hidden")
    assert "◐ called directly" in row
    assert "✓ requested" not in row


def test_summary_counts_only_dispatched_handlers(
    direct_call_run: subprocess.CompletedProcess[str],
) -> None:
    assert "1 of 2 handlers requested, 1 only called directly" in direct_call_run.stdout


def test_long_project_path_keeps_coverage_data_elsewhere(tmp_path: Path) -> None:
    deep = tmp_path
    while len(str(deep)) < 520:
        deep /= "nested-directory-" + "x" * 40
    assert len(str(deep / "mini" / ".coverage")) > LONG_DATA_PATH
    project = make_project(deep / "mini", REQUEST_BOTH)
    result = cherry_test(project)
    output = result.stdout + result.stderr
    assert result.returncode == EXIT_OK, output
    assert "Couldn't use data file" not in output
    assert "no coverage data was collected" not in output
    assert "Total coverage: 100%" in result.stdout
    assert not list(project.glob(".coverage*"))  # the data lived in a temporary directory


# -- the status matrix, in process --------------------------------------------------------

HANDLERS = """\
def page():
    return 1
"""


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """``handlers.py``, whose ``page`` is defined at line 1 with its body at line 2."""
    path = tmp_path / "handlers.py"
    path.write_text(HANDLERS)
    return path.resolve()


def judge(
    source: Path,
    body_ran: bool,
    dispatches: Dispatches | None,
    other_processes: bool = False,
) -> Status:
    item = FileCoverage(
        name="handlers.py",
        path=source,
        executed=frozenset({1, 2} if body_ran else {1}),
        missing=frozenset() if body_ran else frozenset({2}),
        summary={},
    )
    report = CoverageReport(
        files=(item,),
        totals={},
        fail_under=0,
        precision=0,
        branch=False,
        by_path={source: item},
    )
    route = route_for(load_module(source).page, "/page")
    (result,) = handler_coverage([route], report, dispatches, other_processes=other_processes)
    return result.status


@pytest.mark.parametrize(
    ("body_ran", "dispatched", "logged", "other_processes", "expected"),
    [
        (True, True, True, False, Status.REQUESTED),
        (True, True, True, True, Status.REQUESTED),
        (True, False, True, False, Status.CALLED_DIRECTLY),
        (True, False, True, True, Status.EXECUTED),
        (True, False, False, False, Status.EXECUTED),
        (False, False, True, False, Status.NEVER_REQUESTED),
        (False, False, False, True, Status.NEVER_REQUESTED),
    ],
    ids=[
        "dispatched",
        "dispatched-with-subprocesses",
        "unit-test-call",
        "maybe-a-subprocess-server",
        "no-dispatch-log",
        "never-ran",
        "never-ran-no-log",
    ],
)
def test_status_combines_dispatches_and_coverage(
    source: Path,
    body_ran: bool,
    dispatched: bool,
    logged: bool,
    other_processes: bool,
    expected: Status,
) -> None:
    dispatches: Dispatches | None = None
    if logged:
        line = 1 if dispatched else 99
        dispatches = frozenset({HandlerIdentity("handlers.page", str(source), line)})
    assert judge(source, body_ran, dispatches, other_processes) is expected


def test_a_dispatch_counts_for_the_handler_of_the_same_name_only(source: Path) -> None:
    # One def reached through two classes (a base class's handler) is two handlers;
    # the plugin logs the name handler_identity gives, which the route shares.
    other = frozenset({HandlerIdentity("handlers.Other.page", str(source), 1)})
    assert judge(source, True, other) is Status.CALLED_DIRECTLY


def test_routes_match_the_identity_the_plugin_logs(source: Path) -> None:
    from framework.introspect import handler_identity

    page = load_module(source).page
    logged = handler_identity(page)
    assert route_for(page).source.identity == logged
    assert judge(source, True, frozenset({logged})) is Status.REQUESTED


def test_static_sections_have_no_handler_to_judge(tmp_path: Path) -> None:
    from cherrycli.routes import collect_routes

    config = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tmp_path)}}
    (static,) = collect_routes(Bare(), config)
    report = CoverageReport(files=(), totals={}, fail_under=0, precision=0, branch=False)
    assert static.kind == "static"
    assert handler_coverage([static], report, frozenset()) == []


def test_dispatch_log_matches_locations_resolved(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    log = tmp_path / "dispatched.jsonl"
    entry = {"handler": "app.Root.index", "file": str(tmp_path / "link" / "app.py"), "line": 7}
    log.write_text(json.dumps(entry) + "\n")
    resolved = str((tmp_path / "real" / "app.py").resolve())
    assert read_dispatches(log) == frozenset({HandlerIdentity("app.Root.index", resolved, 7)})


def test_dispatch_log_skips_torn_lines(tmp_path: Path) -> None:
    log = tmp_path / "dispatched.jsonl"
    good = json.dumps({"handler": "a.f", "file": str(tmp_path / "a.py"), "line": 3})
    log.write_text(good + '\n{"handler": "b.g", "fi\n{"line": "x"}\n[1]\n')
    expected = HandlerIdentity("a.f", str((tmp_path / "a.py").resolve()), 3)
    assert read_dispatches(log) == frozenset({expected})


def test_missing_dispatch_log_means_unknown(tmp_path: Path) -> None:
    assert read_dispatches(tmp_path / "never-written.jsonl") is None


def test_empty_dispatch_log_means_nothing_dispatched(tmp_path: Path) -> None:
    log = tmp_path / "dispatched.jsonl"
    log.write_text("")
    assert read_dispatches(log) == frozenset()


class Bare:
    """A root without handlers of its own (static sections only)."""


def page() -> int:
    return 1


def result_with(status: Status) -> HandlerCoverage:
    return HandlerCoverage(route_for(page, "/"), status)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([Status.REQUESTED, Status.NO_CODE], "[ok]1 of 1 handlers requested[/ok]"),
        (
            [Status.REQUESTED, Status.CALLED_DIRECTLY, Status.NEVER_REQUESTED],
            "[error]1 of 3 handlers requested, 1 only called directly[/error]",
        ),
        (
            [Status.EXECUTED, Status.NOT_MEASURED],
            "[error]0 of 1 handlers requested, 1 executed but not seen dispatched[/error]",
        ),
    ],
    ids=["all", "called-directly", "executed"],
)
def test_summary_line(statuses: list[Status], expected: str) -> None:
    assert summary_line([result_with(status) for status in statuses]) == expected


def test_log_variable_is_the_one_the_plugin_reads() -> None:
    from framework.introspect import HANDLER_LOG_ENV as FRAMEWORK_NAME

    assert HANDLER_LOG_ENV is FRAMEWORK_NAME
