"""Specification of hook points, priorities and failsafe hooks.

Unit tests pin :class:`framework.hooks.Hook` and :class:`~framework.hooks.HookMap`;
the rest serve real requests and record which hooks ran, in which order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import framework
from framework.hooks import HOOK_POINTS, Hook, HookMap
from framework.testing import Client

Recorder = Callable[[str], Callable[[], None]]


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
def record(calls: list[str]) -> Recorder:
    """``record(name)`` returns a hook callback appending ``name`` to ``calls``."""

    def make(name: str) -> Callable[[], None]:
        def callback() -> None:
            calls.append(name)

        callback.__qualname__ = f"record[{name}]"
        return callback

    return make


def every_point(record: Recorder) -> dict[str, Any]:
    return {f"hooks.{point}": record(point) for point in HOOK_POINTS}


class Root:
    @framework.expose
    def index(self) -> str:
        return "ok"

    @framework.expose
    def boom(self) -> str:
        raise RuntimeError("boom")

    @framework.expose
    def missing(self) -> str:
        raise framework.HTTPError(404)

    @framework.expose
    def stream(self) -> Iterator[bytes]:
        framework.response.stream = True
        return iter([b"a", b"b"])


def client(config: dict[str, Any]) -> Client:
    return Client(Root(), config={"/": config})


# -- Hook -----------------------------------------------------------------------------
def test_hook_priority_defaults_to_50() -> None:
    assert Hook(lambda: None).priority == 50


def test_hook_priority_comes_from_callback_attribute() -> None:
    def callback() -> None: ...

    callback.priority = 10  # type: ignore[attr-defined]
    assert Hook(callback).priority == 10


def test_hook_explicit_priority_wins_over_attribute() -> None:
    def callback() -> None: ...

    callback.priority = 10  # type: ignore[attr-defined]
    assert Hook(callback, priority=90).priority == 90


def test_hook_failsafe_comes_from_callback_attribute() -> None:
    def callback() -> None: ...

    callback.failsafe = True  # type: ignore[attr-defined]
    assert (Hook(callback).failsafe, Hook(lambda: None).failsafe) == (True, False)


def test_hook_call_passes_its_kwargs() -> None:
    assert Hook(lambda x, y: x + y, x=1, y=2)() == 3


def test_hooks_compare_by_priority() -> None:
    assert Hook(lambda: None, priority=1) < Hook(lambda: None, priority=2)


def test_hook_repr_names_callback_failsafe_and_priority() -> None:
    def cb() -> None: ...

    assert repr(Hook(cb, True, 7)) == (
        "Hook(test_hook_repr_names_callback_failsafe_and_priority.<locals>.cb, "
        "failsafe=True, priority=7)"
    )


# -- HookMap --------------------------------------------------------------------------
def test_hookmap_has_every_point_empty() -> None:
    assert HookMap() == dict.fromkeys(HOOK_POINTS, ())


def test_attach_to_unknown_point_is_a_keyerror() -> None:
    with pytest.raises(KeyError, match="'on_lunch' is not a hook point"):
        HookMap().attach("on_lunch", lambda: None)


def test_attach_keeps_hooks_sorted_by_priority(calls: list[str], record: Recorder) -> None:
    hooks = HookMap()
    for name, priority in [("c", 70), ("a", 10), ("b", 50)]:
        hooks.attach("before_handler", record(name), priority=priority)
    hooks.run("before_handler")
    assert calls == ["a", "b", "c"]


def test_equal_priorities_keep_attach_order(calls: list[str], record: Recorder) -> None:
    hooks = HookMap()
    for name in "xyz":
        hooks.attach("before_handler", record(name))
    hooks.run("before_handler")
    assert calls == ["x", "y", "z"]


def test_copy_is_independent(calls: list[str], record: Recorder) -> None:
    hooks = HookMap()
    hooks.attach("before_handler", record("shared"))
    copy = hooks.copy()
    copy.attach("before_handler", record("copy-only"))
    hooks.run("before_handler")
    assert calls == ["shared"]


def test_run_on_an_empty_point_does_nothing() -> None:
    HookMap().run("on_end_request")


def test_after_a_failure_only_failsafe_hooks_run(calls: list[str], record: Recorder) -> None:
    def fail() -> None:
        raise framework.HTTPError(400)

    hooks = HookMap()
    hooks.attach("before_handler", fail, priority=10)
    hooks.attach("before_handler", record("normal"), priority=20)
    hooks.attach("before_handler", record("failsafe"), failsafe=True, priority=30)
    with pytest.raises(framework.HTTPError):
        hooks.run("before_handler")
    assert calls == ["failsafe"]


def test_run_reraises_the_last_failure() -> None:
    # COMPAT: CherryPy's HookMap.run keeps the most recent exception.
    def first() -> None:
        raise ValueError("first")

    def second() -> None:
        raise ValueError("second")

    hooks = HookMap()
    hooks.attach("on_end_request", first, priority=1)
    hooks.attach("on_end_request", second, failsafe=True, priority=2)
    with pytest.raises(ValueError, match="second"):
        hooks.run("on_end_request")


def test_unexpected_hook_error_is_logged_with_traceback(
    error_records: list[logging.LogRecord],
) -> None:
    def broken() -> None:
        raise ZeroDivisionError

    hooks = HookMap()
    hooks.attach("on_end_request", broken)
    with pytest.raises(ZeroDivisionError):
        hooks.run("on_end_request")
    assert [(r.exc_info or (None,))[0] for r in error_records] == [ZeroDivisionError]


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_interrupts_propagate_at_once(exc: type[BaseException], calls: list[str]) -> None:
    def stop() -> None:
        raise exc

    hooks = HookMap()
    hooks.attach("on_end_request", stop, priority=1)
    hooks.attach("on_end_request", lambda: calls.append("later"), failsafe=True, priority=2)
    with pytest.raises(exc):
        hooks.run("on_end_request")
    assert calls == []


def test_repr_lists_only_points_with_hooks() -> None:
    hooks = HookMap()
    hooks.attach("before_handler", lambda: None, priority=3)
    assert repr(hooks).startswith("HookMap({'before_handler': (Hook(")


# -- hook points through a request ------------------------------------------------------
def test_points_run_in_order_for_a_normal_request(calls: list[str], record: Recorder) -> None:
    client(every_point(record)).get("/").assert_status(200)
    assert calls == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "before_finalize",
        "on_end_resource",
        "on_end_request",
    ]


def test_points_run_in_order_for_an_unexpected_error(calls: list[str], record: Recorder) -> None:
    client(every_point(record)).get("/boom").assert_status(500)
    assert calls == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "on_end_resource",
        "before_error_response",
        "after_error_response",
        "on_end_request",
    ]


def test_http_error_still_runs_before_finalize(calls: list[str], record: Recorder) -> None:
    client(every_point(record)).get("/missing").assert_status(404)
    assert calls == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "before_finalize",
        "on_end_resource",
        "on_end_request",
    ]


def test_on_end_request_runs_after_a_streamed_body_is_sent(
    calls: list[str], record: Recorder
) -> None:
    class Streaming:
        @framework.expose
        def index(self) -> Iterator[bytes]:
            framework.response.stream = True

            def chunks() -> Iterator[bytes]:
                for chunk in (b"a", b"b"):
                    calls.append(f"sent {chunk.decode()}")
                    yield chunk

            return chunks()

    config = {"hooks.on_end_request": record("end"), "hooks.on_end_resource": record("resource")}
    response = Client(Streaming(), config={"/": config}).get("/")
    assert (response.body, calls) == (b"ab", ["resource", "sent a", "sent b", "end"])


def test_stage_names_the_hook_point(calls: list[str]) -> None:
    config = {
        f"hooks.{point}": (lambda: calls.append(framework.request.stage))
        for point in ("on_start_resource", "before_handler", "before_finalize", "on_end_request")
    }
    client(config).get("/")
    assert calls == ["on_start_resource", "before_handler", "before_finalize", "on_end_request"]


def test_priorities_order_hooks_from_config(calls: list[str], record: Recorder) -> None:
    late, early = record("late"), record("early")
    late.priority = 80  # type: ignore[attr-defined]
    early.priority = 20  # type: ignore[attr-defined]
    client({"hooks.before_handler": [late, early]}).get("/")
    assert calls == ["early", "late"]


def test_failsafe_hook_from_config_runs_after_a_failure(calls: list[str], record: Recorder) -> None:
    def fail() -> None:
        raise framework.HTTPError(403)

    fail.priority = 10  # type: ignore[attr-defined]
    safe, unsafe = record("safe"), record("unsafe")
    safe.failsafe = True  # type: ignore[attr-defined]
    response = client({"hooks.before_handler": [fail, unsafe, safe]}).get("/")
    assert (response.status_code, calls) == (403, ["safe"])


def test_hook_error_response_is_500_without_calling_the_handler(calls: list[str]) -> None:
    class Spy:
        @framework.expose
        def index(self) -> str:
            calls.append("handler")
            return "x"

    def fail() -> None:
        raise RuntimeError("hook broke")

    response = Client(Spy(), config={"/": {"hooks.before_handler": fail}}).get("/")
    assert (response.status_code, calls) == (500, [])


def test_hooks_in_cp_config_apply_to_the_handler(calls: list[str], record: Recorder) -> None:
    class App:
        @framework.expose
        @framework.config(**{"hooks.before_handler": record("cp_config")})
        def index(self) -> str:
            return "x"

        @framework.expose
        def other(self) -> str:
            return "y"

    test_client = Client(App())
    test_client.get("/other")
    test_client.get("/")
    assert calls == ["cp_config"]


def test_hooks_in_global_config_apply_to_every_app(calls: list[str], record: Recorder) -> None:
    framework.config.update({"hooks.on_start_resource": record("global")})
    client({}).get("/")
    assert calls == ["global"]


def test_app_config_section_scopes_hooks_to_its_path(calls: list[str], record: Recorder) -> None:
    Client(Root(), config={"/boom": {"hooks.on_start_resource": record("boom")}}).get("/")
    assert calls == []


def test_runtime_attach_affects_only_that_request(calls: list[str], record: Recorder) -> None:
    def maybe_attach() -> None:
        if "attach" in framework.request.params:
            framework.request.hooks.attach("before_finalize", record("runtime"))

    test_client = client({"hooks.before_handler": maybe_attach})
    test_client.get("/?attach=1")
    test_client.get("/")
    test_client.get("/")
    assert calls == ["runtime"]


def test_runtime_attach_from_the_handler_reaches_later_points(calls: list[str]) -> None:
    class App:
        @framework.expose
        def index(self) -> str:
            framework.request.hooks.attach("on_end_request", lambda: calls.append("end"))
            return "x"

    test_client = Client(App())
    test_client.get("/")
    test_client.get("/other-path-404")
    assert calls == ["end"]


def test_runtime_attach_with_priority_and_kwargs(calls: list[str]) -> None:
    def add(label: str) -> None:
        calls.append(label)

    class App:
        @framework.expose
        def index(self) -> str:
            framework.request.hooks.attach("before_finalize", add, priority=90, label="second")
            framework.request.hooks.attach("before_finalize", add, priority=10, label="first")
            return "x"

    Client(App()).get("/")
    assert calls == ["first", "second"]


def test_request_hooks_can_be_replaced() -> None:
    fresh = HookMap()

    class App:
        @framework.expose
        def index(self) -> str:
            framework.request.hooks = fresh
            return str(framework.request.hooks is fresh)

    assert Client(App()).get("/").text == "True"


def test_error_in_on_end_request_is_logged_and_response_kept(
    error_records: list[logging.LogRecord],
) -> None:
    def fail() -> None:
        raise RuntimeError("late failure")

    response = client({"hooks.on_end_request": fail}).get("/")
    assert response.body == b"ok"
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in error_records)


def test_redirect_raised_by_error_hook_becomes_the_response() -> None:
    def redirect() -> None:
        raise framework.HTTPRedirect("/elsewhere")

    response = client({"hooks.before_error_response": redirect}).get("/boom")
    assert (response.status_code, response.headers["Location"]) == (
        303,
        "http://127.0.0.1/elsewhere",
    )
