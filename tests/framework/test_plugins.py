"""Engine plugins: SimplePlugin, signals, background tasks, reloader, threads, daemons."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from framework.process.plugins import (
    Autoreloader,
    BackgroundTask,
    DropPrivileges,
    Monitor,
    PerpetualTimer,
    PIDFile,
    SignalHandler,
    SimplePlugin,
    ThreadManager,
)
from framework.process.wspbus import Bus, states

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def run_script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def bus() -> Iterator[Bus]:
    engine = Bus()
    yield engine
    engine.exit()


class Recorder(SimplePlugin):
    def __init__(self, engine: Bus) -> None:
        super().__init__(engine)
        self.events: list[str] = []

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")

    def custom(self) -> None:
        self.events.append("custom")


def test_simple_plugin_subscribes_methods_named_after_channels(bus: Bus) -> None:
    plugin = Recorder(bus)
    plugin.subscribe()
    bus.start()
    bus.stop()
    assert plugin.events == ["start", "stop"]


def test_simple_plugin_joins_custom_channels_known_to_the_bus(bus: Bus) -> None:
    bus.listeners.setdefault("custom", set())
    plugin = Recorder(bus)
    plugin.subscribe()
    bus.publish("custom")
    assert plugin.events == ["custom"]


def test_simple_plugin_unsubscribe(bus: Bus) -> None:
    plugin = Recorder(bus)
    plugin.subscribe()
    plugin.unsubscribe()
    bus.start()
    assert plugin.events == []


@pytest.fixture
def handler(bus: Bus) -> Iterator[SignalHandler]:
    sig = SignalHandler(bus)
    sig.subscribe()
    yield sig
    sig.unsubscribe()


def test_sigterm_exits_the_bus(bus: Bus, handler: SignalHandler) -> None:
    bus.start()
    os.kill(os.getpid(), signal.SIGTERM)
    assert wait_for(lambda: bus.state is states.EXITING)


def test_sigusr1_is_graceful(bus: Bus, handler: SignalHandler) -> None:
    calls: list[int] = []
    bus.subscribe("graceful", lambda: calls.append(1))
    os.kill(os.getpid(), signal.SIGUSR1)
    assert wait_for(lambda: calls == [1])


def test_sighup_exits_when_not_daemonized(bus: Bus, handler: SignalHandler) -> None:
    bus.start()
    os.kill(os.getpid(), signal.SIGHUP)
    assert wait_for(lambda: bus.state is states.EXITING)
    assert bus.execv is False


def test_sighup_restarts_when_daemonized(bus: Bus) -> None:
    sig = SignalHandler(bus)
    sig._original_pid = -1  # as if forked away from the launching process
    bus.start()
    sig.handle_SIGHUP()  # pytest's stdin is no terminal
    assert bus.execv is True
    assert bus.state is states.EXITING


def test_unsubscribe_restores_previous_handler(bus: Bus) -> None:
    before = signal.getsignal(signal.SIGUSR1)
    sig = SignalHandler(bus)
    sig.subscribe()
    assert signal.getsignal(signal.SIGUSR1) != before
    sig.unsubscribe()
    assert signal.getsignal(signal.SIGUSR1) == before
    assert not bus.listeners.get("SIGUSR1")


@pytest.mark.parametrize("bad", ["SIGNOPE", 9999])
def test_set_handler_rejects_unknown_signal(bus: Bus, bad: str | int) -> None:
    with pytest.raises(ValueError, match="No such signal"):
        SignalHandler(bus).set_handler(bad)


def test_signal_handler_outside_main_thread_is_skipped(bus: Bus) -> None:
    errors: list[BaseException] = []

    def subscribe() -> None:
        try:
            SignalHandler(bus).subscribe()
        except BaseException as exc:  # pragma: no cover - the failure being tested
            errors.append(exc)

    thread = threading.Thread(target=subscribe)
    thread.start()
    thread.join()
    assert errors == []
    assert not bus.listeners.get("SIGTERM")


def test_background_task_repeats_until_cancelled() -> None:
    calls: list[int] = []
    task = BackgroundTask(0.01, calls.append, args=(1,))
    task.start()
    assert wait_for(lambda: len(calls) >= 3)
    task.cancel()
    task.join(5)
    assert not task.is_alive()


def test_background_task_logs_failures_and_keeps_running(bus: Bus) -> None:
    logged: list[str] = []
    bus.subscribe("log", lambda msg, level: logged.append(msg))
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        raise RuntimeError("flaky")

    task = BackgroundTask(0.01, flaky, bus=bus)
    task.start()
    assert wait_for(lambda: len(calls) >= 2)
    task.cancel()
    task.join(5)
    assert any("Error in background task" in m for m in logged)


def test_perpetual_timer_repeats_and_logs(bus: Bus) -> None:
    logged: list[str] = []
    bus.subscribe("log", lambda msg, level: logged.append(msg))
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        raise RuntimeError("flaky")

    timer = PerpetualTimer(0.01, flaky, bus=bus)
    timer.start()
    assert wait_for(lambda: len(calls) >= 2)
    timer.cancel()
    timer.join(5)
    assert any("perpetual timer" in m for m in logged)


def test_monitor_runs_while_started_and_stops_with_engine(bus: Bus) -> None:
    calls: list[int] = []
    monitor = Monitor(bus, lambda: calls.append(1), frequency=0.01, name="mon")
    monitor.subscribe()
    bus.start()
    assert monitor.thread is not None
    assert monitor.thread.name == "mon"
    assert wait_for(lambda: len(calls) >= 2)
    bus.stop()
    assert monitor.thread is None
    count = len(calls)
    time.sleep(0.05)
    assert len(calls) == count


def test_monitor_graceful_replaces_thread(bus: Bus) -> None:
    monitor = Monitor(bus, lambda: None, frequency=0.01)
    monitor.subscribe()
    bus.start()
    first = monitor.thread
    bus.graceful()
    assert monitor.thread is not None
    assert monitor.thread is not first


def test_monitor_with_zero_frequency_starts_no_thread(bus: Bus) -> None:
    monitor = Monitor(bus, lambda: None, frequency=0)
    monitor.subscribe()
    bus.start()
    assert monitor.thread is None


def test_autoreloader_restarts_when_a_watched_file_changes(bus: Bus, tmp_path: Path) -> None:
    watched = tmp_path / "mod.py"
    watched.write_text("x = 1\n")
    reloader = Autoreloader(bus, frequency=0.01, match="^$")  # only our file
    reloader.files.add(str(watched))
    reloader.subscribe()
    bus.start()
    assert wait_for(lambda: str(watched) in reloader.mtimes)
    stamp = watched.stat().st_mtime + 5
    os.utime(watched, (stamp, stamp))
    assert wait_for(lambda: bus.state is states.EXITING)
    assert bus.execv is True


def test_autoreloader_waits_out_a_syntax_error_then_restarts(bus: Bus, tmp_path: Path) -> None:
    logged: list[str] = []
    bus.subscribe("log", lambda msg, level: logged.append(msg))
    watched = tmp_path / "mod.py"
    watched.write_text("x = 1\n")
    reloader = Autoreloader(bus, match="^$")
    reloader.files.add(str(watched))
    reloader.run()  # records the first mtime

    def touch(text: str, later: float) -> None:
        watched.write_text(text)
        stamp = watched.stat().st_mtime + later
        os.utime(watched, (stamp, stamp))

    touch("def broken(:\n", 5)
    reloader.run()
    reloader.run()  # still broken: no restart, logged once
    assert bus.execv is False and bus.state is not states.EXITING
    assert sum("does not compile" in m for m in logged) == 1
    assert any("line 1" in m for m in logged)
    touch("x = 2\n", 10)
    reloader.run()
    assert bus.execv is True  # compiles again: the process re-executes


def test_autoreloader_watches_loaded_module_files(bus: Bus) -> None:
    reloader = Autoreloader(bus, match=r"framework\.process\.wspbus$")
    files = reloader.sysfiles()
    assert files == {str(ROOT / "framework" / "process" / "wspbus.py")}


def test_autoreloader_watches_the_archive_of_a_module_without_a_file(
    bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader = types.SimpleNamespace(archive="/srv/app.zip")
    zipped = types.ModuleType("zipped_for_test")
    zipped.__file__ = None
    zipped.__loader__ = loader  # type: ignore[assignment]
    bare = types.ModuleType("bare_for_test")
    bare.__file__ = None
    monkeypatch.setitem(sys.modules, "zipped_for_test", zipped)
    monkeypatch.setitem(sys.modules, "bare_for_test", bare)
    reloader = Autoreloader(bus, match=r"(zipped|bare)_for_test$")
    assert reloader.sysfiles() == {"/srv/app.zip"}
    # COMPAT: CherryPy's own helper name, which its test suite calls.
    assert Autoreloader._file_for_file_module(bare) is None


def test_autoreloader_ignores_files_missing_from_the_start(bus: Bus, tmp_path: Path) -> None:
    reloader = Autoreloader(bus, match="^$")
    reloader.files.add(str(tmp_path / "never.py"))
    reloader.run()
    reloader.run()
    assert bus.execv is False


def test_thread_manager_numbers_threads_and_stops_them(bus: Bus) -> None:
    manager = ThreadManager(bus)
    manager.subscribe()
    started: list[int] = []
    stopped: list[int] = []
    bus.subscribe("start_thread", started.append)
    bus.subscribe("stop_thread", stopped.append)

    both_alive = threading.Barrier(2)  # live threads have distinct idents

    def request() -> None:
        bus.publish("acquire_thread")
        bus.publish("acquire_thread")  # same thread: no second start_thread
        both_alive.wait(5)

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(started) == [1, 2]
    bus.stop()
    assert sorted(stopped) == [1, 2]
    assert manager.threads == {}


def test_thread_manager_release_thread(bus: Bus) -> None:
    manager = ThreadManager(bus)
    manager.subscribe()
    stopped: list[int] = []
    bus.subscribe("stop_thread", stopped.append)
    bus.publish("acquire_thread")
    bus.publish("release_thread")
    bus.publish("release_thread")  # unknown now: nothing published
    assert stopped == [1]


def test_pidfile_written_on_start_removed_on_exit(bus: Bus, tmp_path: Path) -> None:
    path = tmp_path / "app.pid"
    PIDFile(bus, str(path)).subscribe()
    bus.start()
    assert path.read_text() == f"{os.getpid()}\n"
    bus.exit()
    assert not path.exists()


def test_drop_privileges_sets_umask(bus: Bus) -> None:
    old = os.umask(0o022)
    try:
        DropPrivileges(bus, umask=0o077).subscribe()
        bus.start()
        assert os.umask(0o022) == 0o077
    finally:
        os.umask(old)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to change user")
def test_drop_privileges_switches_user_by_name(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        import os
        from framework.process.wspbus import Bus
        from framework.process.plugins import DropPrivileges
        bus = Bus()
        DropPrivileges(bus, uid="nobody", gid="nogroup").subscribe()
        bus.start()
        print(os.getuid(), os.getgid())
        bus.exit()
        """,
    )
    import grp
    import pwd

    expected = f"{pwd.getpwnam('nobody').pw_uid} {grp.getgrnam('nogroup').gr_gid}"
    assert result.stdout.strip() == expected, result.stderr


def test_daemonizer_detaches_and_pidfile_names_the_daemon(tmp_path: Path) -> None:
    pidfile = tmp_path / "d.pid"
    done = tmp_path / "done"
    result = run_script(
        tmp_path,
        f"""
        import os, pathlib
        from framework.process.wspbus import Bus
        from framework.process.plugins import Daemonizer, PIDFile
        bus = Bus()
        Daemonizer(bus).subscribe()
        PIDFile(bus, {str(pidfile)!r}).subscribe()
        bus.start()
        # Written then renamed: the test waits for the name, so it must appear whole.
        pathlib.Path({str(done)!r} + ".tmp").write_text(str(os.getsid(0) == os.getpid()))
        os.replace({str(done)!r} + ".tmp", {str(done)!r})
        bus.exit()
        """,
    )
    assert result.returncode == 0, result.stderr
    assert wait_for(done.exists, timeout=20)
    assert done.read_text() == "False"  # second fork: not a session leader
    assert wait_for(lambda: not pidfile.exists(), timeout=20)
