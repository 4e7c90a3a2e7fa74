"""``cherry profile`` as a user runs it: a subprocess against an app file."""

from __future__ import annotations

import pstats
import re
import textwrap
from pathlib import Path

import pytest

from cli_support import cherry
from profile_support import DEFAULT_PATHS, WIDE, hits, row, write_app

# -- the command ---------------------------------------------------------------------


def test_command_profiles_every_default_route(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = cherry("profile", "prof_app.py", "-n", "3", cwd=tmp_path, env=WIDE)
    assert result.returncode == 0, result.stderr
    for path in DEFAULT_PATHS:
        assert row(result.stdout, f"GET {path}")[1] == "200"
    assert "/item" not in result.stdout
    assert "/search" not in result.stdout
    assert "unique_profiled_handler" in result.stdout  # in the function table


# A package module that also mounts a second app on framework.tree when imported.
MULTI_MOUNT = textwrap.dedent(
    """
    from pathlib import Path

    import framework

    HITS = Path(__file__).resolve().parent.parent / "hits.log"


    def record(line):
        with HITS.open("a") as handle:
            handle.write(line + "\\n")


    class Root:
        @framework.expose
        def index(self):
            record("root")
            return "home"

        @framework.expose
        def hello(self):
            return "hi"


    class Sub:
        @framework.expose
        def index(self):
            record("sub")
            return "sub"


    framework.tree.mount(Sub(), "/sub")
    root = Root()


    def wsgi(environ, start_response):
        record("wsgi " + environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"wsgi"]
    """
)


def write_multi_mount(directory: Path) -> None:
    package = directory / "multi_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "web.py").write_text(MULTI_MOUNT)


def test_default_paths_are_the_targets_own_routes(tmp_path: Path) -> None:
    write_multi_mount(tmp_path)
    result = cherry("profile", "multi_pkg.web:root", "-n", "2", cwd=tmp_path, env=WIDE)
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "GET /")[1] == "200"
    assert row(result.stdout, "GET /hello")[1] == "200"
    assert "/sub" not in result.stdout
    assert "sub" not in hits(tmp_path)


def test_plain_wsgi_target_profiles_the_site_root(tmp_path: Path) -> None:
    write_multi_mount(tmp_path)
    result = cherry("profile", "multi_pkg.web:wsgi", "-n", "2", cwd=tmp_path, env=WIDE)
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "GET /")[1] == "200"
    assert "/sub" not in result.stdout
    assert set(hits(tmp_path)) == {"wsgi /"}
    assert "plain WSGI callable with no routes to list: profiling / only" in result.stderr


def test_command_honours_the_request_count(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = cherry("profile", "prof_app.py", "/echo", "-n", "7", cwd=tmp_path, env=WIDE)
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "GET /echo")[2] == "7"
    assert len(hits(tmp_path)) == 7 + 7 + 7  # warm-up, timed, profiled


def test_command_reports_a_404_and_leaves_it_out(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = cherry("profile", "prof_app.py", "/", "/nope", "-n", "2", cwd=tmp_path, env=WIDE)
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "GET /nope")[1] == "404"
    assert "warning: GET /nope answered 404 Not Found: not profiled" in result.stdout
    assert "1 path x 2 profiled requests" in result.stdout


