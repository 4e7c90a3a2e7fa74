"""``cherry check``: one table of what would go wrong, and the exit code that says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli_support import ASSETS, cherry
from serve_harness import cherry as serving
from serve_harness import poll, try_get


@pytest.fixture
def apps(tmp_path: Path) -> Path:
    target = tmp_path / "apps"
    shutil.copytree(ASSETS / "check_apps", target)
    return target


def run(apps: Path, *args: str) -> tuple[int, str, str]:
    result = cherry("check", *args, cwd=apps, env={"COLUMNS": "200"})
    return result.returncode, result.stdout, result.stderr


def rows(stdout: str) -> list[list[str]]:
    """The table's body rows (first line of each), as stripped cells."""
    found = []
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0]:
            found.append(cells)
    return found


def test_a_clean_app_has_no_problems_and_exits_0(apps: Path) -> None:
    code, out, err = run(apps, "clean.py")
    assert (code, err) == (0, "")
    assert out.strip() == "clean.py: no problems found"


def test_warnings_alone_exit_0(apps: Path) -> None:
    code, out, _ = run(apps, "shadowed.py")
    assert code == 0
    assert rows(out) == [
        [
            "warning",
            "route",
            "/items/report (shadowed.py:12)",
            "shadowed.Items.report can never be reached: GET /items/report answers 405",
        ]
    ]


def test_a_cherrypy_script_lists_config_compat_and_exits_1(apps: Path) -> None:
    code, out, err = run(apps, "legacy.py", "--compat")
    assert code == 1, out + err
    assert "legacy.py: 1 error, 2 warnings" in out
    table = rows(out)
    assert [row[:2] for row in table] == [
        ["error", "config"],
        ["warning", "compat"],
        ["warning", "config"],
    ]
    assert "there is no tool named 'staticdirr' (did you mean 'staticdir'?)" in table[0][3]
    assert table[1][2] == "legacy.py:15"
    assert table[1][3].startswith("cherrypy.dispatch.MethodDispatcher is different:")
    assert "did you mean 'show_tracebacks'?" in table[2][3]


def test_an_app_failing_on_a_missing_cherrypy_name_still_gets_its_table(apps: Path) -> None:
    code, out, _ = run(apps, "broken_import.py", "--compat")
    assert code == 1
    table = rows(out)
    assert table[0][:3] == ["error", "compat", "broken_import.py:4"]
    assert table[0][3].startswith("cherrypy.lib.covercp is not provided:")
    assert table[-1][:2] == ["error", "load"]
    assert "cannot import name 'covercp'" in table[-1][3]


def test_a_wrong_target_is_a_usage_error_in_one_line(apps: Path) -> None:
    code, out, err = run(apps, "no_such_app.py")
    assert (code, out) == (2, "")
    assert err.startswith("error: file 'no_such_app.py' not found")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.live
def test_serve_prints_the_same_findings_once_before_serving(apps: Path) -> None:
    with serving(["serve", "legacy.py", "--compat", "--port", "0"], apps) as proc:
        url = proc.url()
        poll(lambda: try_get(url + "/"), message="an answer")
        warnings = [line for line in proc.lines if line.startswith("warning:")]
        serving_at = next(i for i, line in enumerate(proc.lines) if line.startswith("Serving"))
        assert len(warnings) == 3
        assert all(proc.lines.index(w) < serving_at for w in warnings)
        assert sum("staticdirr" in line for line in warnings) == 1
        assert "UserWarning" not in proc.output
