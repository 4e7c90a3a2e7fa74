"""``cherry test``: pytest under coverage, the summaries, handler coverage, exit codes.

Most tests run the real command (``python -m cherrycli test``) in a small project
written into a temporary directory: an app with two handlers (``/`` and ``/admin``)
whose tests request only what each case needs. Runs whose output several tests read
are module-scoped. The pure helpers (exit-code mapping, child environment, handler
body lines, the threshold rule) are tested in process.
"""

from __future__ import annotations

import ast
import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cherrycli.coverage_data import CoverageReport, FileCoverage
from cherrycli.handlercov import Status, body_lines, handler_coverage
from cherrycli.scaffold.content import KINDS
from cherrycli.testrunner import (
    EXIT_FAILED,
    EXIT_NO_TESTS,
    EXIT_OK,
    EXIT_UNDER_THRESHOLD,
    EXIT_USAGE,
    child_env,
    exit_code_for,
    subset_reason,
)
from cli_support import REPO, cherry, load_module, route_for
from framework.introspect import HandlerIdentity

RUN_TIMEOUT = 180

APP = '''\
"""A two-page app."""

from __future__ import annotations

import framework


class Root:
    @framework.expose
    def index(self) -> str:
        """The home page."""
        return "home"

    @framework.expose
    def admin(self) -> str:
        greeting = "secret"
        return greeting
'''

CONFTEST = """\
import pytest

from mini.app import Root


@pytest.fixture
def cherry_app():
    return Root()
"""

TEST_INDEX = """\
def test_index(cherry_client):
    assert cherry_client.get("/").text == "home"
"""

TEST_ADMIN = """\
def test_admin(cherry_client):
    assert cherry_client.get("/admin").text == "secret"
"""

TEST_ADMIN_IN_SUBPROCESS = """\
import subprocess
import sys
from pathlib import Path


def test_admin_in_a_subprocess():
    code = "from mini.app import Root; print(Root().admin())"
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "secret"
"""

TEST_WAITING = """\
import time
from pathlib import Path


def test_waits_for_ctrl_c():
    (Path(__file__).parent / "started").write_text("")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
"""

TEST_FAILING = """\
def test_admin_is_public(cherry_client):
    assert cherry_client.get("/admin").text == "public"
"""


COVERAGE_CONFIG = """\
[tool.coverage.run]
branch = true
source = ["mini"]

[tool.coverage.report]
fail_under = 100
show_missing = true
"""


def make_project(
    root: Path,
    tests: dict[str, str] | None,
    *,
    app_target: str = "mini.app:Root",
    coverage: str = COVERAGE_CONFIG,
) -> Path:
    """Write the two-page project; ``tests`` maps test file names to their code."""
    root.mkdir(parents=True, exist_ok=True)
    pyproject = textwrap.dedent(
        f"""\
        [project]
        name = "mini"
        version = "0.1.0"

        [tool.cherry]
        app = "{app_target}"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        filterwarnings = ["error"]

        """
    )
    (root / "pyproject.toml").write_text(pyproject + coverage)
    (root / "mini").mkdir(exist_ok=True)
    (root / "mini" / "__init__.py").write_text("")
    (root / "mini" / "app.py").write_text(APP)
    if tests is not None:
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / "conftest.py").write_text(CONFTEST)
        for name, code in tests.items():
            (root / "tests" / name).write_text(code)
    return root


