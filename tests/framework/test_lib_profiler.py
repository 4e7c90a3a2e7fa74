"""framework.lib.profiler: profile calls and requests, browse the runs safely."""

from __future__ import annotations

from pathlib import Path

import framework
from framework.lib import profiler
from framework.testing import Client


def work(n: int) -> int:
    return sum(range(n))


def test_run_profiles_a_call_into_a_file(tmp_path: Path) -> None:
    prof = profiler.Profiler(str(tmp_path / "runs"))
    assert prof.run(work, 1000) == sum(range(1000))
    (name,) = prof.statfiles()
    assert name.startswith("cp_") and name.endswith(".prof")
    assert "work" in prof.stats(name)


def test_the_pages_list_and_show_runs(tmp_path: Path) -> None:
    prof = profiler.Profiler(str(tmp_path))
    prof.run(work, 10)
    (name,) = prof.statfiles()
    client = Client(prof)
    assert "<frameset" in client.get("/").text
    assert f"report?filename={name}" in client.get("/menu").text
    report = client.get(f"/report?filename={name}")
    assert report.headers["Content-Type"].startswith("text/plain")
    assert "function calls" in report.text


def test_report_reads_only_profile_files(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    client = Client(profiler.Profiler(str(tmp_path / "runs")))
    for name in ("../secret.txt", "/etc/passwd", "cp_9999.prof"):
        assert client.get("/report", params={"filename": name}).status_code == 404


def test_make_app_profiles_each_request(tmp_path: Path) -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            return "hi"

    app = profiler.make_app(framework.Application(Root(), ""), str(tmp_path))
    assert Client(app).get("/").text == "hi"
    assert Client(app).get("/").text == "hi"
    assert len(profiler.Profiler(str(tmp_path)).statfiles()) == 2
    shared = profiler.make_app(framework.Application(Root(), ""), str(tmp_path / "agg"), True)
    Client(shared).get("/")
    Client(shared).get("/")
    assert len(profiler.Profiler(str(tmp_path / "agg")).statfiles()) == 1


def test_strip_path() -> None:
    stripped = profiler.new_func_strip_path(("/a/b/pkg/__init__.py", 3, "f"))
    assert stripped == ("pkg/__init__.py", 3, "f")
    assert profiler.new_func_strip_path(("/a/b/mod.py", 3, "f")) == ("mod.py", 3, "f")
