"""Run a project's pytest suite under coverage and judge the result (``cherry test``).

:func:`run_tests` is the whole command: it finds the project (the nearest
pyproject.toml), runs ``python -m coverage run -m pytest ARGS`` (or plain ``python -m
pytest ARGS`` with ``--no-cov``) in a subprocess from the project directory with the
current interpreter, streams pytest's output live, then prints the coverage summary
(:mod:`cherrycli.coverage_data`), the handler coverage table (:mod:`cherrycli.handlercov`)
and returns an exit code.

Exit codes (distinct for each way a run can disappoint):

- 0: tests passed and total coverage reached the threshold;
- 1: tests failed, or pytest was interrupted or hit an internal error;
- 2: usage error (no pyproject.toml, a bad option, pytest or coverage not installed,
  or pytest's own usage error, 4);
- 3: tests passed but total coverage is under the threshold, in a run of the whole
  suite (with ``-k``, ``-m``, ``--lf`` or test paths only a note says so: a threshold
  set for the suite says nothing about a part of it, :func:`subset_reason`);
- 5: no tests collected (as pytest's 5), or no tests directory at all.

Coverage is measured for the app package: ``[tool.coverage.run] source`` (or
``include``/``source_pkgs``) when the project sets one, else ``--source PKG`` with the
top-level package of ``[tool.cherry] app``. The project's own coverage configuration
(``.coveragerc`` or ``[tool.coverage]``) applies throughout, and the threshold is
``--fail-under`` or ``[tool.coverage.report] fail_under`` (default 0).

Subprocesses of the tests (a test starting a server, say) are measured only when the
project asks: ``patch = ["subprocess"]`` is handled by coverage itself, and with
``parallel = true`` alone ``COVERAGE_PROCESS_START`` is set to the project's config
file. This run's parallel data files are combined before reporting.

``COVERAGE_PROCESS_START``/``_CONFIG``, ``COVERAGE_RUN``, ``COVERAGE_FILE`` and
``COVERAGE_RCFILE`` from the environment (as an outer ``coverage run`` measuring cherry
itself sets them) are removed for the children: cherry test measures exactly as the
project configures. One exception: coverage keeps its data in SQLite, which cannot
open a file whose path is longer than 512 bytes, so in a deeply nested project (a
data file path over :data:`LONG_DATA_PATH` characters) this run's data goes to a
short temporary directory through ``COVERAGE_FILE`` and is deleted after the report.

Handler coverage needs to know which handlers were dispatched: the child gets
``CHERRY_HANDLER_LOG`` naming a file in a temporary directory, where the framework's
pytest plugin writes them (see :mod:`cherrycli.handlercov`).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cherrycli.errors import USAGE_EXIT, CliError
from cherrycli.settings import Settings, load_settings

__all__ = [
    "EXIT_FAILED",
    "EXIT_NO_TESTS",
    "EXIT_OK",
    "EXIT_UNDER_THRESHOLD",
    "EXIT_USAGE",
    "LONG_DATA_PATH",
    "TestOptions",
    "build_command",
    "child_env",
    "exit_code_for",
    "run_tests",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = USAGE_EXIT
EXIT_UNDER_THRESHOLD = 3
EXIT_NO_TESTS = 5

# pytest's own exit statuses (pytest.ExitCode), mapped to ours.
_PYTEST_EXITS: dict[int, int] = {
    0: EXIT_OK,
    1: EXIT_FAILED,
    2: EXIT_FAILED,
    3: EXIT_FAILED,
    4: EXIT_USAGE,
    5: EXIT_NO_TESTS,
}
# Set by an outer `coverage run` (a CI measuring cherry itself, patch = subprocess) or
# by hand: they would start a second, foreign measurement inside the children, or send
# their data somewhere the project's configuration does not say.
_FOREIGN_COVERAGE_VARS = (
    "COVERAGE_PROCESS_START",
    "COVERAGE_PROCESS_CONFIG",
    "COVERAGE_RUN",
    "COVERAGE_FILE",
    "COVERAGE_RCFILE",
)
_TEST_FILE_GLOBS = ("test_*.py", "*_test.py")
# SQLite refuses paths over 512 bytes; leave room for parallel suffixes
# (".host.pid.Xrandom") and "-journal", and for multi-byte characters.
LONG_DATA_PATH = 400


@dataclass(frozen=True)
class TestOptions:
    """What ``cherry test`` was asked to do.

    Attributes:
        pytest_args: arguments passed through to pytest unchanged (paths are rebased).
        cov: measure coverage (``--cov``, the default) or run pytest plain.
        fail_under: threshold overriding the project's ``fail_under``; None keeps it.
        html: directory for coverage's HTML report, or None.
    """

    __test__ = False  # not a pytest test class, despite the name

    pytest_args: tuple[str, ...] = ()
    cov: bool = True
    fail_under: float | None = None
    html: Path | None = None


def exit_code_for(pytest_status: int) -> int:
    """Map pytest's exit status to ``cherry test``'s (see the module docstring).

    Args:
        pytest_status: what pytest (or ``coverage run`` around it) exited with.

    Returns:
        0, 1, 2 or 5; anything unknown (a crash, a signal) is 1.
    """
    return _PYTEST_EXITS.get(pytest_status, EXIT_FAILED)


def _pyproject(settings: Settings) -> Path:
    if settings.pyproject is None:
        raise CliError(
            "no pyproject.toml here or in any parent directory",
            hint="run cherry test inside a project (cherry new NAME creates one)",
            exit_code=USAGE_EXIT,
        )
    return settings.pyproject


def _pytest_testpaths(pyproject: Path) -> list[str]:
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        with pyproject.open("rb") as handle:
            ini = tomllib.load(handle).get("tool", {}).get("pytest", {}).get("ini_options", {})
        paths = ini.get("testpaths", []) if isinstance(ini, dict) else []
        return [paths] if isinstance(paths, str) else [str(path) for path in paths]
    return []


def _rebase_args(args: tuple[str, ...], cwd: Path, root: Path) -> tuple[list[str], bool]:
    """Make path arguments given from ``cwd`` valid from ``root``, where pytest runs.

    Returns:
        The arguments and whether any of them names an existing path.
    """
    rebased = []
    names_path = False
    for arg in args:
        head, sep, tail = arg.partition("::")
        if arg.startswith("-") or not head or not (cwd / head).exists():
            rebased.append(arg)
            continue
        names_path = True
        rebased.append(str((cwd / head).resolve()) + sep + tail if cwd != root else arg)
    return rebased, names_path


def _check_tests_exist(root: Path, pyproject: Path) -> None:
    testpaths = _pytest_testpaths(pyproject)
    if testpaths:
        if any((root / path).exists() for path in testpaths):
            return
        where = ", ".join(testpaths)
    else:
        if (root / "tests").is_dir() or (root / "test").is_dir():
            return
        if any(next(root.glob(pattern), None) for pattern in _TEST_FILE_GLOBS):
            return
        where = "tests/"
    raise CliError(
        f"no tests to run: {root} has no {where}",
        hint="write tests/test_app.py, or pass test paths: cherry test PATH",
        exit_code=EXIT_NO_TESTS,
    )


def _app_package(settings: Settings) -> str | None:
    """The top-level package of ``[tool.cherry] app`` / CHERRY_APP, if one is set."""
    from cherrycli.importer import parse_target

    target = settings.get_str("app")
    if target is None:
        return None
    try:
        module, _attr, _path = parse_target(target)
    except CliError:
        return None
    return module.split(".")[0] or None


def _plugin_args() -> tuple[list[str], Path | None]:
    """``-p framework.testing_plugin`` unless the ``pytest11`` entry point is installed.

    Returns:
        The pytest arguments, and the directory to put on the child's PYTHONPATH so
        that ``framework`` imports there as it does here (a checkout, not an install).
    """
    installed = any(
        entry.value.split(".")[0] == "framework"
        for entry in importlib.metadata.entry_points(group="pytest11")
    )
    if installed:
        return [], None
    spec = importlib.util.find_spec("framework")
    if spec is None or not spec.submodule_search_locations:
        return [], None
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return ["-p", "framework.testing_plugin"], package_dir.parent


def child_env(
    environ: dict[str, str], extra_path: Path | None, process_start: Path | None
) -> dict[str, str]:
    """The environment for the test subprocess.

    Args:
        environ: the environment to start from (usually ``os.environ``).
        extra_path: a directory prepended to PYTHONPATH, or None.
        process_start: config file for ``COVERAGE_PROCESS_START``, or None.

    Returns:
        A new environment without inherited ``COVERAGE_PROCESS_*`` variables.
    """
    env = {key: value for key, value in environ.items() if key not in _FOREIGN_COVERAGE_VARS}
    if extra_path is not None:
        entries = [str(extra_path), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(entries))
    if process_start is not None:
        env["COVERAGE_PROCESS_START"] = str(process_start)
    return env


def build_command(
    pytest_args: list[str], *, cov: bool, source: str | None, plugin: list[str]
) -> list[str]:
    """The child's command line.

    Args:
        pytest_args: arguments for pytest.
        cov: wrap pytest in ``coverage run``.
        source: package for ``--source``, or None to keep the project's setting.
        plugin: pytest arguments loading the framework plugin (may be empty).

    Returns:
        The argv, starting with the current interpreter.
    """
    command = [sys.executable]
    if cov:
        # With no test collected, coverage would add a warning (with a source line) to
        # pytest's own "no tests ran"; exit code 5 already says it.
        command += ["-W", "ignore:No data was collected", "-m", "coverage", "run"]
        command += [*(["--source", source] if source else []), "-m"]
    else:
        command += ["-m"]
    return [*command, "pytest", *plugin, *pytest_args]


def _require_tools(cov: bool, pyproject: Path) -> None:
    """Refuse to start without pytest (and coverage, unless ``--no-cov``): a usage error.

    Args:
        cov: whether coverage will measure the run.
        pyproject: the project's pyproject.toml; its ``dev`` extra, when it has one, is
            what the hint says to install.

    Raises:
        CliError: naming what is missing and how to install it (exit 2).
    """
    wanted = ("pytest", "coverage") if cov else ("pytest",)
    missing = [name for name in wanted if importlib.util.find_spec(name) is None]
    if not missing:
        return
    verb, them = ("is", "it") if len(missing) == 1 else ("are", "them")
    project: object = {}
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError), pyproject.open("rb") as handle:
        project = tomllib.load(handle).get("project", {})
    extras = project.get("optional-dependencies") if isinstance(project, dict) else None
    if isinstance(extras, dict) and "dev" in extras:
        target = shlex.quote(f"{pyproject.parent}[dev]")
        hint = f"install the project's dev extra: pip install -e {target}"
    else:
        hint = "pip install 'cherrycli[test]'"
    raise CliError(
        f"{' and '.join(missing)} {verb} not installed; cherry test needs {them}",
        hint=hint,
        exit_code=USAGE_EXIT,
    )


#: pytest options that run only some of the tests: a coverage threshold set for the
#: whole suite says nothing about such a run.
_SUBSET_OPTIONS = (
    "-k", "-m", "--lf", "--last-failed", "--sw", "--stepwise", "--deselect", "--ignore",
    "--ignore-glob",
)  # fmt: skip


def subset_reason(args: tuple[str, ...], names_path: bool) -> str | None:
    """Why this run covers only part of the suite (so the threshold is not enforced).

    Args:
        args: the arguments passed on to pytest.
        names_path: one of them names a test file, directory or node.

    Returns:
        ``"-k selects a subset of the tests"`` and the like, or None for a full run.
    """
    for arg in args:
        option = arg.split("=", 1)[0]
        if option in _SUBSET_OPTIONS:
            return f"{option} selects a subset of the tests"
        if option[:2] in ("-k", "-m") and len(option) > 2:  # -kusers: the value attached
            return f"{option[:2]} selects a subset of the tests"
    if names_path:
        return "only the tests named on the command line ran"
    return None


@dataclass(frozen=True)
class _Plan:
    """How the project wants coverage measured (from its own configuration)."""

    source_configured: bool
    parallel: bool
    process_start: Path | None
    data_file: Path | None
    moved: bool = False  # data_file is in the scratch directory (a long project path)

    def env_data_file(self) -> Path | None:
        """The ``COVERAGE_FILE`` the children and the helper need, if any."""
        return self.data_file if self.moved else None


def _helper_env(data_file: Path | None = None) -> dict[str, str]:
    """The coverage helper's environment; ``data_file`` overrides the data file's path."""
    env = child_env(dict(os.environ), None, None)
    if data_file is not None:
        env["COVERAGE_FILE"] = str(data_file)
    return env


def _prepare_coverage(root: Path, scratch: Path) -> _Plan:
    """Read the project's coverage settings and erase old data before a run.

    Args:
        root: the project directory.
        scratch: this run's temporary directory, home of the data file when the
            configured one's path is too long for SQLite.
    """
    from cherrycli.coverage_data import PLAN_OPTIONS, ask_coverage

    answer = ask_coverage(root, {"options": PLAN_OPTIONS, "erase": True}, _helper_env())
    data_file = Path(root, answer["data_file"])
    if len(os.fsencode(data_file)) > LONG_DATA_PATH:
        data_file = scratch / data_file.name
    configured = any(answer[f"run:{key}"] for key in ("source", "include", "source_pkgs"))
    patch = answer["run:patch"] or []
    parallel = bool(answer["run:parallel"])
    config_file = answer["config_file"]
    # patch = ["subprocess"] makes coverage measure children itself; plain parallel
    # needs COVERAGE_PROCESS_START for coverage's .pth hook in the children.
    wants_start = parallel and "subprocess" not in patch and config_file
    return _Plan(
        source_configured=configured,
        parallel=parallel or "subprocess" in patch,
        process_start=Path(root, config_file) if wants_start else None,
        data_file=data_file,
        moved=data_file.parent == scratch,
    )


def _fresh_parallel_files(data_file: Path, since: float) -> list[str]:
    """This run's ``.coverage.*`` files (parallel runs, subprocesses), to combine."""
    # Only files this run wrote: an outer coverage run may share the directory.
    return [
        str(path)
        for path in data_file.parent.glob(data_file.name + ".*")
        if path.stat().st_mtime >= since - 1.0  # coarse file clocks
    ]


