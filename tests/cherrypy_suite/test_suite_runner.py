"""The CherryPy-suite runner: its import hook reaches subprocesses, outcomes fold right,
and the ratchet fails a drop."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def _load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cherrypy_suite_run", HERE / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run = _load_runner()

# Imported in a Python process started the way the suite starts its servers: a child of
# a child, each with a fresh interpreter. Prints what `cherrypy` and its test package are.
PROBE = textwrap.dedent(
    """
    import subprocess, sys
    if sys.argv[1:] == ["child"]:
        import cherrypy
        import cherrypy.test.helper as helper
        from cherrypy._cpcompat import ntob
        print(type(cherrypy.engine).__module__, helper.__name__, ntob("x"))
    else:
        sys.exit(subprocess.call([sys.executable, "-c", sys.argv[1], "child"]))
    """
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("suite")
    run.prepare(path)
    return path


@pytest.mark.parametrize(
    ("target", "engine_module"),
    [("cherry", "framework.process"), ("cherrypy", "cherrypy.process.wspbus")],
)
def test_cherrypy_in_a_grandchild_process_is_the_target(
    workdir: Path, target: str, engine_module: str
) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE / "site"), str(workdir / "pkgs")])
    env["CHERRY_SUITE_TARGET"] = target
    done = subprocess.run(
        [sys.executable, "-c", PROBE, PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [engine_module, "cpsuite.helper", "b'x'"]


def test_the_copied_suite_is_the_installed_wheels() -> None:
    assert (run.installed_cherrypy() / "test" / "helper.py").is_file()


@pytest.mark.parametrize(
    ("phases", "outcome"),
    [
        ({"setup": "passed", "call": "passed", "teardown": "passed"}, "pass"),
        ({"setup": "passed", "call": "failed", "teardown": "passed"}, "fail"),
        ({"setup": "failed", "teardown": "passed"}, "error"),
        ({"setup": "passed", "call": "passed", "teardown": "failed"}, "error"),
        ({"setup": "skipped", "teardown": "passed"}, "skip"),
        ({"setup": "passed"}, "error"),  # the process died during the call
    ],
)
def test_phases_fold_into_one_outcome(phases: dict[str, str], outcome: str) -> None:
    reports = {when: {"outcome": result} for when, result in phases.items()}
    assert run.outcome_of(reports) == outcome


def test_an_expected_failure_is_xfail_and_an_unexpected_pass_a_pass() -> None:
    xfailed = {"setup": {"outcome": "passed"}, "call": {"outcome": "skipped", "xfail": True}}
    xpassed = {"setup": {"outcome": "passed"}, "call": {"outcome": "passed", "xfail": True}}
    assert (run.outcome_of(xfailed), run.outcome_of(xpassed)) == ("xfail", "pass")


def test_the_ratchet_fails_a_drop_and_asks_for_a_raise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ratchet = run.read_ratchet()
    assert run.check_ratchet(ratchet) == 0
    assert run.check_ratchet(ratchet - 1) == 1
    assert "below the ratchet" in capsys.readouterr().out
    assert run.check_ratchet(ratchet + 1) == 0
    assert f"raise {run.RATCHET_PATH}" in capsys.readouterr().out


WATCHED = textwrap.dedent(
    """
    import os

    def test_start(watcher_getter, request):
        calls = []

        def started():  # true from the third look on: the fixture must wait for it
            calls.append(1)
            return len(calls) >= 3

        process = watcher_getter("sleep", ["60"], checker=started, request=request)
        assert process.poll() is None and len(calls) == 3
        with open(os.environ["WATCHED_PID"], "w") as out:
            out.write(str(process.pid))
    """
)


def test_watcher_getter_starts_a_program_and_stops_it_after_the_test(tmp_path: Path) -> None:
    # pytest-services' fixture, which test_session's memcached tests start memcached with.
    (tmp_path / "test_watched.py").write_text(WATCHED)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = dict(os.environ, PYTHONPATH=str(HERE / "site"), WATCHED_PID=str(tmp_path / "pid"))
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "cherry_suite_plugin",
            "-p", "no:framework", "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"),
            "--rootdir", str(tmp_path), str(tmp_path / "test_watched.py"),
        ],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped when the test ended