def cherry_test(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cherry("test", *args, cwd=project, env={"COLUMNS": "200"}, timeout=RUN_TIMEOUT)


def row_of(output: str, text: str) -> str:
    """The table line holding ``text``."""
    return next(line for line in output.splitlines() if text in line)


@pytest.fixture(scope="module")
def full_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every handler requested: passes at 100%."""
    root = tmp_path_factory.mktemp("full") / "mini"
    return make_project(root, {"test_index.py": TEST_INDEX, "test_admin.py": TEST_ADMIN})


@pytest.fixture(scope="module")
def untested_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """Only ``/`` requested: ``/admin`` is never requested and coverage is under 100%."""
    root = make_project(tmp_path_factory.mktemp("untested") / "mini", {"test_index.py": TEST_INDEX})
    return cherry_test(root)


# -- scaffolded projects ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_scaffolded_project_passes_with_full_coverage(kind: str, tmp_path: Path) -> None:
    created = cherry("new", "demo", "--template", kind, "--no-git", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    result = cherry_test(tmp_path / "demo")
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "Total coverage: 100%" in result.stdout
    summary = row_of(result.stdout, "handlers requested").split()
    assert summary[0] == summary[2], summary  # "N of N handlers requested"
    assert "never requested" not in result.stdout


# -- a passing run --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_run(full_project: Path) -> subprocess.CompletedProcess[str]:
    return cherry_test(full_project)


def test_passing_run_exits_0(full_run: subprocess.CompletedProcess[str]) -> None:
    assert full_run.returncode == EXIT_OK, full_run.stdout + full_run.stderr


def test_pytest_output_comes_first(full_run: subprocess.CompletedProcess[str]) -> None:
    assert full_run.stdout.index("2 passed") < full_run.stdout.index("Coverage")


def test_coverage_table_lists_the_app_files(full_run: subprocess.CompletedProcess[str]) -> None:
    row = row_of(full_run.stdout, "mini/app.py")
    assert "100%" in row
    assert "100%" in row_of(full_run.stdout, "TOTAL")


@pytest.mark.parametrize("path", ["/ ", "/admin "])
def test_handler_table_marks_requested_handlers(
    full_run: subprocess.CompletedProcess[str], path: str
) -> None:
    assert "✓ requested" in row_of(full_run.stdout, f"│ {path}")


def test_handler_summary_counts_requested(full_run: subprocess.CompletedProcess[str]) -> None:
    assert "2 of 2 handlers requested" in full_run.stdout


# -- failures and thresholds ----------------------------------------------------------------


def test_failing_test_exits_1(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "mini", {"test_index.py": TEST_INDEX, "test_admin.py": TEST_FAILING}
    )
    result = cherry_test(project)
    assert result.returncode == EXIT_FAILED, result.stdout + result.stderr
    assert "1 failed" in result.stdout


def test_untested_handler_is_never_requested(
    untested_run: subprocess.CompletedProcess[str],
) -> None:
    assert "✗ never requested" in row_of(untested_run.stdout, "│ /admin ")
    assert "1 of 2 handlers requested" in untested_run.stdout


def test_coverage_under_threshold_exits_3(untested_run: subprocess.CompletedProcess[str]) -> None:
    assert untested_run.returncode == EXIT_UNDER_THRESHOLD, untested_run.stderr
    errors = untested_run.stderr.strip().splitlines()
    assert len(errors) == 1
    assert "under the threshold 100%" in errors[0]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["-k", "index"], "-k selects a subset of the tests"),
        (["tests/test_index.py"], "only the tests named on the command line ran"),
    ],
)
def test_a_subset_run_notes_the_threshold_instead_of_exiting_3(
    full_project: Path, args: list[str], reason: str
) -> None:
    result = cherry_test(full_project, *args)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "under the threshold 100%, which is not enforced: " + reason in result.stderr


@pytest.mark.parametrize(
    ("args", "names_path", "reason"),
    [
        (("-k", "users"), False, "-k selects a subset of the tests"),
        (("-kusers",), False, "-k selects a subset of the tests"),
        (("-m", "slow"), False, "-m selects a subset of the tests"),
        (("--lf",), False, "--lf selects a subset of the tests"),
        (("--deselect=tests/a.py::t",), False, "--deselect selects a subset of the tests"),
        (("tests/test_a.py",), True, "only the tests named on the command line ran"),
        (("-x", "-q"), False, None),
        ((), False, None),
    ],
)
def test_subset_reason(args: tuple[str, ...], names_path: bool, reason: str | None) -> None:
    assert subset_reason(args, names_path) == reason


def test_a_bad_threshold_in_the_environment_names_the_variable(full_project: Path) -> None:
    result = cherry("test", cwd=full_project, env={"CHERRY_TEST_FAIL_UNDER": "abc"})
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: CHERRY_TEST_FAIL_UNDER is not a valid --fail-under: 'abc' is not a valid"
    )
    assert "'--fail-under'" not in result.stderr


def test_a_bad_threshold_in_pyproject_names_the_table(tmp_path: Path) -> None:
    project = make_project(tmp_path / "mini", {"test_index.py": TEST_INDEX})
    with (project / "pyproject.toml").open("a") as handle:
        handle.write("\n[tool.cherry.test]\nfail-under = 101\n")
    result = cherry_test(project)
    assert result.returncode == 2
    assert "error: fail_under in [tool.cherry.test] of " in result.stderr
    assert "is not a valid --fail-under: 101" in result.stderr


def test_fail_under_option_overrides_the_project(tmp_path: Path) -> None:
    project = make_project(tmp_path / "mini", {"test_index.py": TEST_INDEX})
    result = cherry_test(project, "--fail-under", "50")
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "(threshold 50%)" in result.stdout


def test_ctrl_c_stops_the_run_with_exit_1(tmp_path: Path) -> None:
    project = make_project(tmp_path / "mini", {"test_wait.py": TEST_WAITING})
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHERRY_")}
    env["PYTHONPATH"] = str(REPO)
    process = subprocess.Popen(
        [sys.executable, "-m", "cherrycli", "test"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal would give it
    )
    try:
        deadline = time.monotonic() + 60
        while not (project / "tests" / "started").exists():
            assert time.monotonic() < deadline, "the test never started"
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == EXIT_FAILED, stdout + stderr
    assert "KeyboardInterrupt" in stdout
    assert "Handler coverage" not in stdout  # an interrupted run is not reported
    assert "Traceback" not in stderr


# -- no tests -------------------------------------------------------------------------------


def test_empty_tests_dir_exits_5(tmp_path: Path) -> None:
    project = make_project(tmp_path / "mini", {})
    result = cherry_test(project)
    assert result.returncode == EXIT_NO_TESTS, result.stdout + result.stderr
    assert "CoverageWarning" not in result.stdout + result.stderr


@pytest.mark.parametrize("option", [["--html", "covhtml"], ["--fail-under", "90"]])
def test_options_that_need_coverage_are_refused_with_no_cov(
    tmp_path: Path, option: list[str]
) -> None:
    project = make_project(tmp_path / "mini", {})
    result = cherry_test(project, "--no-cov", *option)
    assert result.returncode == EXIT_USAGE
    assert f"{option[0]} needs coverage" in result.stderr
    assert result.stderr.count("\n") == 1


def test_missing_tests_dir_is_one_line(tmp_path: Path) -> None:
    project = make_project(tmp_path / "mini", None)
    result = cherry_test(project)
    assert result.returncode == EXIT_NO_TESTS
    assert result.stderr.count("\n") == 1
    assert "no tests to run" in result.stderr


def test_missing_pyproject_is_a_usage_error(tmp_path: Path) -> None:
    result = cherry_test(tmp_path)
    assert result.returncode == EXIT_USAGE
    assert result.stderr.count("\n") == 1
    assert "no pyproject.toml" in result.stderr
    assert "Traceback" not in result.stderr


def cherry_test_without(project: Path, missing: list[str], *args: str) -> str:
    """Run ``cherry test ARGS`` where the ``missing`` modules cannot be imported.

    A ``None`` entry in ``sys.modules`` is how Python marks a module as absent: its
    import raises ModuleNotFoundError and ``find_spec`` finds nothing. Returns stderr
    after checking that the run was refused as a usage error.
    """
    probe = (
        "import sys\n"
        f"sys.modules.update(dict.fromkeys({missing!r}))\n"
        "from cherrycli.main import main\n"
        f"main(['test', *{list(args)!r}])\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHERRY_")}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert result.returncode == EXIT_USAGE, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    return result.stderr


DEV_EXTRA = '\n[project.optional-dependencies]\ndev = ["cherrycli[test]"]\n'


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (["pytest"], "error: pytest is not installed; cherry test needs it"),
        (["coverage"], "error: coverage is not installed; cherry test needs it"),
        (["pytest", "coverage"], "error: pytest and coverage are not installed;"),
    ],
)
def test_missing_test_tools_are_a_usage_error_naming_the_dev_extra(
    tmp_path: Path, missing: list[str], message: str
) -> None:
    project = make_project(tmp_path / "mini", {"test_index.py": TEST_INDEX})
    with (project / "pyproject.toml").open("a") as handle:
        handle.write(DEV_EXTRA)
    stderr = cherry_test_without(project, missing)
    assert stderr.startswith(message)
    target = shlex.quote(f"{project}[dev]")  # quoted for the shell: [ is a glob
    assert f"(hint: install the project's dev extra: pip install -e {target})" in stderr


def test_missing_pytest_without_a_dev_extra_names_the_test_extra(tmp_path: Path) -> None:
    project = make_project(tmp_path / "mini", {"test_index.py": TEST_INDEX})
    stderr = cherry_test_without(project, ["pytest"], "--no-cov")
    assert "(hint: pip install 'cherrycli[test]')" in stderr


def test_no_cov_runs_without_coverage_installed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "mini", {"test_index.py": TEST_INDEX})
    # coverage is blocked in cherry's process only: pytest runs in a child interpreter.
    probe = (
        "import sys\nsys.modules['coverage'] = None\n"
        "from cherrycli.main import main\nmain(['test', '--no-cov', '-q'])\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHERRY_")}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "1 passed" in result.stdout


# -- options --------------------------------------------------------------------------------


def test_html_writes_the_report(full_project: Path, tmp_path: Path) -> None:
    result = cherry_test(full_project, "--html", str(tmp_path / "report"))
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert (tmp_path / "report" / "index.html").is_file()
    assert str(tmp_path / "report" / "index.html") in result.stdout


def test_no_cov_runs_pytest_plain(full_project: Path) -> None:
    result = cherry_test(full_project, "--no-cov")
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert "Coverage" not in result.stdout
    assert "Handler coverage" not in result.stdout


@pytest.mark.parametrize("separator", [["--"], []], ids=["after-dashes", "bare"])
def test_pytest_args_pass_through(full_project: Path, separator: list[str]) -> None:
    result = cherry_test(full_project, "--no-cov", *separator, "-k", "admin")
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "1 passed, 1 deselected" in result.stdout


def test_selecting_no_test_exits_5(full_project: Path) -> None:
    result = cherry_test(full_project, "--", "-k", "no_such_test")
    assert result.returncode == EXIT_NO_TESTS, result.stdout + result.stderr


def test_paths_are_relative_to_where_cherry_runs(full_project: Path) -> None:
    result = cherry(
        "test", "--no-cov", "test_admin.py", cwd=full_project / "tests", timeout=RUN_TIMEOUT
    )
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_pytest_usage_error_exits_2(full_project: Path) -> None:
    result = cherry_test(full_project, "--no-cov", "--", "--no-such-pytest-option")
    assert result.returncode == EXIT_USAGE


def test_unloadable_app_skips_handler_table_with_a_warning(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "mini",
        {"test_index.py": TEST_INDEX, "test_admin.py": TEST_ADMIN},
        app_target="mini.nowhere:Root",
    )
    result = cherry_test(project)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "Handler coverage" not in result.stdout
    assert "handler coverage skipped" in result.stderr
    assert result.stderr.count("\n") == 1


# -- coverage configuration ---------------------------------------------------------------


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """``/admin`` is requested only by a subprocess; the project measures those."""
    config = COVERAGE_CONFIG.replace("branch = true", "branch = true\nparallel = true")
    config = config.replace("show_missing = true", "skip_covered = true")
    root = make_project(
        tmp_path_factory.mktemp("parallel") / "mini",
        {"test_index.py": TEST_INDEX, "test_sub.py": TEST_ADMIN_IN_SUBPROCESS},
        coverage=config,
    )
    return cherry_test(root)


def test_parallel_project_measures_subprocesses(
    parallel_run: subprocess.CompletedProcess[str],
) -> None:
    assert parallel_run.returncode == EXIT_OK, parallel_run.stdout + parallel_run.stderr
    # The subprocess ran the body; no dispatch of it could be seen from the test process.
    assert "◐ executed, not seen dispatched" in row_of(parallel_run.stdout, "│ /admin ")
    assert "✓ requested" in row_of(parallel_run.stdout, "│ / ")


def test_skip_covered_hides_complete_files(parallel_run: subprocess.CompletedProcess[str]) -> None:
    assert "mini/app.py" not in parallel_run.stdout.split("Handler coverage")[0]
    assert "2 file(s) skipped due to complete coverage" in parallel_run.stdout


def test_source_defaults_to_the_app_package(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "mini",
        {"test_index.py": TEST_INDEX, "test_admin.py": TEST_ADMIN},
        coverage="",
    )
    result = cherry_test(project)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "coverage run --source mini -m pytest" in result.stdout
    assert "mini/app.py" in result.stdout
    assert "conftest.py" not in result.stdout  # tests are not the app


# -- helpers, in process --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pytest_status", "expected"),
    [(0, 0), (1, 1), (2, 1), (3, 1), (4, 2), (5, 5), (-9, 1)],
    ids=["ok", "failed", "interrupted", "internal-error", "usage", "no-tests", "killed"],
)
def test_pytest_exit_status_maps_to_ours(pytest_status: int, expected: int) -> None:
    assert exit_code_for(pytest_status) == expected


def test_child_env_drops_an_outer_coverage_run() -> None:
    outer = {"PATH": "/bin", "COVERAGE_PROCESS_CONFIG": ":data:{}", "COVERAGE_PROCESS_START": "x"}
    assert child_env(outer, None, None) == {"PATH": "/bin"}


def test_child_env_sets_process_start_and_pythonpath(tmp_path: Path) -> None:
    env = child_env({"PYTHONPATH": "/other"}, tmp_path, tmp_path / "pyproject.toml")
    assert env["PYTHONPATH"].split(":") == [str(tmp_path), "/other"]
    assert env["COVERAGE_PROCESS_START"] == str(tmp_path / "pyproject.toml")


SOURCE = '''\
class Root:
    @decorator
    @other
    def page(self):
        """Docstring lines are not body."""
        x = 1
        return x

    def bare(self):
        """Only a docstring."""
'''


@pytest.mark.parametrize("line", [2, 4], ids=["first-decorator", "def"])
def test_body_lines_skip_decorators_and_docstring(line: int) -> None:
    assert body_lines(ast.parse(SOURCE), line) == range(6, 8)


def test_body_lines_of_a_docstring_only_function_is_none() -> None:
    assert body_lines(ast.parse(SOURCE), 9) is None


@pytest.mark.parametrize(
    ("percent", "fail_under", "under"),
    [(99.996, 100, True), (100.0, 100, False), (79.996, 80, False), (79.9, 80, True)],
)
def test_threshold_rule_matches_coverage(percent: float, fail_under: float, under: bool) -> None:
    report = CoverageReport(
        files=(),
        totals={"percent_covered": percent},
        fail_under=fail_under,
        precision=2,
        branch=False,
    )
    assert report.under_threshold() is under


HANDLERS = '''\
def used():
    """Doc."""
    return 1


def unused():
    return 2


def empty():
    """Only a docstring."""
'''


@pytest.mark.parametrize(
    ("name", "status", "lines"),
    [
        ("used", Status.REQUESTED, (1, 1)),
        ("unused", Status.NEVER_REQUESTED, (0, 1)),
        ("empty", Status.NO_CODE, (0, 0)),
    ],
)
def test_handler_status_comes_from_body_lines(
    tmp_path: Path, name: str, status: Status, lines: tuple[int, int]
) -> None:
    source = tmp_path / "handlers.py"
    source.write_text(HANDLERS)
    measured = FileCoverage(
        name="handlers.py",
        path=source.resolve(),
        executed=frozenset({1, 3, 6, 10}),  # the def lines ran at import, and used()
        missing=frozenset({7}),
        summary={},
    )
    report = CoverageReport(
        files=(measured,),
        totals={},
        fail_under=0,
        precision=0,
        branch=False,
        by_path={measured.path: measured},
    )
    handlers = load_module(source)
    dispatched = frozenset({HandlerIdentity("handlers.used", str(source.resolve()), 1)})
    (result,) = handler_coverage([route_for(getattr(handlers, name))], report, dispatched)
    assert (result.status, result.covered, result.statements) == (status, *lines)


def test_handler_in_an_unmeasured_file_is_not_counted(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.py").write_text("def f():\n    return 1\n")
    report = CoverageReport(files=(), totals={}, fail_under=0, precision=0, branch=False)
    route = route_for(load_module(tmp_path / "elsewhere.py").f)
    (result,) = handler_coverage([route], report, frozenset())
    assert result.status is Status.NOT_MEASURED


LEGACY_APP = """\
import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        return "legacy"
"""

LEGACY_CONFTEST = """\
import pytest

from framework import compat

compat.install()


@pytest.fixture
def cherry_app():
    from mini.app import Root

    return Root()
"""


def test_handler_coverage_of_a_compat_project(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "mini",
        {"test_legacy.py": "def test_index(cherry_client):\n    cherry_client.get('/')\n"},
    )
    (project / "mini" / "app.py").write_text(LEGACY_APP)
    (project / "tests" / "conftest.py").write_text(LEGACY_CONFTEST)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("[tool.cherry]\n", "[tool.cherry]\ncompat = true\n")
    )
    result = cherry_test(project, "--fail-under", "0")
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "handler coverage skipped" not in result.stderr
    assert row_of(result.stdout, "handlers requested").split()[:3] == ["1", "of", "1"]
