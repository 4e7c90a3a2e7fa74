"""Specification of tools: Tool, HandlerTool, HandlerWrapperTool, ErrorTool, Toolbox.

A tool is registered in a toolbox (``tools.mine = Tool(...)``) and switched on per
path by config, by decorator or by ``_cp_config``; these tests register throwaway
tools in the global toolbox and remove them again after each test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import framework
from framework import ErrorTool, HandlerTool, HandlerWrapperTool, Tool, Toolbox, tools
from framework.compat import tools as compat_tools
from framework.testing import Client


@pytest.fixture
def calls() -> list[Any]:
    return []


@pytest.fixture
def register() -> Iterator[Callable[[str, Tool], Tool]]:
    """``register(name, tool)`` puts a tool in ``framework.tools`` for one test."""
    added: list[str] = []

    def put(name: str, tool: Tool) -> Tool:
        setattr(tools, name, tool)
        added.append(name)
        return tool

    yield put
    for name in added:
        vars(tools).pop(name, None)


@pytest.fixture
def mine(register: Callable[[str, Tool], Tool], calls: list[Any]) -> Tool:
    """``tools.mine``: records its keyword arguments at before_handler."""

    def callback(**kwargs: Any) -> None:
        calls.append(kwargs)

    return register("mine", Tool("before_handler", callback))


class Plain:
    @framework.expose
    def index(self) -> str:
        return "handler"

    @framework.expose
    def other(self) -> str:
        return "other"


# -- Toolbox ------------------------------------------------------------------------------
def test_assigning_to_the_toolbox_names_the_tool(mine: Tool) -> None:
    assert (mine._name, tools.get("mine") is mine, "mine" in tools.names()) == ("mine", True, True)


def test_explicit_tool_name_is_kept() -> None:
    box = Toolbox("custom")
    box.alias = Tool("before_handler", lambda: None, name="real")
    assert (box.alias._name, box.alias.namespace) == ("real", "custom")


def test_unknown_tool_attribute_error_says_how_to_register() -> None:
    with pytest.raises(AttributeError, match=r"tools\.nope = Tool"):
        tools.nope


def test_get_returns_none_for_non_tools() -> None:
    box = Toolbox()
    box.value = 3
    assert (box.get("value"), box.get("absent"), box.names()) == (None, None, [])


def test_register_decorator_makes_a_tool_named_after_the_function() -> None:
    box = Toolbox()

    @box.register("before_finalize", priority=20)
    def stamp() -> None: ...

    assert (type(box.stamp), box.stamp._point, box.stamp._priority, box.stamp.callable) == (
        Tool,
        "before_finalize",
        20,
        stamp,
    )


def test_default_toolbox_lists_the_built_in_tools() -> None:
    assert {
        "encode",
        "trailing_slash",
        "response_headers",
        "params",
        "json_in",
        "json_out",
        "allow",
        "expires",
    } <= set(tools.names())


def test_tool_on_attribute_explains_how_to_switch_on(mine: Tool) -> None:
    with pytest.raises(AttributeError, match="Use config to switch a tool on"):
        mine.on


def test_tool_decorator_rejects_positional_arguments(mine: Tool) -> None:
    with pytest.raises(TypeError, match="keyword arguments"):
        mine(1)


def test_tool_doc_is_the_callable_doc() -> None:
    def documented() -> None:
        """Does a thing."""

    assert Tool("before_handler", documented).__doc__ == "Does a thing."


# -- switching a tool on ------------------------------------------------------------------
def test_tool_is_off_by_default(mine: Tool, calls: list[Any]) -> None:
    Client(Plain()).get("/").assert_status(200)
    assert calls == []


def test_tool_on_by_app_config_with_arguments(mine: Tool, calls: list[Any]) -> None:
    config = {"/": {"tools.mine.on": True, "tools.mine.level": 3}}
    Client(Plain(), config=config).get("/")
    assert calls == [{"level": 3}]


def test_tool_on_by_global_config(mine: Tool, calls: list[Any]) -> None:
    framework.config.update({"tools.mine.on": True})
    Client(Plain()).get("/")
    assert calls == [{}]


def test_tool_config_is_scoped_to_its_path_section(mine: Tool, calls: list[Any]) -> None:
    client = Client(Plain(), config={"/other": {"tools.mine.on": True}})
    client.get("/")
    client.get("/other")
    assert calls == [{}]


def test_deeper_config_switches_a_tool_off(mine: Tool, calls: list[Any]) -> None:
    config = {"/": {"tools.mine.on": True}, "/other": {"tools.mine.on": False}}
    client = Client(Plain(), config=config)
    client.get("/other")
    assert calls == []


def test_tool_on_by_decorator_with_arguments(mine: Tool, calls: list[Any]) -> None:
    class App:
        @framework.expose
        @mine(level=7)
        def index(self) -> str:
            return "x"

    Client(App()).get("/")
    assert calls == [{"level": 7}]


def test_tool_decorator_on_a_class_applies_below_it(mine: Tool, calls: list[Any]) -> None:
    @mine(scope="class")
    class Sub:
        @framework.expose
        def index(self) -> str:
            return "x"

    class App:
        sub = Sub()

        @framework.expose
        def index(self) -> str:
            return "root"

    client = Client(App())
    client.get("/")
    client.get("/sub/")
    assert calls == [{"scope": "class"}]


def test_tool_decorator_does_not_leak_into_base_class_config(mine: Tool) -> None:
    class Base:
        _cp_config = {"x.y": 1}

    @mine()
    class Child(Base):
        pass

    assert (Base._cp_config, Child._cp_config) == ({"x.y": 1}, {"x.y": 1, "tools.mine.on": True})


def test_tool_on_by_cp_config(mine: Tool, calls: list[Any]) -> None:
    class App:
        _cp_config = {"tools.mine.on": True, "tools.mine.who": "cp"}

        @framework.expose
        def index(self) -> str:
            return "x"

    Client(App()).get("/")
    assert calls == [{"who": "cp"}]


def test_unknown_tool_switched_on_is_a_500_naming_it(
    error_records: list[logging.LogRecord],
) -> None:
    response = Client(Plain(), config={"/": {"tools.ghost.on": True}}).get("/")
    assert response.status_code == 500
    assert b"ghost" in response.body


def test_priority_orders_tools_at_a_point(
    register: Callable[[str, Tool], Tool], calls: list[Any]
) -> None:
    register("late", Tool("before_handler", lambda: calls.append("late"), priority=90))
    register("early", Tool("before_handler", lambda: calls.append("early"), priority=10))
    config = {"/": {"tools.late.on": True, "tools.early.on": True}}
    Client(Plain(), config=config).get("/")
    assert calls == ["early", "late"]


def test_priority_can_be_overridden_by_config(
    register: Callable[[str, Tool], Tool], calls: list[Any]
) -> None:
    register("a", Tool("before_handler", lambda: calls.append("a"), priority=10))
    register("b", Tool("before_handler", lambda: calls.append("b"), priority=20))
    config = {"/": {"tools.a.on": True, "tools.b.on": True, "tools.a.priority": 30}}
    Client(Plain(), config=config).get("/")
    assert calls == ["b", "a"]


def test_priority_attribute_of_the_callable_is_used(
    register: Callable[[str, Tool], Tool], calls: list[Any]
) -> None:
    def first() -> None:
        calls.append("first")

    first.priority = 1  # type: ignore[attr-defined]
    register("second", Tool("before_handler", lambda: calls.append("second"), priority=5))
    register("first", Tool("before_handler", first, priority=99))
    config = {"/": {"tools.second.on": True, "tools.first.on": True}}
    Client(Plain(), config=config).get("/")
    assert calls == ["first", "second"]


def test_plain_tool_can_short_circuit_the_handler(register: Callable[[str, Tool], Tool]) -> None:
    def gate() -> None:
        framework.request.handler = None
        framework.response.body = "gated"

    register("gate", Tool("before_handler", gate))
    response = Client(Plain(), config={"/": {"tools.gate.on": True}}).get("/")
    assert response.text == "gated"


def test_tool_reads_request_and_response(register: Callable[[str, Tool], Tool]) -> None:
    def stamp() -> None:
        framework.response.headers["X-Path"] = framework.request.path_info

    register("stamp", Tool("before_finalize", stamp))
    response = Client(Plain(), config={"/": {"tools.stamp.on": True}}).get("/other")
    assert response.headers["X-Path"] == "/other"


# -- HandlerTool --------------------------------------------------------------------------
def test_handler_tool_answering_true_skips_the_handler(
    register: Callable[[str, Tool], Tool],
) -> None:
    def answer(text: str = "tool") -> bool:
        framework.response.body = text
        return True

    register("answer", HandlerTool(answer))
    config = {"/": {"tools.answer.on": True, "tools.answer.text": "from tool"}}
    assert Client(Plain(), config=config).get("/").text == "from tool"


def test_handler_tool_answering_false_lets_the_handler_run(
    register: Callable[[str, Tool], Tool],
) -> None:
    register("decline", HandlerTool(lambda: False))
    assert Client(Plain(), config={"/": {"tools.decline.on": True}}).get("/").text == "handler"


def test_handler_tool_as_page_handler_serves_when_it_answers() -> None:
    def answer(word: str) -> bool:
        framework.response.body = word
        return True

    class App:
        page = HandlerTool(answer, name="answer").handler(word="served")

    assert Client(App()).get("/page").text == "served"


def test_handler_tool_as_page_handler_404s_when_it_declines() -> None:
    class App:
        page = HandlerTool(lambda: False, name="decline").handler()

    assert Client(App()).get("/page").status_code == 404


# -- HandlerWrapperTool ------------------------------------------------------------------
def test_handler_wrapper_tool_wraps_the_page_handler(
    register: Callable[[str, Tool], Tool],
) -> None:
    def shout(inner: Callable[..., Any], conf: dict[str, Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> str:
            return str(inner(*args, **kwargs)).upper() + conf.get("suffix", "")

        return wrapped

    register("shout", HandlerWrapperTool(shout))
    config = {"/": {"tools.shout.on": True, "tools.shout.suffix": "!"}}
    assert Client(Plain(), config=config).get("/").text == "HANDLER!"


def test_wrapper_tools_nest_by_priority(register: Callable[[str, Tool], Tool]) -> None:
    def tag(label: str) -> Callable[..., Any]:
        def factory(inner: Callable[..., Any], conf: dict[str, Any]) -> Callable[..., Any]:
            return lambda *a, **k: f"{label}({inner(*a, **k)})"

        return factory

    register("inner", HandlerWrapperTool(tag("in"), priority=10))
    register("outer", HandlerWrapperTool(tag("out"), priority=90))
    config = {"/": {"tools.outer.on": True, "tools.inner.on": True}}
    assert Client(Plain(), config=config).get("/").text == "out(in(handler))"


def test_wrapper_tool_on_a_missing_path_still_404s(register: Callable[[str, Tool], Tool]) -> None:
    register("wrap", HandlerWrapperTool(lambda inner, conf: inner))
    response = Client(Plain(), config={"/": {"tools.wrap.on": True}}).get("/nowhere")
    assert response.status_code == 404


# -- ErrorTool ------------------------------------------------------------------------
def test_error_tool_renders_unexpected_errors(register: Callable[[str, Tool], Tool]) -> None:
    def plain_error(text: str = "oops") -> None:
        framework.response.status = 500
        framework.response.headers["Content-Type"] = "text/plain"
        framework.response.body = text

    class Broken:
        @framework.expose
        def index(self) -> str:
            raise RuntimeError("hidden")

    register("plain_error", ErrorTool(plain_error))
    config = {"/": {"tools.plain_error.on": True, "tools.plain_error.text": "sorry"}}
    response = Client(Broken(), config=config).get("/")
    assert (response.status_code, response.text) == (500, "sorry")


# -- CherryPy-style tools (framework.compat.tools) -------------------------------------
class PerRequestTool(compat_tools.Tool):
    """A CherryPy-style tool: its _setup() attaches per request."""

    setups = 0

    def _setup(self) -> None:
        type(self).setups += 1
        super()._setup()


def test_tool_overriding_setup_runs_setup_per_request(
    register: Callable[[str, Tool], Tool], calls: list[Any]
) -> None:
    register("legacy", PerRequestTool("before_handler", lambda **kw: calls.append(kw)))
    PerRequestTool.setups = 0
    client = Client(Plain(), config={"/": {"tools.legacy.on": True, "tools.legacy.n": 1}})
    client.get("/")
    client.get("/")
    assert (PerRequestTool.setups, calls) == (2, [{"n": 1}, {"n": 1}])


def test_cherrypy_tool_without_its_own_setup_is_set_up_once_per_path(
    register: Callable[[str, Tool], Tool], calls: list[Any]
) -> None:
    register("plain_legacy", compat_tools.Tool("before_handler", lambda **kw: calls.append(kw)))
    client = Client(Plain(), config={"/": {"tools.plain_legacy.on": True}})
    client.get("/")
    client.get("/")
    plan = next(iter(client.app._plans.values()))  # type: ignore[attr-defined]
    assert (len(calls), plan.request_setups) == (2, [])


class LegacyHandlerTool(compat_tools.HandlerTool):
    def _setup(self) -> None:
        super()._setup()


class LegacyErrorTool(compat_tools.ErrorTool):
    def _setup(self) -> None:
        super()._setup()


def test_legacy_handler_tool_short_circuits(register: Callable[[str, Tool], Tool]) -> None:
    def answer() -> bool:
        framework.response.body = "legacy answer"
        return True

    register("legacy_answer", LegacyHandlerTool(answer))
    response = Client(Plain(), config={"/": {"tools.legacy_answer.on": True}}).get("/")
    assert response.text == "legacy answer"


def test_cherrypy_handler_wrapper_tool_wraps_each_request(
    register: Callable[[str, Tool], Tool],
) -> None:
    def upper(next_handler: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
        return str(next_handler(*args, **kwargs)).upper()

    register("legacy_upper", compat_tools.HandlerWrapperTool(upper))
    client = Client(Plain(), config={"/": {"tools.legacy_upper.on": True}})
    assert (client.get("/").text, client.get("/other").text) == ("HANDLER", "OTHER")


def test_legacy_error_tool_renders_errors(register: Callable[[str, Tool], Tool]) -> None:
    def teapot() -> None:
        framework.response.status = 418
        framework.response.body = "short and stout"

    class Broken:
        @framework.expose
        def index(self) -> str:
            raise RuntimeError

    register("legacy_teapot", LegacyErrorTool(teapot))
    response = Client(Broken(), config={"/": {"tools.legacy_teapot.on": True}}).get("/")
    assert (response.status_code, response.text) == (418, "short and stout")


def test_merged_args_outside_a_request_are_the_defaults() -> None:
    tool = compat_tools.Tool("before_handler", lambda: None)
    assert tool._merged_args({"a": 1, "on": True}) == {"a": 1}


def test_register_makes_tools_of_the_toolbox_tool_class() -> None:
    class Stamped(Tool):
        pass

    class StampedBox(Toolbox):
        tool_class = Stamped

    box = StampedBox()

    @box.register("before_handler")
    def stamp() -> None: ...

    assert type(box.stamp) is Stamped


def test_an_object_with_a_setup_method_is_a_tool(calls: list[Any]) -> None:
    # COMPAT: CherryPy takes any object with _setup() as a tool (not only Tool subclasses).
    class Duck:
        def _setup(self) -> None:
            framework.request.hooks.attach("before_finalize", lambda: calls.append("duck"))

    tools.duck = Duck()
    try:
        client = Client(Plain(), config={"/": {"tools.duck.on": True}})
        client.get("/")
        client.get("/other")
        assert (calls, "duck" in tools.names()) == (["duck", "duck"], False)
    finally:
        vars(tools).pop("duck")


def test_an_object_without_a_setup_method_is_still_an_unknown_tool() -> None:
    tools.not_a_tool = object()
    try:
        response = Client(Plain(), config={"/": {"tools.not_a_tool.on": True}}).get("/")
        assert response.status_code == 500
        assert "unknown tool 'not_a_tool'" in response.text
    finally:
        vars(tools).pop("not_a_tool")


def test_a_toolbox_as_request_namespace_switches_its_tools_on(calls: list[Any]) -> None:
    box = Toolbox("myauth")
    box.check = Tool("before_handler", lambda default=False: calls.append(default))
    app = framework.Application(
        Plain(), config={"/": {"myauth.check.on": True, "myauth.check.default": True}}
    )
    app.request_class.namespaces["myauth"] = box
    try:
        response = Client(app).get("/")
    finally:
        del app.request_class.namespaces["myauth"]
    assert (response.text, calls) == ("handler", [True])


def test_a_custom_toolbox_decorator_uses_its_namespace(calls: list[Any]) -> None:
    box = Toolbox("myauth")
    box.check = Tool("before_handler", lambda: calls.append("checked"))

    class Guarded:
        @framework.expose
        @box.check()
        def index(self) -> str:
            return "in"

    app = framework.Application(Guarded())
    app.request_class.namespaces["myauth"] = box
    try:
        assert Client(app).get("/").text == "in"
    finally:
        del app.request_class.namespaces["myauth"]
    assert calls == ["checked"]


def test_unknown_tool_of_a_custom_toolbox_names_its_namespace() -> None:
    app = framework.Application(Plain(), config={"/": {"myauth.nope.on": True}})
    app.request_class.namespaces["myauth"] = Toolbox("myauth")
    try:
        response = Client(app).get("/")
    finally:
        del app.request_class.namespaces["myauth"]
    assert (response.status_code, "myauth.nope.on" in response.text) == (500, True)


def test_the_cherrypy_toolbox_registers_cherrypy_tools() -> None:
    box = compat_tools.Toolbox("custom")

    @box.register("before_finalize", name="renamed", priority=60)
    def example() -> None: ...

    assert isinstance(box.renamed, compat_tools.Tool)
    assert (box.renamed._name, box.renamed._point, box.renamed._priority) == (
        "renamed",
        "before_finalize",
        60,
    )


def test_a_lazy_tool_is_built_when_first_named() -> None:
    box = Toolbox("lazytools")
    built: list[str] = []

    def build() -> Tool:
        built.append("made")
        return Tool("before_handler", lambda: None)

    box.lazy("later", build)
    assert box.names() == ["later"] and built == []
    tool = box.get("later")
    assert tool is box.later and tool is not None and tool._name == "later"
    assert built == ["made"]  # once
    assert tool.namespace == "lazytools"


def test_import_framework_loads_no_tool_module() -> None:
    import subprocess
    import sys

    code = (
        "import sys, framework\n"
        "print(sorted(m for m in sys.modules if m.startswith('framework.lib.')))\n"
        "framework.tools.gzip\n"
        "print('framework.lib.compression' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "True"]
