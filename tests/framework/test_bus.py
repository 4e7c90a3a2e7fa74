"""The engine bus: states, channels, priorities, failures, block/wait and restart."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from framework.process import bus as engine
from framework.process import configure
from framework.process.wspbus import Bus, ChannelFailures, StartError, states

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def logged(bus: Bus) -> list[tuple[str, int]]:
    messages: list[tuple[str, int]] = []
    bus.subscribe("log", lambda msg, level: messages.append((msg, level)))
    return messages


def test_new_bus_is_stopped(bus: Bus) -> None:
    assert bus.state is bus.states.STOPPED


def test_state_repr_names_the_state() -> None:
    assert repr(states.STARTED) == "states.STARTED"


def test_start_publishes_start_and_reaches_started(bus: Bus) -> None:
    seen: list[Any] = []
    bus.subscribe("start", lambda: seen.append(bus.state))
    bus.start()
    assert seen == [states.STARTING]
    assert bus.state is states.STARTED


@pytest.mark.parametrize(
    ("priorities", "expected"),
    [
        ((10, 20, 30), ["a", "b", "c"]),
        ((30, 20, 10), ["c", "b", "a"]),
        ((None, 10, 90), ["b", "a", "c"]),
    ],
)
def test_listeners_run_in_priority_order(
    bus: Bus, priorities: tuple[int | None, ...], expected: list[str]
) -> None:
    order: list[str] = []
    for name, prio in zip("abc", priorities, strict=True):
        bus.subscribe("custom", lambda n=name: order.append(n), priority=prio)
    bus.publish("custom")
    assert order == expected


def test_priority_attribute_of_callback_is_used(bus: Bus) -> None:
    order: list[str] = []

    def late() -> None:
        order.append("late")

    late.priority = 99  # type: ignore[attr-defined]
    bus.subscribe("x", late)
    bus.subscribe("x", lambda: order.append("default"))
    bus.publish("x")
    assert order == ["default", "late"]


def test_publish_passes_arguments_and_collects_results(bus: Bus) -> None:
    bus.subscribe("sum", lambda a, b=0: a + b)
    bus.subscribe("sum", lambda a, b=0: a * b, priority=60)
    assert bus.publish("sum", 3, b=4) == [7, 12]


def test_publish_to_unknown_or_none_channel_returns_empty(bus: Bus) -> None:
    assert bus.publish("nobody") == []
    assert bus.publish(None) == []


def test_subscribe_without_callback_returns_decorator(bus: Bus) -> None:
    @bus.subscribe("deco")
    def listener() -> str:
        return "hi"

    assert bus.publish("deco") == ["hi"]


def test_unsubscribe_removes_listener(bus: Bus) -> None:
    def listener() -> str:
        return "x"

    bus.subscribe("c", listener)
    bus.unsubscribe("c", listener)
    bus.unsubscribe("c", listener)  # unknown: ignored
    assert bus.publish("c") == []


def test_failing_listener_is_logged_and_others_still_run(
    bus: Bus, logged: list[tuple[str, int]]
) -> None:
    ran: list[str] = []

    def boom() -> None:
        raise RuntimeError("kaput")

    bus.subscribe("c", boom, priority=10)
    bus.subscribe("c", lambda: ran.append("after"), priority=20)
    with pytest.raises(ChannelFailures) as info:
        bus.publish("c")
    assert ran == ["after"]
    assert [type(e) for e in info.value.get_instances()] == [RuntimeError]
    assert str(info.value) == "kaput"
    errors = [m for m, level in logged if level == 40]
    assert len(errors) == 1
    assert "kaput" in errors[0]
    assert "Traceback" in errors[0]


def test_failing_log_listener_does_not_recurse(bus: Bus) -> None:
    def bad_log(msg: str, level: int) -> None:
        raise RuntimeError("log down")

    bus.subscribe("log", bad_log)
    bus.log("hello")  # swallowed: nowhere to report it
    bus.start()
    assert bus.state is states.STARTED


def test_system_exit_zero_after_failure_becomes_one(bus: Bus) -> None:
    def boom() -> None:
        raise RuntimeError("first")

    def leave() -> None:
        raise SystemExit(0)

    bus.subscribe("c", boom, priority=1)
    bus.subscribe("c", leave, priority=2)
    with pytest.raises(SystemExit) as info:
        bus.publish("c")
    assert info.value.code == 1


def test_log_with_traceback_appends_current_exception(
    bus: Bus, logged: list[tuple[str, int]]
) -> None:
    try:
        raise ValueError("inner")
    except ValueError:
        bus.log("oops", level=30, traceback=True)
    msg, level = logged[-1]
    assert level == 30
    assert msg.startswith("oops\n")
    assert "ValueError: inner" in msg


def test_stop_then_exit_publish_in_order(bus: Bus) -> None:
    events: list[str] = []
    for channel in ("start", "stop", "exit"):
        bus.subscribe(channel, lambda c=channel: events.append(c))
    bus.start()
    bus.exit()
    assert events == ["start", "stop", "exit"]
    assert bus.state is states.EXITING


def test_exit_twice_runs_exit_listeners_once(bus: Bus) -> None:
    calls: list[int] = []
    bus.subscribe("exit", lambda: calls.append(1))
    bus.start()
    bus.exit()
    bus.exit()
    assert calls == [1]


def test_engine_can_start_again_after_exit(bus: Bus) -> None:
    starts: list[int] = []
    bus.subscribe("start", lambda: starts.append(1))
    bus.start()
    bus.exit()
    bus.start()
    assert bus.state is states.STARTED
    assert starts == [1, 1]
    bus.exit()


def test_failed_start_stops_exits_and_raises(bus: Bus, logged: list[tuple[str, int]]) -> None:
    events: list[str] = []

    def bad_start() -> None:
        raise StartError("port 1 on 127.0.0.1 is busy")

    bus.subscribe("start", bad_start)
    bus.subscribe("stop", lambda: events.append("stop"))
    bus.subscribe("exit", lambda: events.append("exit"))
    with pytest.raises(ChannelFailures, match=r"port 1 on 127\.0\.0\.1 is busy"):
        bus.start()
    assert events == ["stop", "exit"]
    assert bus.state is states.EXITING
    # A StartError explains itself: logged without a traceback.
    assert not any("Traceback" in m for m, _ in logged)


def test_exit_during_start_raises_system_exit_70(bus: Bus) -> None:
    def exits_while_starting() -> None:
        bus.exit()

    bus.subscribe("start", exits_while_starting)
    with pytest.raises(SystemExit) as info:
        bus.start()
    assert info.value.code == 70
    assert bus.state is states.EXITING


def test_graceful_publishes_graceful(bus: Bus) -> None:
    calls: list[str] = []
    bus.subscribe("graceful", lambda: calls.append("g"))
    bus.graceful()
    assert calls == ["g"]


def test_wait_returns_when_another_thread_changes_state(bus: Bus) -> None:
    bus.start()
    threading.Timer(0.05, bus.exit).start()
    began = time.monotonic()
    bus.wait(states.EXITING, interval=5)
    assert time.monotonic() - began < 2  # woken by the state change, not the interval


def test_wait_publishes_to_channel_while_waiting(bus: Bus) -> None:
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(1)
        if len(ticks) == 3:
            bus.exit()

    bus.subscribe("main", tick)
    bus.start()
    bus.wait(states.EXITING, interval=0.01, channel="main")
    assert len(ticks) == 3


def test_block_returns_after_exit_from_another_thread(bus: Bus) -> None:
    bus.start()
    threading.Timer(0.05, bus.exit).start()
    bus.block(interval=0.01)
    assert bus.state is states.EXITING


def test_exit_ends_in_exiting_so_waiting_for_exiting_returns(bus: Bus) -> None:
    # COMPAT: CherryPy's test_bus waits for [EXITING] after exit(); EXITING is final.
    bus.start()
    threading.Timer(0.05, bus.exit).start()
    bus.wait([states.EXITING], interval=5)
    assert bus.state is states.EXITING
    assert not hasattr(states, "EXITED")


def test_block_returns_only_after_the_exit_listeners_ran(bus: Bus) -> None:
    finished: list[int] = []

    def slow_exit() -> None:
        time.sleep(0.2)
        finished.append(1)

    bus.subscribe("exit", slow_exit)
    bus.start()
    # A daemon thread: block() must wait for the listeners, not for the thread.
    threading.Thread(target=bus.exit, daemon=True).start()
    bus.block(interval=0.01)
    assert finished == [1]


def test_block_turns_keyboard_interrupt_into_exit(bus: Bus) -> None:
    exits: list[int] = []
    bus.subscribe("exit", lambda: exits.append(1))

    def interrupt() -> None:
        raise KeyboardInterrupt

    bus.subscribe("main", interrupt)
    bus.start()
    bus.block(interval=0.01)
    assert exits == [1]
    assert bus.state is states.EXITING


def test_block_exits_and_reraises_system_exit(bus: Bus) -> None:
    def leave() -> None:
        raise SystemExit(3)

    bus.subscribe("main", leave)
    bus.start()
    with pytest.raises(SystemExit):
        bus.block(interval=0.01)
    assert bus.state is states.EXITING


def test_start_with_callback_runs_after_start(bus: Bus) -> None:
    seen: list[Any] = []
    done = threading.Event()

    def callback(x: int, y: int = 0) -> None:
        seen.append((bus.state, x, y))
        done.set()

    thread = bus.start_with_callback(callback, (1,), {"y": 2})
    assert done.wait(5)
    thread.join(5)
    assert seen == [(states.STARTED, 1, 2)]
    bus.exit()


def test_restart_reexecutes_the_process(tmp_path: Path) -> None:
    script = tmp_path / "again.py"
    marker = tmp_path / "runs.txt"
    script.write_text(
        textwrap.dedent(
            f"""
            import threading, pathlib
            from framework.process.wspbus import Bus
            marker = pathlib.Path({str(marker)!r})
            runs = marker.read_text() if marker.exists() else ""
            marker.write_text(runs + "run\\n")
            bus = Bus()
            bus.start()
            if not runs:
                threading.Timer(0.05, bus.restart).start()
            else:
                bus.exit()
            bus.block(interval=0.01)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "run\nrun\n"