def _run_child(command: list[str], root: Path, env: dict[str, str]) -> int:
    """Run the tests with output streaming to our terminal; return their exit status."""
    process = subprocess.Popen(command, cwd=root, env=env)
    try:
        return process.wait()
    except KeyboardInterrupt:
        # The child got the same Ctrl-C: give pytest time to print its summary.
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return 2


def run_tests(options: TestOptions, cwd: Path | None = None) -> int:
    """Run the project's tests and print the summaries; the whole of ``cherry test``.

    Args:
        options: the command's options.
        cwd: where the user ran cherry; the working directory when None.

    Returns:
        The exit code (see the module docstring).

    Raises:
        CliError: no project, no tests, or pytest/coverage not installed (exit 2).
    """
    cwd = cwd or Path.cwd()
    settings = load_settings(cwd)
    pyproject = _pyproject(settings)
    root = pyproject.parent
    args, names_path = _rebase_args(options.pytest_args, cwd, root)
    if not names_path:
        _check_tests_exist(root, pyproject)
    _require_tools(options.cov, pyproject)
    scratch = Path(tempfile.mkdtemp(prefix="cherry-test-"))
    subset = subset_reason(options.pytest_args, names_path)
    try:
        return _run_in(options, settings, root, args, scratch, subset)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_in(
    options: TestOptions,
    settings: Settings,
    root: Path,
    args: list[str],
    scratch: Path,
    subset: str | None,
) -> int:
    """The body of :func:`run_tests`, with ``scratch`` as this run's temporary directory
    and ``subset`` saying why only part of the suite runs (see :func:`subset_reason`)."""
    from cherrycli.console import escape, stdout
    from cherrycli.handlercov import HANDLER_LOG_ENV

    plugin, extra_path = _plugin_args()
    plan = _Plan(source_configured=True, parallel=False, process_start=None, data_file=None)
    if options.cov:
        plan = _prepare_coverage(root, scratch)
    source = None if plan.source_configured else _app_package(settings)
    command = build_command(args, cov=options.cov, source=source, plugin=plugin)
    console = stdout()
    shown_args = command[1:]
    if shown_args[:1] == ["-W"]:
        shown_args = shown_args[2:]  # the warning filter is plumbing, not what was asked
    shown = " ".join(["python", *shown_args])
    console.print(f"[muted]$ {escape(shown)}[/muted]", soft_wrap=True)
    sys.stdout.flush()
    started = time.time()
    env = child_env(dict(os.environ), extra_path, plan.process_start)
    moved = plan.env_data_file()
    if moved is not None:
        env["COVERAGE_FILE"] = str(moved)
    dispatch_log = scratch / "dispatched.jsonl"
    if options.cov:  # the handler table, its only reader, needs coverage too
        env[HANDLER_LOG_ENV] = str(dispatch_log)
    status = _run_child(command, root, env)
    code = exit_code_for(status)
    # Report only on a finished run: 0 passed, 1 some failed (not interrupted, not 2).
    if not options.cov or status not in (0, 1):
        return code
    fresh = None
    if plan.parallel and plan.data_file is not None:
        fresh = _fresh_parallel_files(plan.data_file, started)
    return _report(options, settings, root, code, fresh, plan, dispatch_log, subset)


