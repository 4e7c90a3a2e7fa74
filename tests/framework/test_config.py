"""Specification tests for configuration: sources, levels, namespaces, merge order.

Config reaches a request from three levels (the global ``framework.config``, the
application's path sections, ``_cp_config`` on objects and handlers), each loadable
from a dict, a file name or an open file; these tests read the merged result back
through ``request.config`` or through its visible effect on the response.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.configfile import ConfigError
from framework.core.config import ENVIRONMENTS
from framework.testing import Client


def conf_value(key: str) -> str:
    """A handler body: the merged config value for ``key`` on this path, as JSON."""
    return json.dumps(framework.request.config.get(key))


class Leaf:
    @framework.expose
    def index(self, key: str = "k") -> str:
        return conf_value(key)

    @framework.expose
    def page(self, key: str = "k") -> str:
        return conf_value(key)


class ConfiguredLeaf(Leaf):
    _cp_config = {"k": "class", "class.only": True}

    @framework.expose
    @framework.config(**{"k": "handler"})
    def decorated(self, key: str = "k") -> str:
        return conf_value(key)


class Root:
    sub = Leaf()
    conf = ConfiguredLeaf()

    @framework.expose
    def index(self, key: str = "k") -> str:
        return conf_value(key)

    @framework.expose
    def params(self, **kwargs: Any) -> str:
        return json.dumps(kwargs)

    @framework.expose
    def stream(self) -> Any:
        yield "a"
        yield "b"


def get_value(app_config: Any, path: str, key: str = "k") -> Any:
    client = Client(framework.Application(Root(), "", app_config))
    return client.get(f"{path}?key={key}").json()


INI = """
[/]
k = "root"

