"""Profiling in process (cherrycli.profiling, cherrycli.flamegraph) and ``cherry profile``."""

from __future__ import annotations

import cProfile
import io
import json
import re
import sys
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


@pytest.mark.parametrize(
    ("method", "content_length"),
    [("POST", "0"), ("PUT", "0"), ("PATCH", "0"), ("GET", None), ("DELETE", None)],
)
def test_body_methods_without_data_announce_an_empty_body(
    method: str, content_length: str | None
) -> None:
    seen: list[dict[str, Any]] = []
    run_profile(_wsgi_app(seen), make_specs(["/"], method, None), requests=1, warmup=0)
    assert seen[0].get("CONTENT_LENGTH") == content_length


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


@pytest.mark.parametrize(
    ("sort", "label"),
    [
        ("cumulative", "cumulative time"),
        ("tottime", "own time"),
        ("calls", "calls"),
        ("percall", "time per call"),
    ],
)
def test_function_table_titles_name_the_order_readably(sort: str, label: str) -> None:
    run = run_profile(_wsgi_app(), make_specs(["/a"], "GET", None), requests=2)
    console = Console(file=io.StringIO(), width=300, no_color=True)
    print_report(run, console, sort=sort, limit=3)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert f"Top 3 functions by {label} (1 path" in output
    assert f"functions by {label}</h2>" in render_html(run, title="t", sort=sort, limit=3)


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
