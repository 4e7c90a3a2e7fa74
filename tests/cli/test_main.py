"""The ``cherry`` entry point: help, version, exit codes, error lines, import cost."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import cherrycli
from cherrycli.errors import CliError
from cherrycli.main import COMMANDS
from cli_support import REPO, cherry


def test_version_matches_pyproject() -> None:
    with (REPO / "pyproject.toml").open("rb") as handle:
        assert cherrycli.__version__ == tomllib.load(handle)["project"]["version"]


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag_prints_the_version(flag: str) -> None:
    result = cherry(flag)
    assert result.returncode == 0
    assert result.stdout.strip() == f"cherry {cherrycli.__version__}"


def test_help_lists_every_command() -> None:
    result = cherry("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_examples(command: str) -> None:
    result = cherry(command, "--help", env={"COLUMNS": "200"})
    assert result.returncode == 0
    assert "Examples" in result.stdout
    assert f"cherry {command}" in result.stdout


@pytest.mark.parametrize("command", ["serve", "routes", "profile", "test"])
def test_help_shows_the_pyproject_section_name(command: str) -> None:
    # rich would read a bare "[tool.cherry]" as markup and drop it from the help.
    result = cherry(command, "--help", env={"COLUMNS": "200"})
    assert "[tool.cherry]" in result.stdout


@pytest.mark.parametrize("argv", [["--help"]] + [[name, "--help"] for name in COMMANDS])
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    probe = (
        "import sys\n"
        # Modules present before (coverage, when the suite runs under it) don't count.
        "before = set(sys.modules)\n"
        "from cherrycli.main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = ('framework', 'jinja2', 'mako', 'cProfile', 'pstats', 'cheroot', 'watchfiles',"
        " 'pydantic', 'markdown_it', 'pygments', 'coverage', 'rich', 'typer')\n"
        "loaded = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in heavy)\n"
        "print(' '.join(loaded), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stderr.strip() == ""


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["new", "--no-such-option"], ["No such option", "--no-such-option"]),
        (["frobnicate"], ["No such command", "frobnicate"]),
        (["profile", "-n", "abc"], ["Invalid value for '--requests' / '-n'", "abc"]),
        (["new"], ["Missing argument", "NAME"]),
    ],
)
def test_parser_errors_are_one_line_usage_errors(argv: list[str], words: list[str]) -> None:
    # click words its messages a little differently from one release to the next.
    result = cherry(*argv)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert all(word in result.stderr for word in words), result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert f"(hint: see 'cherry {argv[0]} --help')" in result.stderr or argv == ["frobnicate"]
    assert "(hint: see 'cherry --help')" in result.stderr or argv != ["frobnicate"]


def test_bare_cherry_shows_the_help() -> None:
    result = cherry()
    assert "Usage: cherry [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "error" not in result.stderr


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({"CHERRY_REQUESTS": "3"}, "3 requests per path"),
        ({"CHERRY_PROFILE_REQUESTS": "4", "CHERRY_REQUESTS": "3"}, "4 requests per path"),
    ],
)
def test_any_option_can_come_from_the_environment(
    tmp_path: Path, env: dict[str, str], shown: str
) -> None:
    (tmp_path / "env_app.py").write_text(
        "import framework\n\n\nclass Root:\n    @framework.expose\n"
        "    def index(self):\n        return 'x'\n"
    )
    result = cherry("profile", "env_app.py", "--limit", "0", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert shown in result.stdout


def test_options_come_from_pyproject_tables_and_the_command_line_wins(tmp_path: Path) -> None:
    (tmp_path / "pp_app.py").write_text(
        "import framework\n\n\nclass Root:\n    @framework.expose\n"
        "    def index(self):\n        return 'x'\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cherry]\napp = "pp_app:Root"\nrequests = 2\n\n[tool.cherry.profile]\nlimit = 0\n'
    )
    from_file = cherry("profile", cwd=tmp_path)
    assert from_file.returncode == 0, from_file.stderr
    assert "2 requests per path" in from_file.stdout
    assert "Top" not in from_file.stdout  # limit = 0 hides the function table
    from_cli = cherry("profile", "-n", "5", cwd=tmp_path)
    assert "5 requests per path" in from_cli.stdout


def test_a_bad_value_from_the_environment_is_a_usage_error(tmp_path: Path) -> None:
    result = cherry("profile", "x.py", cwd=tmp_path, env={"CHERRY_REQUESTS": "many"})
    assert result.returncode == 2
    assert "'many' is not a valid" in result.stderr


def test_cli_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = cherry("routes", "no_such_module_for_cherry:Root", cwd=tmp_path)
    assert result.returncode == 2  # a TARGET that names nothing is a usage error
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: module 'no_such_module_for_cherry' not found")


def test_no_color_keeps_escape_codes_out(tmp_path: Path) -> None:
    result = cherry(
        "routes",
        "no_such_module_for_cherry:Root",
        cwd=tmp_path,
        env={"NO_COLOR": "1", "FORCE_COLOR": "1"},
    )
    assert "\x1b[" not in result.stderr  # no colour, and no bold or dim either


@pytest.mark.parametrize("argv", [["--help"], ["routes", "--help"]])
def test_no_color_help_has_no_escape_codes(argv: list[str]) -> None:
    result = cherry(*argv, env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout


def test_piped_tables_keep_long_handler_names(tmp_path: Path) -> None:
    name = "a_rather_long_module_name_for_a_handler"
    (tmp_path / f"{name}.py").write_text(
        "import framework\n\n\nclass Root:\n    @framework.expose\n"
        "    def an_equally_long_handler_method_name(self, first_parameter='x'):\n"
        "        return 'x'\n"
    )
    result = cherry("routes", f"{name}.py:Root", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    assert f"{name}.py:5" in result.stdout
    # A cell too long for its column is folded onto the next line, never cut.
    cells = "".join(line.split("│")[3].strip() for line in result.stdout.splitlines()[4:-1])
    assert f"{name}.Root.an_equally_long_handler_method_name" in cells


def test_colour_is_used_when_forced_and_allowed(tmp_path: Path) -> None:
    result = cherry(
        "routes", "no_such_module_for_cherry:Root", cwd=tmp_path, env={"FORCE_COLOR": "1"}
    )
    assert "\x1b[" in result.stderr


def test_cli_error_hint_is_kept_in_str() -> None:
    error = CliError("it broke", hint="fix it", exit_code=2)
    assert str(error) == "it broke (hint: fix it)"
    assert error.exit_code == 2


def test_cli_error_without_hint_is_just_the_message() -> None:
    assert str(CliError("it broke")) == "it broke"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_wraps_prose_to_the_terminal_and_keeps_each_example_whole(command: str) -> None:
    from cherrycli.main import cli

    written = [
        line.strip()
        for line in (cli.commands[command].help or "").splitlines()
        if line.strip().startswith("cherry ")
    ]
    result = cherry(command, "--help", env={"COLUMNS": "60"})
    shown = [line.strip() for line in result.stdout.splitlines()]
    assert len(written) >= 2
    assert all(example in shown for example in written), result.stdout
    prose = [line for line in result.stdout.splitlines() if line.strip() not in written]
    assert max(len(line) for line in prose) <= 60


def test_ctrl_c_while_the_command_line_loads_exits_130_without_a_traceback(
    tmp_path: Path,
) -> None:
    # A click whose import is interrupted stands for Ctrl-C pressed while cherry starts.
    (tmp_path / "click").mkdir()
    (tmp_path / "click" / "__init__.py").write_text("raise KeyboardInterrupt\n")
    result = subprocess.run(
        [sys.executable, "-c", "from cherrycli import run; run()", "--help"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 130
    assert result.stderr == ""


def test_the_console_script_is_the_quiet_entry_point() -> None:
    with (REPO / "pyproject.toml").open("rb") as handle:
        scripts = tomllib.load(handle)["project"]["scripts"]
    assert scripts == {"cherry": "cherrycli:run"}
