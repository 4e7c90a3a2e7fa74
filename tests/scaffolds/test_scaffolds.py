"""Every scaffold kind, generated for real: lint-clean, and its own tests pass at 100%.

Each project is written by ``cherry new`` into a temporary directory, then checked with
ruff and tested in a subprocess with ``coverage run -m pytest`` and ``coverage report``
(the generated pyproject.toml sets ``fail_under = 100`` for the app package). The
framework comes from this checkout through PYTHONPATH.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cherrycli.scaffold.content import KINDS

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHERRY_")}
    env["PYTHONPATH"] = str(REPO)
    env.pop("COVERAGE_PROCESS_START", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def plugin_args() -> list[str]:
    """Load the framework's pytest plugin explicitly unless its entry point is installed."""
    installed = any(
        ep.value.startswith("framework") for ep in importlib.metadata.entry_points(group="pytest11")
    )
    return [] if installed else ["-p", "framework.testing_plugin"]


@pytest.fixture(params=KINDS)
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    kind: str = request.param
    result = run(
        ["-m", "cherrycli", "new", f"demo-{kind}", "--template", kind, "--no-git"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    return tmp_path / f"demo-{kind}"


def test_generated_project_is_lint_clean(project: Path) -> None:
    check = run(["-m", "ruff", "check", "--no-cache", "."], project)
    assert check.returncode == 0, check.stdout
    fmt = run(["-m", "ruff", "format", "--check", "--no-cache", "."], project)
    assert fmt.returncode == 0, fmt.stdout


def test_generated_project_tests_pass_with_full_coverage(project: Path) -> None:
    tests = run(
        ["-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args()],
        project,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    report = run(["-m", "coverage", "report"], project)
    assert report.returncode == 0, report.stdout + report.stderr
    assert "100%" in report.stdout


def test_generated_project_routes_are_listed(project: Path) -> None:
    kind = project.name.removeprefix("demo-")
    result = run(["-m", "cherrycli", "routes", "--json"], project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('"path"') >= 2, f"{kind}: {result.stdout}"
