"""URL tree introspection (cherrycli.routes) and the ``cherry routes`` command."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from types import ModuleType

import pytest

from cherrycli.appconfig import read_config
from cherrycli.errors import CliError
from cherrycli.routes import ANY_METHOD, Route, collect_routes
from cli_support import ASSETS, cherry, load_module


@pytest.fixture(scope="module")
def sample() -> ModuleType:
    return load_module(ASSETS / "routes_app.py")


@pytest.fixture(scope="module")
def by_path(sample: object) -> dict[str, list[Route]]:
    table: dict[str, list[Route]] = {}
    for route in collect_routes(sample.application):  # type: ignore[attr-defined]
        table.setdefault(route.path, []).append(route)
    return table


def only(by_path: dict[str, list[Route]], path: str) -> Route:
    routes = by_path[path]
    assert len(routes) == 1, routes
    return routes[0]


def test_index_is_the_mount_point_with_a_slash(by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/").handler == "routes_app.Root.index"


def test_handler_location_is_file_and_line(sample: object, by_path: dict[str, list[Route]]) -> None:
    line = inspect.getsourcelines(sample.Root.index)[1]  # type: ignore[attr-defined]
    assert only(by_path, "/site/").location.endswith(f"routes_app.py:{line}")


def test_aliases_are_listed_each(by_path: dict[str, list[Route]]) -> None:
    for path in ("/site/about", "/site/about_us", "/site/about_html"):
        assert only(by_path, path).handler == "routes_app.Root.about"


def test_required_positional_args_become_placeholders(by_path: dict[str, list[Route]]) -> None:
    route = only(by_path, "/site/users/show/{user_id}")
    assert route.params == ("user_id: int", "verbose: bool = False")


def test_optional_positional_args_are_marked(by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/submit/{text?}").handler == "routes_app.Root.submit"


def test_default_takes_the_rest_of_the_path(by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/users/{*parts}").handler == "routes_app.Users.default"


def test_popargs_names_become_placeholders(by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/blog/{year}/{month}/").handler == "routes_app.Blog.index"
    assert only(by_path, "/site/blog/{year}/{month}/feed").handler == "routes_app.Blog.feed"
    # Without popped segments the index answers at /blog/ (no duplicate placeholders).
    assert "/site/blog/" in by_path
    assert not any("{year?}" in path for path in by_path)


def test_custom_dispatch_is_a_dynamic_route(by_path: dict[str, list[Route]]) -> None:
    route = only(by_path, "/site/dynamic/{*vpath}")
    assert route.handler == "routes_app.Dynamic._cp_dispatch"
    assert route.params == ("vpath: list[str]",)


def test_method_dispatcher_lists_one_route_per_verb(by_path: dict[str, list[Route]]) -> None:
    get = only(by_path, "/site/api/items/{item_id?}")
    post = only(by_path, "/site/api/items/{name}")
    assert (get.methods, get.handler) == (("GET", "HEAD"), "routes_app.Item.GET")
    assert (post.methods, post.handler) == (("POST",), "routes_app.Item.POST")
    assert only(by_path, "/site/api").methods == ("GET", "HEAD")


def test_default_dispatcher_answers_any_method(by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/").methods == (ANY_METHOD,)


def test_allow_tool_restricts_methods(by_path: dict[str, list[Route]]) -> None:
    route = only(by_path, "/site/submit/{text?}")
    assert route.methods == ("POST",)
    assert route.tools == ("allow",)


def test_decorator_tools_are_listed(by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/status").tools == ("json_out",)
    assert only(by_path, "/site/api/items/{item_id?}").tools == ("json_out",)


def test_unexposed_methods_plain_data_and_properties_are_skipped(
    by_path: dict[str, list[Route]],
) -> None:
    paths = " ".join(by_path)
    for name in ("helper", "settings", "expensive", "loop/loop"):
        assert f"/{name}" not in paths


def test_app_config_file_tools_apply_by_path(sample: object, tmp_path: Path) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text("[global]\ntools.gzip.on = True\n\n[/users]\ntools.etags.on = True\n")
    routes = collect_routes(sample.Root, read_config(conf))  # type: ignore[attr-defined]
    tools = {route.path: route.tools for route in routes}
    assert tools["/"] == ("gzip",)
    assert tools["/users/"] == ("etags", "gzip")


def test_root_object_and_class_give_the_same_routes(sample: object) -> None:
    from_class = collect_routes(sample.Root)  # type: ignore[attr-defined]
    from_object = collect_routes(sample.Root())  # type: ignore[attr-defined]
    assert from_class == from_object
    assert from_class[0].path == "/"


def test_tree_lists_every_mounted_app(sample: object) -> None:
    import framework

    tree = type(framework.tree)()
    tree.mount(sample.Root(), "/a")  # type: ignore[attr-defined]
    tree.mount(sample.Root(), "/b")  # type: ignore[attr-defined]
    paths = {route.path for route in collect_routes(tree)}
    assert {"/a/", "/b/"} <= paths


def test_plain_wsgi_callable_is_refused() -> None:
    def wsgi(environ: object, start_response: object) -> list[bytes]:
        return []

    with pytest.raises(CliError, match="plain WSGI callable"):
        collect_routes(wsgi)


def test_class_needing_arguments_is_refused() -> None:
    class NeedsArgs:
        exposed = True

        def __init__(self, db: object) -> None:
            self.db = db

    with pytest.raises(CliError, match=r"cannot create .*NeedsArgs\(\)"):
        collect_routes(NeedsArgs)


def test_route_to_dict_is_json_ready(by_path: dict[str, list[Route]]) -> None:
    data = only(by_path, "/site/status").to_dict()
    assert data["methods"] == ["*"]
    assert json.loads(json.dumps(data)) == data


# -- the command, through the real entry point -------------------------------------------


def test_command_json_output(tmp_path: Path) -> None:
    result = cherry(
        "routes", str(ASSETS / "routes_app.py") + ":application", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    routes = json.loads(result.stdout)
    assert {"path": "/site/", "handler": "routes_app.Root.index"}.items() <= routes[0].items()


def test_command_table_output(tmp_path: Path) -> None:
    result = cherry(
        "routes", str(ASSETS / "routes_app.py") + ":Root", cwd=tmp_path, env={"COLUMNS": "200"}
    )
    assert result.returncode == 0, result.stderr
    assert "/users/show/{user_id}" in result.stdout
    assert "routes_app.Users.show" in result.stdout


@pytest.mark.parametrize(("handlers", "title"), [(1, "1 route"), (2, "2 routes")])
def test_command_table_title_counts_routes(tmp_path: Path, handlers: int, title: str) -> None:
    methods = "".join(
        f"    def page{n}(self):\n        return 'x'\n    page{n}.exposed = True\n"
        for n in range(handlers)
    )
    (tmp_path / "counted.py").write_text(f"class Root:\n{methods}")
    result = cherry("routes", "counted.py:Root", cwd=tmp_path, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].strip() == f"counted:Root: {title}"


def test_command_readme_target_says_it_is_not_python(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# a project\n")
    result = cherry("routes", "README.md", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: module 'README.md' not found (hint: README.md is not a Python file: "
        "TARGET is pkg.module:attr, app.py or app.py:Root)\n"
    )


def test_command_uses_pyproject_app_and_config(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "dev.conf").write_text("[/]\ntools.gzip.on = True\n")
    (tmp_path / "proj_routes.py").write_text(
        "class Root:\n    def index(self):\n        return 'x'\n    index.exposed = True\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cherry]\napp = "proj_routes:Root"\nconfig = "conf/dev.conf"\n'
    )
    result = cherry("routes", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {
            "path": "/",
            "handler": "proj_routes.Root.index",
            "location": "proj_routes.py:2",
            "methods": ["*"],
            "params": [],
            "tools": ["gzip"],
        }
    ]


def test_command_without_any_target_is_a_usage_error(tmp_path: Path) -> None:
    result = cherry("routes", cwd=tmp_path)
    assert result.returncode == 2
    assert "no TARGET given" in result.stderr
    assert "Traceback" not in result.stderr


def test_command_reports_an_import_error_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "crashing.py").write_text("raise RuntimeError('db is down')\n")
    result = cherry("routes", "crashing.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "RuntimeError: db is down" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_option_overrides_the_pyproject_config(tmp_path: Path) -> None:
    (tmp_path / "dev.conf").write_text("[/]\ntools.gzip.on = True\n")
    (tmp_path / "other.conf").write_text("[/]\ntools.encode.on = True\n")
    (tmp_path / "opt_routes.py").write_text(
        "class Root:\n    def index(self):\n        return 'x'\n    index.exposed = True\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cherry]\napp = "opt_routes:Root"\nconfig = "dev.conf"\n'
    )
    result = cherry("routes", "--json", "--config", "other.conf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["tools"] == ["encode"]


def test_compat_lists_an_unchanged_cherrypy_app(tmp_path: Path) -> None:
    (tmp_path / "legacy.py").write_text(
        "import pathlib\nimport cherrypy\n\n"
        "pathlib.Path('tree.txt').write_text(type(cherrypy.tree).__module__)\n\n\n"
        "class Root:\n    @cherrypy.expose\n    def index(self):\n"
        "        return 'old'\n\n    @cherrypy.expose\n    def page(self, n):\n        return n\n"
    )
    result = cherry("routes", "legacy.py", "--compat", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [route["path"] for route in json.loads(result.stdout)] == ["/", "/page/{n}"]
    assert (tmp_path / "tree.txt").read_text() == "framework.core.tree"