def test_command_fails_when_every_path_fails(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = cherry("profile", "prof_app.py", "/nope", "/item", "-n", "2", cwd=tmp_path, env=WIDE)
    assert result.returncode == 1
    assert row(result.stdout, "GET /nope")[1] == "404"
    assert result.stderr.strip().splitlines()[-1] == (
        "error: every path answered an error status: nothing was profiled"
    )


def test_command_posts_form_data_to_the_handler(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = cherry(
        "profile", "prof_app.py", "/echo", "-X", "POST", "-d", "a=1&b=2", "-n", "1", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert hits(tmp_path) == ["[('a', '1'), ('b', '2')]"] * 3


def test_command_posts_without_data_as_an_empty_body(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = cherry("profile", "prof_app.py", "/echo", "-X", "POST", "-n", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert hits(tmp_path) == ["[]"] * 3


def test_command_data_without_a_method_is_a_post(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = cherry(
        "profile", "prof_app.py", "/echo", "-d", "a=1", "-n", "1", cwd=tmp_path, env=WIDE
    )
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "POST /echo")[1] == "200"
    assert hits(tmp_path) == ["[('a', '1')]"] * 3


def test_command_sends_json_with_its_content_type(tmp_path: Path) -> None:
    write_app(tmp_path)
    (tmp_path / "body.json").write_text('{"a": 1}')
    result = cherry(
        "profile", "prof_app.py", "/kind", "-X", "PUT", "-d", "@body.json", "-n", "1", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert hits(tmp_path)[0] == "application/json"


def test_command_writes_a_pstats_file(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = cherry("profile", "prof_app.py", "-n", "2", "-o", "run.prof", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    stats = pstats.Stats(str(tmp_path / "run.prof"))
    names = {name for _, _, name in stats.stats}  # type: ignore[attr-defined]
    assert "unique_profiled_handler" in names


def test_command_writes_a_self_contained_html_report(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = cherry("profile", "prof_app.py", "-n", "2", "--html", "report.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report.html").read_text()
    assert "unique_profiled_handler" in page
    assert "GET /api/status" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)


def test_command_uses_pyproject_app_and_config(tmp_path: Path) -> None:
    write_app(tmp_path)
    (tmp_path / "dev.conf").write_text("[/]\ngreeting = 'from the config file'\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cherry]\napp = "prof_app:Root"\nconfig = "dev.conf"\n'
    )
    result = cherry("profile", "/kind", "-n", "1", cwd=tmp_path, env=WIDE)
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "GET /kind")[1] == "200"
    assert hits(tmp_path)[1] == "from the config file"


def test_command_without_qualifying_routes_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "args_only.py").write_text(
        "import framework\n\nclass Root:\n    @framework.expose\n"
        "    def show(self, key):\n        return key\n"
    )
    result = cherry("profile", "args_only.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no route to profile")
    assert result.stderr.strip().count("\n") == 0


@pytest.mark.parametrize(
    "args",
    [
        ("-n", "0"),
        ("--sort", "bogus"),
        ("--limit", "-1"),
        ("-X", "G T"),
        ("-d", "@missing.json"),
        ("--output", "no/such/dir/run.prof"),
        ("--output", "."),
        ("--html", "no/such/dir/report.html"),
        ("--html", "."),
    ],
)
def test_command_bad_option_values_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    write_app(tmp_path)
    result = cherry("profile", "prof_app.py", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert hits(tmp_path) == []  # rejected before any request was made


@pytest.mark.parametrize("option", ["--html", "--output"])
def test_command_output_path_that_is_a_directory_is_one_line(tmp_path: Path, option: str) -> None:
    write_app(tmp_path)
    (tmp_path / "out").mkdir()
    result = cherry("profile", "prof_app.py", option, "out", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"error: {option}: 'out' is a directory\n"


def test_command_usage_shows_that_path_repeats() -> None:
    result = cherry("profile", "--help", env=WIDE)
    assert result.returncode == 0, result.stderr
    assert "[TARGET] [PATH...]" in result.stdout


def test_command_reports_an_app_failing_at_mount_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad_init.py").write_text(
        "import framework\n\nclass Root:\n    def __init__(self):\n"
        "        raise RuntimeError('no database')\n\n"
        "    @framework.expose\n    def index(self):\n        return 'x'\n"
    )
    result = cherry("profile", "bad_init.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: the app failed to load: ")
    assert "RuntimeError: no database" in result.stderr
    assert result.stderr.strip().count("\n") == 0


@pytest.mark.parametrize("target", ["no_such_module_for_cherry:Root", "missing.py"])
def test_command_bad_target_is_one_line(tmp_path: Path, target: str) -> None:
    result = cherry("profile", target, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert result.stderr.strip().count("\n") == 0


ENGINE_APP = """
import pathlib

import framework

state = {}


def open_pool():
    state["pool"] = "open"


def close_pool():
    pathlib.Path("stopped.txt").write_text("stopped")


framework.engine.subscribe("start", open_pool)
framework.engine.subscribe("stop", close_pool)


class Root:
    @framework.expose
    def index(self):
        return state["pool"]
"""


def test_engine_start_listeners_run_before_profiling_and_stop_after(tmp_path: Path) -> None:
    (tmp_path / "engine_app.py").write_text(ENGINE_APP)
    result = cherry("profile", "engine_app.py", "-n", "3", cwd=tmp_path, env=WIDE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"GET /\s.*200", result.stdout), result.stdout
    assert (tmp_path / "stopped.txt").read_text() == "stopped"


def test_an_engine_that_fails_to_start_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken_engine.py").write_text(
        ENGINE_APP.replace('state["pool"] = "open"', "raise RuntimeError('db is down')")
    )
    result = cherry("profile", "broken_engine.py", "-n", "3", cwd=tmp_path, env=WIDE)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "engine failed to start: db is down" in result.stderr