@pytest.mark.parametrize("key", ["SIGHUP", "SIGTERM"])
def test_configure_signal_key_subscribes_and_none_clears(key: str) -> None:
    def listener() -> None:
        return None

    try:
        configure(key, listener)
        assert listener in engine.listeners[key]
        configure(key, None)
        assert not engine.listeners[key]
    finally:
        engine.clear(key)


def test_configure_plugin_on_subscribes_and_off_unsubscribes() -> None:
    reloader = engine.autoreload  # type: ignore[attr-defined]
    configure("autoreload.on", True)
    try:
        assert reloader.start in engine.listeners["start"]
    finally:
        configure("autoreload.on", False)
    assert reloader.start not in engine.listeners["start"]


def test_configure_plugin_attribute() -> None:
    reloader = engine.autoreload  # type: ignore[attr-defined]
    old = reloader.frequency
    try:
        configure("autoreload.frequency", 7)
        assert reloader.frequency == 7
    finally:
        reloader.frequency = old


def test_configure_bus_attribute() -> None:
    configure("custom_setting", "x")
    try:
        assert engine.custom_setting == "x"  # type: ignore[attr-defined]
    finally:
        del engine.custom_setting  # type: ignore[attr-defined]


def test_configure_unknown_plugin_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"Unknown engine plugin 'nope'"):
        configure("nope.on", True)


def test_engine_singleton_has_default_plugins() -> None:
    assert engine.thread_manager.acquire_thread in engine.listeners["acquire_thread"]  # type: ignore[attr-defined]
    assert engine.autoreload.start not in engine.listeners["start"]  # type: ignore[attr-defined]


def test_main_thread_ending_without_exit_shuts_the_bus_down(tmp_path: Path) -> None:
    script = tmp_path / "forgot.py"
    script.write_text(
        textwrap.dedent(
            """
            import threading
            from framework.process.wspbus import Bus
            bus = Bus()
            bus.subscribe("log", lambda msg, level: print(msg, flush=True))
            stop = threading.Event()
            bus.subscribe("stop", stop.set)
            # A non-daemon worker that only ends when the bus stops, like cheroot's.
            threading.Thread(target=stop.wait).start()
            bus.start()
            """
        )
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "The main thread is exiting but the bus is states.STARTED" in result.stdout
    assert result.stdout.rstrip().endswith("Bus EXITED")
