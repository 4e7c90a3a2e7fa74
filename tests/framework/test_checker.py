"""framework.checker: config that cannot work is reported before the first request.

Each check gets a config with the mistake it is named after and must report it (with
its code, where, and a suggestion when one exists); a correct config reports nothing;
the engine runs the checker on start unless ``checker.on`` is false.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.checker import Checker, ConfigWarning, check, checker
from framework.core.tree import Tree


class Root:
    @framework.expose
    def index(self) -> str:
        return "home"


def app_warnings(
    app_config: dict[str, Any], global_config: dict[str, Any] | None = None, script_name: str = ""
) -> list[ConfigWarning]:
    tree = Tree()
    tree.mount(Root(), script_name, app_config)
    return check(tree, global_config or {})


def codes(found: list[ConfigWarning]) -> list[tuple[str, str]]:
    return [(w.code, w.key) for w in found]


def test_a_correct_config_gives_no_warning(tmp_path: Path) -> None:
    conf = {
        "/": {
            "tools.trailing_slash.missing": False,
            "tools.encode.encoding": "utf-8",
            "request.show_tracebacks": False,
            "response.headers.X-Frame-Options": "DENY",
            "hooks.before_handler": print,
            "error_page.404": str(tmp_path / "404.html"),
            "error_page.default": print,
            "log.screen": False,
        },
        "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tmp_path)},
    }
    assert app_warnings(conf, {"server.socket_port": 8080, "environment": "production"}) == []


def test_a_misspelled_request_key_is_reported_with_a_suggestion() -> None:
    found = app_warnings({}, {"request.show_tracebakcs": False})
    assert codes(found) == [("unknown-key", "request.show_tracebakcs")]
    assert "did you mean 'show_tracebacks'?" in found[0].message
    assert found[0].app is None and found[0].section == "global"


def test_an_unknown_tool_is_reported_at_any_path() -> None:
    found = app_warnings({"/deep/path": {"tools.staticdirr.on": True}})
    assert codes(found) == [("unknown-tool", "tools.staticdirr.on")]
    assert "did you mean 'staticdir'?" in found[0].message
    assert str(found[0]).startswith("app '/' [/deep/path] tools.staticdirr.on: ")


def test_an_unknown_tool_argument_is_reported() -> None:
    found = app_warnings({"/": {"tools.trailing_slash.mising": True}})
    assert codes(found) == [("unknown-tool-argument", "tools.trailing_slash.mising")]
    assert "did you mean 'missing'?" in found[0].message


def test_a_tool_that_reads_a_dict_is_not_second_guessed() -> None:
    assert app_warnings({"/": {"tools.json_out.on": True, "tools.json_out.anything": 1}}) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("request.show_tracebacks", "False"),
        ("response.stream", "yes"),
        ("tools.encode.on", "true"),
        ("tools.trailing_slash.missing", "no"),
    ],
)
def test_a_value_of_the_wrong_type_is_reported(key: str, value: Any) -> None:
    found = app_warnings({"/": {key: value}})
    assert codes(found) == [("wrong-type", key)]
    assert "is a str" in found[0].message and "bool" in found[0].message


def test_an_int_where_a_float_is_expected_is_fine() -> None:
    assert app_warnings({"/": {"response.timeout": 30}}) == []


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("mystuff.x", "unknown-namespace"),
        ("hooks.before_hander", "unknown-key"),
        ("error_page.4o4", "unknown-key"),
        ("log.screeen", "unknown-key"),
        ("request.body.maxbyte", "unknown-key"),
    ],
)
def test_unknown_namespaces_and_keys_are_reported(key: str, code: str) -> None:
    assert codes(app_warnings({"/": {key: 1}})) == [(code, key)]


def test_cherrypy_prefixed_key_gets_the_key_to_use() -> None:
    found = app_warnings({"/": {"cherrypy.tools.encode.on": True}})
    assert codes(found) == [("unknown-namespace", "cherrypy.tools.encode.on")]
    assert "try 'tools.encode.on' instead" in found[0].message


def test_custom_namespaces_are_known() -> None:
    framework.config.namespaces["db"] = lambda key, value: None
    try:
        assert app_warnings({"/": {"db.url": "x"}}, {"db.pool": 3}) == []
    finally:
        del framework.config.namespaces["db"]


def test_site_wide_keys_in_an_app_config_are_reported() -> None:
    found = app_warnings({"/": {"engine.autoreload.on": False, "server.socket_port": 80}})
    assert codes(found) == [
        ("site-only", "engine.autoreload.on"),
        ("site-only", "server.socket_port"),
    ]


def test_a_relative_static_dir_without_root_is_reported() -> None:
    found = app_warnings({"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": "pub"}})
    assert codes(found) == [("static-path", "tools.staticdir.dir")]
    assert "relative path" in found[0].message


def test_a_static_dir_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    conf = {
        "tools.staticdir.on": True,
        "tools.staticdir.root": str(tmp_path),
        "tools.staticdir.dir": "missing",
    }
    found = app_warnings({"/static": conf})
    assert codes(found) == [("static-path", "tools.staticdir.dir")]
    assert "not an existing directory" in found[0].message


def test_a_relative_static_dir_under_a_root_is_fine(tmp_path: Path) -> None:
    (tmp_path / "pub").mkdir()
    conf = {"tools.staticdir.on": True, "tools.staticdir.dir": "pub"}
    assert app_warnings({"/": {"tools.staticdir.root": str(tmp_path)}, "/static": conf}) == []


def test_a_relative_static_file_without_root_is_reported() -> None:
    conf = {"tools.staticfile.on": True, "tools.staticfile.filename": "favicon.ico"}
    assert codes(app_warnings({"/favicon.ico": conf})) == [
        ("static-path", "tools.staticfile.filename")
    ]


def test_a_section_repeating_the_script_name_is_reported() -> None:
    found = app_warnings({"/blog/posts": {}}, script_name="/blog")
    assert codes(found) == [("script-name-section", "")]


def test_section_names_with_brackets_are_reported() -> None:
    assert codes(app_warnings({"[/]": {}})) == [("brackets", "")]


def test_obsolete_keys_name_their_replacement() -> None:
    found = app_warnings({}, {"log_to_screen": True})
    assert codes(found) == [("obsolete", "log_to_screen")]
    assert "use 'log.screen' instead" in found[0].message


def test_localhost_as_socket_host_is_reported() -> None:
    assert codes(app_warnings({}, {"server.socket_host": "localhost"})) == [
        ("localhost", "server.socket_host")
    ]


def test_app_sections_given_to_the_global_config_are_reported() -> None:
    framework.config.update({"/": {"tools.encode.on": True}})
    tree = Tree()
    tree.mount(Root(), "")
    found = check(tree)
    assert codes(found) == [("app-sections-in-global", "")]
    framework.config.reset()
    assert check(tree) == []


def test_the_engine_warns_on_start_unless_checker_is_off() -> None:
    framework.tree.mount(Root(), "/checked", {"/": {"tools.nope.on": True}})
    with pytest.warns(UserWarning, match="there is no tool named 'nope'"):
        checker()
    framework.config.update({"checker.on": False})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checker()  # nothing: turned off by config
    # An explicit check still reports.
    assert [w.code for w in check()] == ["unknown-tool"]


def test_the_engine_start_runs_the_checker() -> None:
    import framework.process as process

    listeners = process.bus.listeners["start"]
    (run,) = [listener for listener in listeners if "checker" in listener.__name__]
    framework.tree.mount(Root(), "/checked", {"/": {"tools.nope.on": True}})
    with pytest.warns(UserWarning, match="no tool named 'nope'"):
        run()


def test_production_turns_the_checker_off() -> None:
    framework.config.update({"environment": "production"})
    assert checker.on is False
    framework.config.reset()
    assert checker.on is True


def test_one_check_can_be_switched_off_by_config() -> None:
    framework.config.update({"checker.check_localhost": False, "server.socket_host": "localhost"})
    assert [w.code for w in check()] == []


def test_a_check_of_your_own_runs_too() -> None:
    class Mine(Checker):
        def check_mine(self) -> list[ConfigWarning]:
            return [ConfigWarning("mine", "found")]

    assert [w.code for w in Mine().run(Tree(), {})] == ["mine"]