[/sub]
k = 'sub'
"""

# -- global config sources -----------------------------------------------------------


def test_global_update_from_dict() -> None:
    framework.config.update({"my.key": 1})
    assert framework.config["my.key"] == 1


def test_global_update_from_keywords() -> None:
    framework.config.update(**{"my.key": 2})
    assert framework.config["my.key"] == 2


def test_global_update_from_filename(tmp_path: Path) -> None:
    path = tmp_path / "site.conf"
    path.write_text("[global]\nmy.key = [1, 2]\n")
    framework.config.update(str(path))
    assert framework.config["my.key"] == [1, 2]


def test_global_update_from_open_file() -> None:
    framework.config.update(io.StringIO("[global]\nmy.key = {'a': 1}\n"))
    assert framework.config["my.key"] == {"a": 1}


def test_global_update_ignores_path_sections() -> None:
    framework.config.update({"/": {"k": "v"}, "my.key": 3})
    assert ("/" in framework.config, framework.config["my.key"]) == (False, 3)


def test_global_setitem() -> None:
    framework.config["my.key"] = "set"
    assert framework.config["my.key"] == "set"


def test_global_config_reaches_request() -> None:
    framework.config.update({"k": "global"})
    assert get_value(None, "/") == "global"


def test_reset_drops_custom_keys() -> None:
    framework.config.update({"my.key": 1})
    framework.config.reset()
    assert "my.key" not in framework.config


def test_reset_restores_defaults() -> None:
    framework.config.update({"tools.encode.on": False})
    framework.config.reset()
    assert framework.config["tools.encode.on"] is True


def test_reset_reaches_cached_paths() -> None:
    client = Client(framework.Application(Root()))
    framework.config.update({"k": "before"})
    assert client.get("/").json() == "before"
    framework.config.reset()
    assert client.get("/").json() is None


# -- application config sources ------------------------------------------------------


@pytest.mark.parametrize(("path", "expected"), [("/", "root"), ("/sub/", "sub")])
def test_app_config_from_dict(path: str, expected: str) -> None:
    assert get_value({"/": {"k": "root"}, "/sub": {"k": "sub"}}, path) == expected


@pytest.mark.parametrize(("path", "expected"), [("/", "root"), ("/sub/", "sub")])
def test_app_config_from_filename(tmp_path: Path, path: str, expected: str) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text(INI)
    assert get_value(str(conf), path) == expected


@pytest.mark.parametrize(("path", "expected"), [("/", "root"), ("/sub/", "sub")])
def test_app_config_from_open_file(path: str, expected: str) -> None:
    assert get_value(io.StringIO(INI), path) == expected


def test_app_config_through_mount(tmp_path: Path) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text(INI)
    framework.tree.mount(Root(), "/m", str(conf))
    assert Client(framework.tree).get("/m/sub/").json() == "sub"


def test_app_config_rejects_top_level_values() -> None:
    with pytest.raises(ValueError, match="path sections"):
        framework.Application(Root(), "", {"k": "v"})


def test_app_merge_adds_later_config() -> None:
    app = framework.Application(Root(), "", {"/": {"k": "first"}})
    app.merge({"/": {"k": "second"}})
    assert Client(app).get("/").json() == "second"


# -- _cp_config and the decorator -----------------------------------------------------


def test_class_cp_config() -> None:
    assert get_value(None, "/conf/page") == "class"


def test_handler_decorator_config() -> None:
    assert get_value(None, "/conf/decorated") == "handler"


def test_class_config_applies_to_decorated_handler() -> None:
    assert get_value(None, "/conf/decorated", "class.only") is True


def test_config_decorator_sets_cp_config() -> None:
    @framework.config(**{"a.b": 1})
    def handler() -> None:
        return None

    assert handler._cp_config == {"a.b": 1}  # type: ignore[attr-defined]


def test_config_decorator_stacks() -> None:
    @framework.config(**{"a.b": 1})
    @framework.config(**{"c.d": 2})
    def handler() -> None:
        return None

    assert handler._cp_config == {"a.b": 1, "c.d": 2}  # type: ignore[attr-defined]


def test_config_decorator_on_subclass_leaves_parent_alone() -> None:
    class Parent:
        _cp_config = {"a": 1}

    @framework.config(b=2)
    class Child(Parent):
        pass

    assert (Parent._cp_config, Child._cp_config) == ({"a": 1}, {"a": 1, "b": 2})


@pytest.mark.parametrize(
    "change",
    [
        lambda conf: conf.update({"k": "changed"}),
        lambda conf: conf.__setitem__("k", "changed"),
        lambda conf: conf.setdefault("k", "changed"),
        lambda conf: conf.__ior__({"k": "changed"}),
    ],
)
def test_changing_a_decorated_cp_config_while_serving_reaches_the_next_request(
    change: Any,
) -> None:
    # COMPAT: CherryPy merges _cp_config per request; apps switch settings this way.
    @framework.config(**{"other": 1})
    class Switchable:
        @framework.expose
        def index(self) -> str:
            return conf_value("k")

    client = Client(framework.Application(Switchable()))
    assert client.get("/").json() is None
    change(Switchable._cp_config)  # type: ignore[attr-defined]
    assert client.get("/").json() == "changed"


@pytest.mark.parametrize(
    "change",
    [
        lambda conf: conf.pop("k"),
        lambda conf: conf.__delitem__("k"),
        lambda conf: conf.popitem(),
        lambda conf: conf.clear(),
    ],
)
def test_removing_from_a_decorated_handler_cp_config_reaches_the_next_request(
    change: Any,
) -> None:
    class Handler:
        @framework.expose
        @framework.config(k="set")
        def index(self) -> str:
            return conf_value("k")

    client = Client(framework.Application(Handler()))
    assert client.get("/").json() == "set"
    change(Handler.index._cp_config)  # type: ignore[attr-defined]
    assert client.get("/").json() is None


def test_a_tool_decorator_makes_a_live_cp_config() -> None:
    class Handler:
        @framework.expose
        @framework.tools.response_headers(headers=[("X-A", "1")])
        def index(self) -> str:
            return "x"

    client = Client(framework.Application(Handler()))
    assert client.get("/").headers["X-A"] == "1"
    Handler.index._cp_config["tools.response_headers.on"] = False  # type: ignore[attr-defined]
    assert "X-A" not in client.get("/").headers


def test_config_decorator_rejects_positional_arguments() -> None:
    with pytest.raises(TypeError, match="keyword arguments"):
        framework.config({"a": 1})


# -- merge order -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_config", "path", "expected"),
    [
        ({"/": {"k": "app"}}, "/sub/page", "app"),  # app beats global
        ({"/": {"k": "app"}, "/sub": {"k": "sub"}}, "/sub/page", "sub"),  # deeper wins
        ({"/sub": {"k": "sub"}, "/sub/page": {"k": "page"}}, "/sub/page", "page"),
        ({"/sub": {"k": "sub"}}, "/", "global"),  # sibling sections do not leak
        ({"/": {"k": "section"}}, "/conf/page", "class"),  # deeper _cp_config wins
        ({"/conf": {"k": "section"}}, "/conf/page", "section"),  # same depth: section
        ({"/conf/decorated": {"k": "section"}}, "/conf/decorated", "section"),
    ],
)
def test_merge_order(app_config: Any, path: str, expected: str) -> None:
    framework.config.update({"k": "global"})
    assert get_value(app_config, path) == expected


def test_section_applies_to_default_arguments_path() -> None:
    # Config for /sub/page/extra is found even though "extra" is a positional argument.
    assert get_value({"/sub/page": {"k": "page"}}, "/sub/page") == "page"


# -- namespaces ------------------------------------------------------------------------


def test_global_config_namespaces_are_called_for_their_keys() -> None:
    seen: list[tuple[str, Any]] = []
    framework.config.namespaces["db"] = lambda key, value: seen.append((key, value))
    try:
        framework.config.update({"db.scheme": "sqlite://", "other": 1})
    finally:
        del framework.config.namespaces["db"]
    assert seen == [("scheme", "sqlite://")]


def test_custom_request_namespace_runs_per_request_and_may_wrap_the_handler() -> None:
    def raw(key: str, value: Any) -> None:
        if key == "output":
            inner = framework.request.handler
            framework.request.handler = lambda: value(inner())

    app = framework.Application(Root(), config={"/params": {"raw.output": str.upper}})
    app.request_class.namespaces["raw"] = raw
    try:
        client = Client(app)
        assert client.get("/params?a=x").text == '{"A": "X"}'
        assert client.get("/").text == "null"  # no raw.* key here: untouched
    finally:
        del app.request_class.namespaces["raw"]


def test_request_namespace_sets_request_attribute() -> None:
    client = Client(Root(), config={"/": {"request.process_request_body": False}})
    assert client.post("/params", data={"a": "1"}).json() == {}


def test_request_body_namespace_sets_body_attribute() -> None:
    client = Client(Root(), config={"/": {"request.body.maxbytes": 4}})
    assert client.post("/params", data={"a": "123456"}).status_code == 413


def test_response_namespace_sets_response_attribute() -> None:
    client = Client(Root(), config={"/stream": {"response.stream": True}})
    assert "Content-Length" not in client.get("/stream").headers


def test_response_headers_namespace() -> None:
    client = Client(Root(), config={"/": {"response.headers.X-Custom": "yes"}})
    assert client.get("/").headers["X-Custom"] == "yes"


def test_tools_namespace_switches_tool_on() -> None:
    config = {"/": {"tools.response_headers.on": True,
                    "tools.response_headers.headers": [("X-Tool", "on")]}}  # fmt: skip
    assert Client(Root(), config=config).get("/").headers["X-Tool"] == "on"


def test_tools_namespace_tool_off_by_default() -> None:
    config = {"/": {"tools.response_headers.headers": [("X-Tool", "on")]}}
    assert "X-Tool" not in Client(Root(), config=config).get("/").headers


def test_unknown_tool_switched_on_is_a_500_naming_it(error_records: list[Any]) -> None:
    client = Client(Root(), config={"/": {"tools.no_such_tool.on": True}})
    assert client.get("/").status_code == 500
    assert any("no_such_tool" in str(r.exc_info[1]) for r in error_records if r.exc_info), [
        (r.getMessage(), r.exc_info) for r in error_records
    ]


def test_tool_decorator_switches_tool_on() -> None:
    class Decorated:
        @framework.expose
        @framework.tools.response_headers(headers=[("X-Deco", "1")])
        def index(self) -> str:
            return "ok"

    assert Client(Decorated()).get("/").headers["X-Deco"] == "1"


def test_hooks_namespace_attaches_callback() -> None:
    def mark() -> None:
        framework.response.headers["X-Hook"] = "ran"

    client = Client(Root(), config={"/": {"hooks.before_finalize": mark}})
    assert client.get("/").headers["X-Hook"] == "ran"


def test_hooks_namespace_accepts_a_list() -> None:
    def first() -> None:
        framework.response.headers["X-Order"] = "1"

    def second() -> None:
        framework.response.headers["X-Order"] += "2"

    client = Client(Root(), config={"/": {"hooks.before_finalize": [first, second]}})
    assert client.get("/").headers["X-Order"] == "12"


def test_error_page_namespace() -> None:
    def page(status: str, **kwargs: Any) -> str:
        return "custom " + status

    client = Client(Root(), config={"/": {"error_page.404": page}})
    assert client.get("/missing").text.rstrip(" ") == "custom 404 Not Found"


def test_log_namespace_in_global_config() -> None:
    before = framework.log.screen
    try:
        framework.config.update({"log.screen": not before})
        assert framework.log.screen is (not before)
    finally:
        framework.log.screen = before


def test_log_namespace_in_app_config(tmp_path: Path) -> None:
    target = str(tmp_path / "error.log")
    app = framework.Application(Root(), "", {"/": {"log.error_file": target}})
    try:
        assert app.log.error_file == target
    finally:
        app.log.error_file = ""


def test_checker_namespace_is_accepted() -> None:
    framework.config.update({"checker.on": False})
    assert framework.config["checker.on"] is False


# -- environments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tracebacks"),
    [("production", False), ("staging", False), ("embedded", False), ("test_suite", True)],
)
def test_environment_sets_show_tracebacks(name: str, tracebacks: bool) -> None:
    before = framework.log.screen
    try:
        framework.config.update({"environment": name})
        assert framework.config["request.show_tracebacks"] is tracebacks
    finally:
        framework.log.screen = before


def test_environment_is_recorded() -> None:
    framework.config.update({"environment": "staging"})
    assert framework.config["environment"] == "staging"


def test_environment_covers_all_four() -> None:
    assert set(ENVIRONMENTS) == {"production", "staging", "test_suite", "embedded"}


def test_explicit_key_beats_environment() -> None:
    framework.config.update({"environment": "staging", "request.show_tracebacks": True})
    assert framework.config["request.show_tracebacks"] is True


def test_unknown_environment_is_rejected() -> None:
    with pytest.raises(ValueError, match="production"):
        framework.config.update({"environment": "prod"})


def test_production_hides_tracebacks_in_responses() -> None:
    class Failing:
        @framework.expose
        def index(self) -> str:
            raise RuntimeError("very secret detail")

    before = framework.log.screen
    try:
        framework.config.update({"environment": "production"})
        body = Client(Failing()).get("/").text
    finally:
        framework.log.screen = before
    assert ("Traceback" in body, "very secret detail" in body) == (False, False)


# -- malformed files -------------------------------------------------------------------


def test_malformed_global_file_names_file_section_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.conf"
    path.write_text("[global]\nserver.socket_port = eighty\n")
    with pytest.raises(ConfigError) as info:
        framework.config.update(str(path))
    assert all(part in str(info.value) for part in (str(path), "[global]", "server.socket_port"))


def test_malformed_app_file_names_file_section_and_key(tmp_path: Path) -> None:
    path = tmp_path / "app.conf"
    path.write_text("[/blog]\ntools.x.on = open('f')\n")
    with pytest.raises(ConfigError) as info:
        framework.tree.mount(Root(), "", str(path))
    assert all(part in str(info.value) for part in (str(path), "[/blog]", "tools.x.on"))


def test_missing_config_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        framework.config.update(str(tmp_path / "absent.conf"))


def test_malformed_file_leaves_config_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "bad.conf"
    path.write_text("[global]\nmy.key = 1\nother.key = nope\n")
    with pytest.raises(ConfigError):
        framework.config.update(str(path))
    assert "my.key" not in framework.config


def test_the_tree_namespace_mounts_applications() -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            return "mounted by config"

    app = framework.Application(Root(), "/bycfg")

    def other(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"grafted"]

    framework.config.update({"tree.app": app, "tree.more": {"/grafted": other}})
    assert framework.tree.apps["/bycfg"] is app
    assert framework.tree.apps["/grafted"] is other
