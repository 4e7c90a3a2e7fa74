"""Profiling in process (cherrycli.profiling, cherrycli.flamegraph) and ``cherry profile``."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import re
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import framework
from cherrycli.errors import CliError
from cherrycli.flamegraph import build_tree, render_html
from cherrycli.profile_report import print_report, short_location, top_functions
from cherrycli.profiling import (
    PathResult,
    RequestSpec,
    default_paths,
    make_specs,
    parse_body,
    run_profile,
)

sys.path.insert(0, str(Path(__file__).resolve().parent / "assets"))
from cli_support import cherry

WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}

# An app file for the command tests: every hit of a handler is appended to hits.log so a
# test can see what reached it.
APP = textwrap.dedent(
    """
    from pathlib import Path

    import framework

    HITS = Path(__file__).with_name("hits.log")


    def record(line):
        with HITS.open("a") as handle:
            handle.write(line + "\\n")


    class Api:
        @framework.expose
        def status(self):
            return "ok"


    class Root:
        api = Api()

        @framework.expose
        def index(self):
            return "home"

        @framework.expose
        def unique_profiled_handler(self):
            return str(sum(range(500)))

        @framework.expose
        def item(self, item_id):
            return item_id

        @framework.expose
        def search(self, *, q):
            return q

        @framework.expose
        def echo(self, **kwargs):
            record(repr(sorted(kwargs.items())))
            return "echoed"

        @framework.expose
        def kind(self):
            record(framework.request.headers.get("Content-Type", ""))
            record(str(framework.request.config.get("greeting")))
            return "kind"
    """
)
DEFAULT_PATHS = ("/", "/api/status", "/echo", "/kind", "/unique_profiled_handler")


def write_app(directory: Path, name: str = "prof_app.py") -> Path:
    path = directory / name
    path.write_text(APP)
    return path


def hits(directory: Path) -> list[str]:
    log = directory / "hits.log"
    return log.read_text().splitlines() if log.exists() else []


def row(stdout: str, label: str) -> list[str]:
    """The cells of the table row for ``label`` (``GET /about``)."""
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│|]", line) if cell.strip()]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row for {label!r} in:\n{stdout}")


# -- request specs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("a=1&b=2", "application/x-www-form-urlencoded"),
        ('{"a": 1}', "application/json"),
        ("[1, 2]", "application/json"),
        (None, None),
    ],
)
def test_data_sets_the_content_type(data: str | None, content_type: str | None) -> None:
    body, kind = parse_body(data)
    assert kind == content_type
    assert body == (None if data is None else data.encode())


def test_data_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "body.json").write_bytes(b'  {"x": [1]}')
    assert parse_body(f"@{tmp_path / 'body.json'}") == (b'  {"x": [1]}', "application/json")


def test_missing_data_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(CliError) as caught:
        parse_body(f"@{tmp_path / 'nope.txt'}")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("method", ["G T", "", "/x"])
def test_bad_method_is_a_usage_error(method: str) -> None:
    with pytest.raises(CliError) as caught:
        make_specs(["/"], method, None)
    assert caught.value.exit_code == 2


def test_specs_add_the_leading_slash_and_drop_duplicates() -> None:
    specs = make_specs(["a?x=1", "/a?x=1", "/b"], "post", None)
    assert [spec.label for spec in specs] == ["POST /a?x=1", "POST /b"]


# -- default paths -------------------------------------------------------------------


class _Sample:
    @framework.expose
    def index(self) -> str:
        return "home"

    @framework.expose
    def item(self, item_id: str) -> str:
        return item_id

    @framework.expose
    def search(self, *, q: str) -> str:
        return q

    @framework.expose
    def page(self, number: int = 1) -> str:
        return str(number)

    @framework.expose
    def rest(self, *parts: str) -> str:
        return "/".join(parts)

    @framework.expose
    def upload(self) -> str:
        return "stored"


def _sample_app() -> framework.Application:
    config = {"/upload": {"tools.allow.on": True, "tools.allow.methods": ["POST"]}}
    return framework.Application(_Sample(), "", config)


@pytest.mark.parametrize(
    ("method", "expected"),
    [("GET", ["/", "/page", "/rest"]), ("POST", ["/", "/page", "/rest", "/upload"])],
)
def test_default_paths_need_no_argument(method: str, expected: list[str]) -> None:
    # /item and /search need an argument; /upload answers POST only.
    assert default_paths(_sample_app(), method) == expected


def test_plain_wsgi_callable_has_no_default_paths() -> None:
    assert default_paths(_wsgi_app(), "GET") == []


# -- driving requests ----------------------------------------------------------------


def _wsgi_app(seen: list[dict[str, Any]] | None = None) -> Callable[..., Iterable[bytes]]:
    def unique_wsgi_handler(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if seen is not None:
            seen.append({**environ, "body": environ["wsgi.input"].read()})
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("kaput")
        status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
        start_response(status, [("Content-Type", "text/plain")])
        return [b"hello"]

    return unique_wsgi_handler


def test_each_path_gets_warmup_timed_and_profiled_requests() -> None:
    seen: list[dict[str, Any]] = []
    run = run_profile(_wsgi_app(seen), make_specs(["/a"], "GET", None), requests=7)
    assert run.warmup == 7
    assert len(seen) == 7 + 7 + 7
    assert len(run.results[0].timings_ns) == 7
    assert run.results[0].statuses == {200: 7}


def test_warmup_is_at_most_ten_requests() -> None:
    run = run_profile(_wsgi_app(), make_specs(["/a"], "GET", None), requests=30)
    assert run.warmup == 10


def test_query_string_and_body_reach_the_app() -> None:
    seen: list[dict[str, Any]] = []
    specs = make_specs(["/form?page=2"], "POST", "a=1&b=2")
    run_profile(_wsgi_app(seen), specs, requests=1, warmup=0)
    environ = seen[0]
    assert (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == ("POST", "/form")
    assert environ["QUERY_STRING"] == "page=2"
    assert environ["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert environ["body"] == b"a=1&b=2"
    assert all(entry["body"] == b"a=1&b=2" for entry in seen)


def test_error_paths_are_timed_but_not_profiled() -> None:
    run = run_profile(_wsgi_app(), make_specs(["/missing", "/ok"], "GET", None), requests=3)
    missing, ok = run.results
    assert missing.failed and missing.profiler is None
    assert missing.reason == "404 Not Found"
    assert len(missing.timings_ns) == 3
    assert not ok.failed and ok.profiler is not None
    assert run.profiled == [ok]


def test_an_app_that_raises_is_reported_not_raised() -> None:
    run = run_profile(_wsgi_app(), make_specs(["/boom"], "GET", None), requests=2)
    result = run.results[0]
    assert result.failed and result.status_text == "error"
    assert result.reason == "the app raised RuntimeError: kaput"
    assert run.combined_stats() is None


def test_an_app_that_never_starts_a_response_fails() -> None:
    def silent(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return []

    result = run_profile(silent, make_specs(["/"], "GET", None), requests=2).results[0]
    assert result.failed
    assert result.reason == "no response (start_response was never called)"


def test_an_app_raising_only_under_the_profiler_is_reported() -> None:
    calls = [0]
    inner = _wsgi_app()

    def flaky(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls[0] += 1
        if calls[0] > 4:  # after 2 warm-up and 2 timed requests
            raise ValueError("late")
        return inner(environ, start_response)

    run = run_profile(flaky, make_specs(["/"], "GET", None), requests=2, warmup=2)
    assert run.results[0].reason == "the app raised ValueError while profiled: late"
    assert run.profiled == []


def test_mixed_statuses_are_profiled_with_a_warning() -> None:
    calls = [0]

    def sometimes(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls[0] += 1
        start_response("500 Oops" if calls[0] % 2 else "200 OK", [])
        return [b"x"]

    run = run_profile(sometimes, make_specs(["/flaky"], "GET", None), requests=4, warmup=0)
    assert run.results[0].status_text in ("200/500", "500/200")
    assert run.profiled == run.results
    console = Console(file=io.StringIO(), width=200, no_color=True)
    print_report(run, console, limit=0)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "warning: GET /flaky: 2 of 4 requests answered an error status" in output
    assert "Top" not in output  # --limit 0 hides the function table


def test_latency_figures() -> None:
    result = PathResult(RequestSpec("GET", "/"), timings_ns=[i * 1_000_000 for i in range(1, 21)])
    assert result.mean_ms == pytest.approx(10.5)
    assert result.percentile_ms(0.5) == 10.0
    assert result.percentile_ms(0.95) == 19.0
    assert result.requests_per_second == pytest.approx(20 / 0.21)


def test_stats_hold_the_handler_and_hide_the_driver() -> None:
    run = run_profile(_wsgi_app(), make_specs(["/a", "/b"], "GET", None), requests=4)
    stats = run.combined_stats()
    assert stats is not None
    rows = top_functions(stats, "calls", 50)
    names = [row.name for row in rows]
    assert "unique_wsgi_handler" in names
    assert "_one_request" not in names
    handler = rows[names.index("unique_wsgi_handler")]
    assert handler.calls == "8" and handler.category == "app"


@pytest.mark.parametrize("sort", ["cumulative", "tottime", "calls", "percall"])
def test_top_functions_are_sorted_and_limited(sort: str) -> None:
    run = run_profile(_wsgi_app(), make_specs(["/a"], "GET", None), requests=3)
    stats = run.combined_stats()
    assert stats is not None
    rows = top_functions(stats, sort, 2)
    assert len(rows) == 2


@pytest.mark.skipif(sys.version_info < (3, 12), reason="cProfile uses sys.monitoring from 3.12")
def test_another_active_profiler_is_a_cli_error() -> None:
    outer = cProfile.Profile()
    outer.enable()
    try:
        with pytest.raises(CliError, match="cannot start cProfile"):
            run_profile(_wsgi_app(), make_specs(["/a"], "GET", None), requests=1)
    finally:
        outer.disable()


def test_short_location_is_relative_to_the_framework_and_stdlib() -> None:
    assert short_location(framework.__file__, 3) == "framework/__init__.py:3"
    assert short_location(io.__file__, 9) == "io.py:9"
    assert short_location("~", 0) == "built-in"


# -- HTML report ---------------------------------------------------------------------


def test_tree_has_one_node_per_profiled_path() -> None:
    run = run_profile(_wsgi_app(), make_specs(["/a", "/missing", "/b"], "GET", None), requests=3)
    tree = build_tree(run)
    assert [child["n"] for child in tree["c"]] == ["GET /a", "GET /b"]
    assert tree["v"] == pytest.approx(sum(child["v"] for child in tree["c"]), abs=0.05)
    names = json.dumps(tree)
    assert "unique_wsgi_handler" in names
    assert "_one_request" not in names


def test_children_never_outweigh_their_parent() -> None:
    run = run_profile(_sample_app(), make_specs(["/"], "GET", None), requests=20)

    def check(node: dict[str, Any]) -> None:
        children = node.get("c", [])
        assert sum(child["v"] for child in children) <= node["v"] * 1.001 + 0.05
        for child in children:
            check(child)

    check(build_tree(run))


def test_html_is_self_contained() -> None:
    run = run_profile(_wsgi_app(), make_specs(["/a"], "GET", None), requests=3)
    page = render_html(run, title="app.py <demo>")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "<link" not in page
    assert "app.py &lt;demo&gt;" in page
    assert "unique_wsgi_handler" in page


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
    ],
)
def test_command_bad_option_values_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    write_app(tmp_path)
    result = cherry("profile", "prof_app.py", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert hits(tmp_path) == []


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
