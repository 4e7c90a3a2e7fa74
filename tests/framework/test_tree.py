"""Specification tests for framework.core.tree: Application, Tree, mounting and grafting."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

import pytest

import framework
from framework.core.tree import Tree
from framework.testing import Client


class Named:
    def __init__(self, name: str) -> None:
        self.name = name

    @framework.expose
    def index(self) -> str:
        return self.name

    @framework.expose
    def where(self) -> str:
        request = framework.request
        return f"{self.name} {request.script_name}|{request.path_info}"

    @framework.expose
    def fail(self) -> str:
        raise ValueError("boom")


def foreign_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    body = f"foreign {environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def site() -> Client:
    framework.tree.mount(Named("root"), "")
    framework.tree.mount(Named("blog"), "/blog")
    framework.tree.mount(Named("deep"), "/blog/deep")
    framework.tree.graft(foreign_app, "/wsgi")
    return Client(framework.tree)


def test_mount_returns_application() -> None:
    app = framework.tree.mount(Named("x"), "/x")
    assert isinstance(app, framework.Application)


def test_mount_registers_in_apps() -> None:
    app = framework.tree.mount(Named("x"), "/x")
    assert framework.tree.apps["/x"] is app


def test_tree_apps_is_restored_between_tests() -> None:
    # The conftest fixture restores the mount table; earlier tests mounted "/x".
    assert "/x" not in framework.tree.apps


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", "root"),
        ("/where", "root |/where"),
        ("/blog/", "blog"),
        ("/blog/where", "blog /blog|/where"),
        ("/blog/deep/where", "deep /blog/deep|/where"),
        ("/wsgi/a/b", "foreign /wsgi|/a/b"),
        ("/wsgi", "foreign /wsgi|"),
    ],
)
def test_tree_routes_to_longest_script_name(site: Client, path: str, body: str) -> None:
    assert site.get(path).text == body


def test_missing_index_slash_under_script_name(site: Client) -> None:
    assert site.get("/blog").headers["Location"] == "http://127.0.0.1/blog/"


def test_tree_404_when_nothing_mounted() -> None:
    framework.tree.mount(Named("only"), "/only")
    response = Client(framework.tree).get("/else")
    assert (response.status_code, response.text) == (404, "Nothing is mounted at this path.")


def test_separate_tree_instance() -> None:
    tree = Tree()
    tree.mount(Named("private"), "/p")
    assert Client(tree).get("/p/").text == "private"


def test_error_in_one_app_does_not_affect_another(site: Client) -> None:
    assert site.get("/blog/fail").status_code == 500
    assert site.get("/").text == "root"


@pytest.mark.parametrize("script_name", ["/x/", "/a/b/"])
def test_mount_rejects_trailing_slash(script_name: str) -> None:
    with pytest.raises(ValueError, match="must not end with a slash"):
        framework.tree.mount(Named("x"), script_name)


def test_mount_slash_means_site_root() -> None:
    framework.tree.mount(Named("slash"), "/")
    assert framework.tree.apps[""].root.name == "slash"


def test_mount_rejects_none_script_name() -> None:
    with pytest.raises(TypeError):
        framework.tree.mount(Named("x"), None)  # type: ignore[arg-type]


def test_mount_application_keeps_its_script_name() -> None:
    app = framework.Application(Named("pre"), "/pre")
    framework.tree.mount(app)
    assert framework.tree.apps["/pre"] is app


def test_mount_application_at_other_script_name_fails() -> None:
    app = framework.Application(Named("pre"), "/pre")
    with pytest.raises(ValueError, match="different script_name"):
        framework.tree.mount(app, "/other")


def test_mount_application_merges_config() -> None:
    app = framework.Application(Named("pre"), "/pre")
    framework.tree.mount(app, "/pre", {"/": {"my.key": 1}})
    assert app.config["/"]["my.key"] == 1


def test_application_strips_trailing_slash() -> None:
    assert framework.Application(Named("a"), "/a/").script_name == "/a"


def test_application_repr_names_script_name() -> None:
    assert "'/a'" in repr(framework.Application(None, "/a"))


def test_graft_strips_trailing_slash() -> None:
    framework.tree.graft(foreign_app, "/g/")
    assert framework.tree.apps["/g"] is foreign_app


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/blog/deep/x", "/blog/deep"),
        ("/blog/x", "/blog"),
        ("/blog", "/blog"),
        ("/blogger/x", ""),
        ("/other", ""),
        ("", ""),
    ],
)
def test_tree_script_name_lookup(site: Client, path: str, expected: str) -> None:
    assert framework.tree.script_name(path) == expected


def test_tree_script_name_none_when_unmounted() -> None:
    tree = Tree()
    tree.mount(Named("a"), "/a")
    assert tree.script_name("/b") is None


def test_tree_script_name_outside_request_is_none() -> None:
    assert Tree().script_name() is None


def test_tree_script_name_of_current_request() -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            return str(framework.tree.script_name())

    framework.tree.mount(Root(), "/cur")
    assert Client(framework.tree).get("/cur/").text == "/cur"


def test_application_called_with_full_path(wsgi_call: Any) -> None:
    # A server that mounts the app at "/" but sends the full path still reaches it.
    app = framework.Application(Named("direct"), "/direct")
    _, _, body = wsgi_call(app, path="/direct/where")
    assert body == b"direct /direct|/where"


def test_application_as_wsgi_callable(wsgi_call: Any) -> None:
    status, _, body = wsgi_call(framework.Application(Named("plain")), path="/")
    assert (status, body) == ("200 OK", b"plain")


def test_find_config_deepest_section_wins() -> None:
    app = framework.Application(None, "", {"/": {"k": "root"}, "/a/b": {"k": "deep"}})
    assert app.find_config("/a/b/c", "k") == "deep"


def test_find_config_falls_back_to_root() -> None:
    app = framework.Application(None, "", {"/": {"k": "root"}})
    assert app.find_config("/a/b", "k") == "root"


def test_find_config_default() -> None:
    assert framework.Application(None).find_config("/a", "k", "dflt") == "dflt"


def test_app_log_namespace_applies_on_merge(tmp_path: Any) -> None:
    target = tmp_path / "access.log"
    app = framework.Application(Named("x"), "", {"/": {"log.access_file": str(target)}})
    try:
        assert app.log.access_file == str(target)
    finally:
        app.log.access_file = ""


def test_app_config_from_open_file() -> None:
    conf = io.StringIO("[/]\nmy.key = 'v'\n")
    app = framework.Application(Named("x"), "", conf)
    assert app.config["/"]["my.key"] == "v"


def test_find_config_relative_path_gives_default() -> None:
    app = framework.Application(None, "", {"/": {"k": "root"}})
    assert app.find_config("relative", "k", "dflt") == "dflt"


def test_application_keeps_path_of_other_script_name(wsgi_call: Any) -> None:
    app = framework.Application(Named("a"), "/a")
    _, _, body = wsgi_call(app, path="/where", SCRIPT_NAME="/b")
    assert body == b"a /a|/where"


def test_plan_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from framework.core import application as application_module

    monkeypatch.setattr(application_module, "PLAN_CACHE_SIZE", 2)
    app = framework.Application(Named("a"))
    client = Client(app)
    for path in ("/", "/where", "/fail", "/where"):
        client.get(path)
    assert len(app._plans) <= 2


def test_keyboard_interrupt_propagates(wsgi_call: Any) -> None:
    class Interrupted:
        @framework.expose
        def index(self) -> str:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        wsgi_call(framework.Application(Interrupted()), validate=False)


def test_failing_access_log_does_not_break_response(
    monkeypatch: pytest.MonkeyPatch, error_records: list[Any]
) -> None:
    app = framework.Application(Named("a"))

    def broken_access(request: Any, response: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(app.log, "access", broken_access)
    # The access line is written only when a handler will read it.
    handler = logging.NullHandler()
    app.log.access_log.addHandler(handler)
    try:
        response = Client(app).get("/")
    finally:
        app.log.access_log.removeHandler(handler)
    assert (response.text, any("Access log failed" in r.getMessage() for r in error_records)) == (
        "a",
        True,
    )


def test_text_body_without_encode_tool_is_utf8() -> None:
    class Text:
        @framework.expose
        def index(self) -> list[str]:
            return ["caf\u00e9"]

    config = {"/": {"tools.encode.on": False}}
    assert Client(framework.Application(Text(), "", config)).get("/").body == "caf\u00e9".encode()


def test_streamed_list_body() -> None:
    class Streamed:
        @framework.expose
        def index(self) -> list[bytes]:
            return [b"a", b"b"]

    config = {"/": {"response.stream": True}}
    assert Client(framework.Application(Streamed(), "", config)).get("/").body == b"ab"