def _report(
    options: TestOptions,
    settings: Settings,
    root: Path,
    code: int,
    combine: list[str] | None,
    plan: _Plan,
    dispatch_log: Path,
    subset: str | None,
) -> int:
    """Print the coverage and handler tables; turn a low total into exit 3 (on a run
    of the whole suite: ``subset`` says why a partial run is not held to it)."""
    from cherrycli.console import escape, stderr, stdout
    from cherrycli.coverage_data import print_summary, read_coverage
    from cherrycli.handlercov import print_handler_coverage, read_dispatches

    html = options.html.resolve() if options.html is not None else None
    env = _helper_env(plan.env_data_file())
    report = read_coverage(root, env, options.fail_under, combine=combine, html=html)
    if report is None:
        stderr().print("[hint]warning:[/hint] no coverage data was collected", soft_wrap=True)
        return code
    print_summary(report)
    dispatches = read_dispatches(dispatch_log)
    print_handler_coverage(report, settings, dispatches, other_processes=plan.parallel)
    if html is not None:
        index = html / "index.html"
        stdout().print(f"HTML report: [path]{escape(str(index))}[/path]", soft_wrap=True)
    if code == EXIT_OK and report.under_threshold() and subset is not None:
        stderr().print(
            f"[hint]note:[/hint] total coverage {report.percent_text()} is under the "
            f"threshold {report.fail_under:g}%, which is not enforced: {escape(subset)}",
            soft_wrap=True,
        )
    elif code == EXIT_OK and report.under_threshold():
        raise CliError(
            f"total coverage {report.percent_text()} is under the threshold {report.fail_under:g}%",
            hint="test the lines listed as missing, or lower --fail-under",
            exit_code=EXIT_UNDER_THRESHOLD,
        )
    return code
