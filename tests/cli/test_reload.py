"""``cherry serve --reload``: what is watched, reload on save, broken code, cleanup."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

from cherrycli.reload.supervisor import ReloadOptions
from cherrycli.reload.watch import WatchFilter
from cherrycli.reload.worker import _parser, _stale_modules, worker_command
from cherrycli.serve import DEFAULT_GRACE
from cherrycli.serve.address import Address
from serve_harness import (
    Cherry,
    cherry,
    children,
    copy_asset,
    get,
    pid_alive,
    poll,
    port_is_free,
    try_get,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "templates").mkdir(parents=True)
    (root / ".venv").mkdir()
    (root / "env").mkdir()
    (root / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / "data").mkdir()
    return root


@pytest.mark.parametrize(
    ("relative", "watched"),
    [
        ("app.py", True),
        ("pkg/models.py", True),
        ("dev.conf", True),
        ("site.ini", True),
        ("pyproject.toml", True),
        ("templates/page.html", True),
        ("templates/page.jinja2", True),
        ("templates/page.mako", True),
        ("static/site.css", False),
        ("notes.md", False),
        ("app.log", False),
        ("__pycache__/app.cpython-311.pyc", False),
        (".git/HEAD", False),
        (".venv/lib/x.py", False),
        ("env/lib/python3.11/site-packages/y.py", False),
        ("node_modules/z/index.html", False),
        (".app.py.swp", False),
        ("app.py~", False),
        (".#app.py", False),
        ("4913", False),
        (".mypy_cache/3.11/app.json", False),
        ("logs/today.py", False),
    ],
)
def test_watch_filter_default_rules(project: Path, relative: str, watched: bool) -> None:
    check = WatchFilter(roots=(project,))
    assert check(str(project / relative)) is watched


@pytest.mark.parametrize(
    ("relative", "include", "exclude", "watched"),
    [
        ("notes.md", ("*.md",), (), True),
        ("app.py", (), ("app.py",), False),
        ("data/seed.py", (), ("data/*",), False),
        ("other/seed.py", (), ("data/*",), True),
        ("data/x.md", ("*.md",), ("data/*",), False),
    ],
)
def test_watch_filter_include_and_exclude_globs(
    project: Path, relative: str, include: tuple[str, ...], exclude: tuple[str, ...], watched: bool
) -> None:
    check = WatchFilter(roots=(project,), include=include, exclude=exclude)
    assert check(str(project / relative)) is watched


def test_watch_filter_watches_the_config_file_outside_the_roots(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "site.conf"
    check = WatchFilter(roots=(tmp_path / "proj",), files=(config,))
    assert check(str(config))
    assert not check(str(tmp_path / "etc" / "other.conf"))


def test_watched_directories_skip_virtualenvs_and_caches(project: Path) -> None:
    (project / "pkg" / "__pycache__").mkdir(parents=True)
    (project / ".git" / "objects").mkdir(parents=True)
    dirs = WatchFilter(roots=(project,)).directories()
    assert sorted(dirs) == sorted(str(project / d) for d in ("", "templates", "data", "pkg"))


def test_reload_options_watch_the_app_file_folder_outside_cwd(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    options = ReloadOptions(
        target=f"{elsewhere / 'app.py'}:Root",
        address=Address("127.0.0.1", 0),
        config=tmp_path / "dev.conf",
        roots=[tmp_path / "proj"],
    )
    check = options.watch_filter()
    assert set(check.roots) == {(tmp_path / "proj").resolve(), elsewhere.resolve()}
    assert check.files == ((tmp_path / "dev.conf").resolve(),)


# -- live: a real supervisor and workers on 127.0.0.1 ---------------------------------


def _rewrite(app: Path, old: str, new: str) -> None:
    app.write_text(app.read_text().replace(old, new))


def _threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("Threads:")[1].split()[0])


def _answers(url: str, body: str) -> bool:
    result = try_get(url)
    return result == (200, body)


@contextlib.contextmanager
def _reloading(tmp_path: Path, *, watching: bool = True) -> Iterator[tuple[Cherry, str, Path]]:
    """``cherry serve --reload`` on the serve_wsgi asset, answering "v1" (and watching)."""
    app_dir = copy_asset("serve_wsgi", tmp_path)
    with cherry(["serve", "app.py", "--port", "0", "--reload"], app_dir) as proc:
        url = proc.url()
        poll(lambda: _answers(url, "v1"), message="first answer")
        if watching:
            proc.wait_watching()
        yield proc, url, app_dir


@pytest.mark.live
def test_reload_serves_new_code_after_a_save(tmp_path: Path) -> None:
    with _reloading(tmp_path) as (proc, url, app_dir):
        mark = len(proc.lines)
        _rewrite(app_dir / "app.py", '"v1"', '"v2"')
        poll(lambda: _answers(url, "v2"), message="new code")
        proc.wait_for(r"Detected a change in app\.py", after=mark)
        proc.wait_for(r"Reloaded in \d+ ms", after=mark)


@pytest.mark.live
def test_two_quick_same_size_saves_serve_the_last_one(tmp_path: Path) -> None:
    with _reloading(tmp_path) as (_proc, url, app_dir):
        for version in ("v2", "v3", "v4"):
            _rewrite(app_dir / "app.py", f'"v{int(version[1]) - 1}"', f'"{version}"')
            poll(lambda v=version: _answers(url, v), message=version)


@pytest.mark.live
def test_ignored_files_do_not_restart_the_worker(tmp_path: Path) -> None:
    with _reloading(tmp_path) as (proc, _url, app_dir):
        mark = len(proc.lines)
        (app_dir / ".app.py.swp").write_text("swap")
        (app_dir / "server.log").write_text("log line")
        (app_dir / "app.py").write_text((app_dir / "app.py").read_text() + "\n# saved\n")
        proc.wait_for(r"Detected a change", after=mark)
        assert proc.lines[mark:].count("Detected a change in app.py; reloading") == 1


@pytest.mark.live
def test_broken_save_serves_the_traceback_then_recovers(tmp_path: Path) -> None:
    with _reloading(tmp_path) as (proc, url, app_dir):
        good = (app_dir / "app.py").read_text()
        (app_dir / "app.py").write_text(good + "\nbroken = ('<unclosed>'\n")
        _, page = poll(lambda: (r := try_get(url)) and r[0] == 500 and r, message="500")
        assert "SyntaxError" in page
        assert "app.py" in page
        assert "&#x27;&lt;unclosed&gt;&#x27;" in page
        assert "cherrycli" not in page
        proc.wait_for(r"The app failed to load")
        (app_dir / "app.py").write_text(good.replace('"v1"', '"v2"'))
        poll(lambda: _answers(url, "v2"), message="recovery")


@pytest.mark.live
def test_exception_at_import_shows_the_app_frame(tmp_path: Path) -> None:
    with _reloading(tmp_path) as (_proc, url, app_dir):
        source = (app_dir / "app.py").read_text()
        (app_dir / "app.py").write_text(source + "\nimport no_such_module_here\n")
        status, page = poll(lambda: (r := try_get(url)) and r[0] == 500 and r, message="500")
        assert "ModuleNotFoundError" in page
        assert "import no_such_module_here" in page
        assert status == 500


@pytest.mark.live
def test_first_start_with_broken_code_keeps_the_supervisor(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    source = (app_dir / "app.py").read_text()
    (app_dir / "app.py").write_text(source + "\n1 / 0\n")
    with cherry(["serve", "app.py", "--port", "0", "--reload"], app_dir) as proc:
        url = proc.url()
        status, page = poll(lambda: try_get(url), message="error page")
        assert (status, "ZeroDivisionError" in page) == (500, True)
        proc.wait_watching()
        (app_dir / "app.py").write_text(source)
        poll(lambda: _answers(url, "v1"), message="recovery")


@pytest.mark.live
def test_no_connection_is_refused_during_a_restart(tmp_path: Path) -> None:
    with _reloading(tmp_path) as (_proc, url, app_dir):
        results: list[object] = []
        done = threading.Event()

        def hammer() -> None:
            while not done.is_set():
                try:
                    results.append(get(url, timeout=10)[1])
                except OSError as error:
                    results.append(error)

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            poll(lambda: len(results) > 20, message="hammer running")
            _rewrite(app_dir / "app.py", '"v1"', '"v2"')
            poll(lambda: "v2" in results[-4:], message="new code under load")
            seen = len(results)
            poll(lambda: len(results) > seen + 20, message="more requests after restart")
        finally:
            done.set()
            for thread in threads:
                thread.join(15)
        errors = [r for r in results if isinstance(r, Exception)]
        assert errors == []
        assert set(results) == {"v1", "v2"}


@pytest.mark.live
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stop_signal_frees_the_port_and_leaves_no_worker(tmp_path: Path, signum: int) -> None:
    with _reloading(tmp_path, watching=False) as (proc, url, _app_dir):
        workers = poll(lambda: len(children(proc.process.pid)) >= 2 and children(proc.process.pid))
        # Each worker leads its own process group, away from the terminal's Ctrl-C.
        assert all(os.getpgid(pid) == pid != os.getpgid(proc.process.pid) for pid in workers)
        port = int(url.rsplit(":", 1)[1])
        started = time.monotonic()
        assert proc.stop(signum) == 0
        poll(lambda: not any(pid_alive(pid) for pid in workers), timeout=5, message="workers")
        poll(lambda: port_is_free("127.0.0.1", port), timeout=5, message="port")
        assert time.monotonic() - started < 5
        assert "Traceback" not in proc.output


@pytest.mark.live
def test_killed_supervisor_leaves_no_orphan_worker(tmp_path: Path) -> None:
    with _reloading(tmp_path, watching=False) as (proc, _url, _app_dir):
        workers = poll(lambda: len(children(proc.process.pid)) >= 2 and children(proc.process.pid))
        proc.process.kill()
        proc.finish()
        poll(lambda: not any(pid_alive(pid) for pid in workers), timeout=10, message="orphans")


@pytest.mark.live
def test_reload_with_unknown_target_prints_one_line(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    with cherry(["serve", "app.py:Missing", "--port", "0", "--reload"], tmp_path) as proc:
        code = proc.finish()
    errors = [line for line in proc.lines if line.startswith("error:")]
    assert code == 1
    assert len(errors) == 1
    assert "Missing" in errors[0]
    assert "Traceback" not in proc.output


@pytest.mark.live
def test_worker_exiting_on_its_own_is_reported(tmp_path: Path) -> None:
    with _reloading(tmp_path, watching=False) as (proc, url, app_dir):
        # The serving worker runs a thread pool; the warm spare is single-threaded.
        worker = max(children(proc.process.pid), key=_threads)
        os.kill(worker, signal.SIGKILL)
        proc.wait_for(r"The worker exited with status -9; waiting for the next save")
        proc.wait_watching()
        _rewrite(app_dir / "app.py", '"v1"', '"v2"')
        poll(lambda: _answers(url, "v2"), message="restart after the crash")


@pytest.mark.live
def test_reload_include_watches_extra_files(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    args = ["serve", "app.py", "--port", "0", "--reload", "--reload-include", "*.md"]
    with cherry(args, app_dir) as proc:
        url = proc.url()
        poll(lambda: _answers(url, "v1"), message="first answer")
        proc.wait_watching()
        (app_dir / "notes.md").write_text("# notes\n")
        proc.wait_for(r"Detected a change in notes\.md; reloading")
        proc.wait_for(r"Reloaded in \d+ ms")


@pytest.mark.live
def test_a_new_package_directory_is_watched(tmp_path: Path) -> None:
    with _reloading(tmp_path) as (proc, _url, app_dir):
        (app_dir / "pkg").mkdir()
        mark = len(proc.lines)

        # The watcher re-scans after a directory appears; keep saving until it sees one.
        def saved_and_seen() -> bool:
            (app_dir / "pkg" / "mod.py").write_text("X = 1\n")
            return any("pkg/mod.py" in line for line in proc.lines[mark:])

        poll(saved_and_seen, message="change inside the new directory")


@pytest.mark.live
def test_saving_the_config_file_reloads_with_its_new_values(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_root", tmp_path)
    args = ["serve", "app:Root", "--port", "0", "--reload", "--config", "dev.conf"]
    with cherry(args, app_dir) as proc:
        url = proc.url() + "/setting"
        poll(lambda: _answers(url, "hello from dev.conf"), message="first answer")
        proc.wait_watching()
        _rewrite(app_dir / "dev.conf", "hello from", "saved")
        poll(lambda: _answers(url, "saved dev.conf"), message="new config")


@pytest.mark.live
def test_failing_start_listener_serves_the_error_page(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_failing", tmp_path)
    with cherry(["serve", "start.py:Root", "--port", "0", "--reload"], app_dir) as proc:
        url = proc.url()
        status, page = poll(lambda: try_get(url), message="error page")
        assert status == 500
        assert "ConnectionError: cannot reach the &lt;cache&gt; server" in page


@pytest.mark.live
def test_exception_at_mount_serves_the_error_page(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_failing", tmp_path)
    with cherry(["serve", "mount.py:Root", "--port", "0", "--reload"], app_dir) as proc:
        url = proc.url()
        status, page = poll(lambda: try_get(url), message="error page")
        assert status == 500
        assert "RuntimeError: database is not configured" in page
        assert 'mount.py", line 6, in __init__' in page.replace("&quot;", '"')


@pytest.mark.live
def test_recovers_after_every_worker_was_killed(tmp_path: Path) -> None:
    with _reloading(tmp_path, watching=False) as (proc, url, app_dir):
        workers = poll(lambda: len(children(proc.process.pid)) >= 2 and children(proc.process.pid))
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        proc.wait_for(r"The worker exited with status -9")
        proc.wait_watching()
        _rewrite(app_dir / "app.py", '"v1"', '"v2"')
        poll(lambda: _answers(url, "v2"), message="restart with a fresh worker")


def test_stale_modules_notices_an_edited_loaded_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "edited_after_preload.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import_module("edited_after_preload")  # forgotten after the test (conftest.py)
    since = time.time()
    assert not _stale_modules(since + 3600)
    os.utime(tmp_path / "edited_after_preload.py", (since + 60, since + 60))
    assert _stale_modules(since + 30)


@pytest.mark.parametrize(
    ("options", "tail"),
    [
        ({}, []),
        ({"config": Path("dev.conf"), "compat": True}, ["--config", "dev.conf", "--compat"]),
        ({"strict": True}, ["--strict"]),
        ({"grace": 2.5, "announce": True}, ["--announce"]),
        (
            {"expected": {"socket_host": "0.0.0.0", "socket_port": None}},
            ["--expect-host", "0.0.0.0"],
        ),
        (
            {"expected": {"socket_host": None, "socket_port": "8080"}},
            ["--expect-port", "8080"],
        ),
    ],
    ids=["bare", "config-compat", "strict", "grace-announce", "expect-host", "expect-port"],
)
def test_worker_command_is_what_the_worker_parses(options: dict[str, Any], tail: list[str]) -> None:
    command = worker_command("app.py:Root", fd=5, control_fd=6, ready_fd=7, **options)
    assert command[:3] == [sys.executable, "-m", "cherrycli.reload.worker"]
    grace = f"{options.get('grace', DEFAULT_GRACE):g}"
    assert command[3:] == [
        "--fd", "5", "--control-fd", "6", "--ready-fd", "7", "--grace", grace, *tail,
        "--", "app.py:Root",
    ]  # fmt: skip
    args = _parser().parse_args(command[3:])
    assert args.grace == options.get("grace", DEFAULT_GRACE)
    assert args.announce == options.get("announce", False)
    assert (args.fd, args.control_fd, args.ready_fd, args.target) == (5, 6, 7, "app.py:Root")
    expected = options.get("expected", {})
    assert (args.expect_host, args.expect_port) == (
        expected.get("socket_host"),
        expected.get("socket_port"),
    )
    assert (args.strict, args.compat) == (
        options.get("strict", False),
        options.get("compat", False),
    )
