"""URL tree introspection (cherrycli.routes) and the ``cherry routes`` command."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cherrycli.appconfig import read_config
from cherrycli.errors import CliError
from cherrycli.importer import load_target
from cherrycli.routes import ANY_METHOD, Route, collect_routes
from cli_support import ASSETS, cherry, load_module
from framework.testing import Client
from route_support import matches
from serve_harness import cherry as serve
from serve_harness import get, poll, try_get


@pytest.fixture(scope="module")
def sample() -> ModuleType:
    return load_module(ASSETS / "routes_app.py")


@pytest.fixture(scope="module")
def by_path(sample: object) -> dict[str, list[Route]]:
    table: dict[str, list[Route]] = {}
    for route in collect_routes(sample.application):  # type: ignore[attr-defined]
        table.setdefault(route.path, []).append(route)
    return table


@pytest.fixture(scope="module")
def client(sample: object) -> Client:
    return Client(sample.application)  # type: ignore[attr-defined]


def only(by_path: dict[str, list[Route]], path: str) -> Route:
    routes = by_path[path]
    assert len(routes) == 1, routes
    return routes[0]


def test_index_is_the_mount_point_with_a_slash(by_path: dict[str, list[Route]]) -> None:
    route = only(by_path, "/site/")
    assert (route.handler, route.kind) == ("routes_app.Root.index", "index")


def test_handler_location_is_file_and_line(sample: object, by_path: dict[str, list[Route]]) -> None:
    line = inspect.getsourcelines(sample.Root.index)[1]  # type: ignore[attr-defined]
    assert only(by_path, "/site/").location == f"tests/cli/assets/routes_app.py:{line}"


def test_location_is_the_handler_identity_the_plugin_logs(by_path: dict[str, list[Route]]) -> None:
    from framework.introspect import handler_identity

    route = only(by_path, "/site/about.html")
    assert route.source.identity == handler_identity(route.source.handler)
    assert route.location.endswith(f":{route.source.identity.line}")


def test_aliases_are_listed_as_requested(client: Client, by_path: dict[str, list[Route]]) -> None:
    for path in ("/site/about", "/site/about_us", "/site/about.html"):
        assert only(by_path, path).handler == "routes_app.Root.about"
        assert client.get(path).text == "about"
    assert "/site/about_html" not in by_path  # the same URL for the dispatcher


def test_file_extension_names_are_listed_with_their_dot(
    client: Client, by_path: dict[str, list[Route]]
) -> None:
    assert only(by_path, "/site/feed.xml").handler == "routes_app.Root.feed_xml"
    assert "/site/feed_xml" not in by_path
    assert client.get("/site/feed.xml").text == "<rss/>"


def test_index_parameters_are_query_parameters(
    client: Client, by_path: dict[str, list[Route]]
) -> None:
    route = only(by_path, "/site/comments/")
    assert (route.handler, route.params) == ("routes_app.Comments.index", ("post_id: str",))
    assert not any(path.startswith("/site/comments/{") for path in by_path)
    assert client.get("/site/comments/", params={"post_id": "7"}).text == "comments of 7"
    assert client.get("/site/comments/7").status_code == 404  # no default on the way


def test_required_positional_args_become_placeholders(
    client: Client, by_path: dict[str, list[Route]]
) -> None:
    route = only(by_path, "/site/users/show/{user_id}")
    assert route.params == ("user_id: int", "verbose: bool = False")
    assert client.get("/site/users/show/42").text == "42"


def test_optional_positional_args_are_marked(by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/submit/{text?}").handler == "routes_app.Root.submit"


def test_default_takes_the_rest_of_the_path(
    client: Client, by_path: dict[str, list[Route]]
) -> None:
    route = only(by_path, "/site/users/{*parts}")
    assert (route.handler, route.kind) == ("routes_app.Users.default", "default")
    assert client.get("/site/users/a/b").text == "a/b"


def test_popargs_names_become_placeholders(client: Client, by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/blog/{year}/{month}/").handler == "routes_app.Blog.index"
    assert only(by_path, "/site/blog/{year}/{month}/feed").handler == "routes_app.Blog.feed"
    # Without popped segments the index answers at /blog/, its names as query parameters.
    assert only(by_path, "/site/blog/").params == (
        "year: str | None = None",
        "month: str | None = None",
    )
    assert not any("{year?}" in path for path in by_path)
    assert client.get("/site/blog/2024/05/").text == "2024-05"
    assert client.get("/site/blog/", params={"year": "2023"}).text == "2023-None"


def test_custom_dispatch_is_a_dynamic_route(by_path: dict[str, list[Route]]) -> None:
    route = only(by_path, "/site/dynamic/{*vpath}")
    assert (route.handler, route.kind) == ("routes_app.Dynamic._cp_dispatch", "dispatch")
    assert route.params == ("vpath: list[str]",)


def test_method_dispatcher_lists_one_route_per_verb(by_path: dict[str, list[Route]]) -> None:
    get = only(by_path, "/site/api/items/{item_id?}")
    post = only(by_path, "/site/api/items/{name}")
    assert (get.methods, get.handler) == (("GET", "HEAD"), "routes_app.Item.GET")
    assert (post.methods, post.handler) == (("POST",), "routes_app.Item.POST")
    assert (get.kind, post.kind) == ("resource", "resource")
    assert only(by_path, "/site/api").methods == ("GET", "HEAD")


def test_default_dispatcher_answers_any_method(by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/").methods == (ANY_METHOD,)


def test_allow_tool_restricts_methods(client: Client, by_path: dict[str, list[Route]]) -> None:
    route = only(by_path, "/site/submit/{text?}")
    assert route.methods == ("POST",)
    assert route.tools == ("allow",)
    assert client.get("/site/submit").status_code == 405


def test_decorator_tools_are_listed(by_path: dict[str, list[Route]]) -> None:
    assert only(by_path, "/site/status").tools == ("json_out",)
    assert only(by_path, "/site/api/items/{item_id?}").tools == ("json_out",)


def test_static_sections_are_listed(
    sample: object, client: Client, by_path: dict[str, list[Route]]
) -> None:
    static_dir = sample.STATIC  # type: ignore[attr-defined]
    directory = only(by_path, "/site/static/{*path}")
    assert (directory.kind, directory.methods) == ("static", ("GET", "HEAD"))
    assert directory.handler == f"tools.staticdir: {static_dir}"
    assert (directory.location, directory.params) == ("", ())
    assert only(by_path, "/site/robots.txt").handler == (
        f"tools.staticfile: {static_dir / 'robots.txt'}"
    )
    assert client.get("/site/static/style.css").text.startswith("body")
    assert client.get("/site/robots.txt").text.startswith("User-agent")


def test_single_underscore_handlers_are_listed(
    client: Client, by_path: dict[str, list[Route]]
) -> None:
    assert only(by_path, "/site/_hidden").handler == "routes_app.Root._hidden"
    assert client.get("/site/_hidden").text == "hidden"


def test_a_property_leading_to_an_exposed_child_is_listed(
    client: Client, by_path: dict[str, list[Route]]
) -> None:
    # The dispatcher runs properties, so the child publishes.
    assert only(by_path, "/site/lazy/").handler == "routes_app.Lazy.index"
    assert client.get("/site/lazy/").text == "lazy"


def test_a_property_that_raises_is_not_listed(
    client: Client, by_path: dict[str, list[Route]]
) -> None:
    assert not any("broken" in path for path in by_path)
    assert client.get("/site/broken").status_code == 500  # no handler behind it


def test_unexposed_methods_and_plain_data_are_not_listed(
    client: Client, by_path: dict[str, list[Route]]
) -> None:
    paths = " ".join(by_path)
    for name in ("helper", "settings"):
        assert f"/{name}" not in paths
        assert client.get(f"/site/{name}").status_code == 404


def test_a_cycle_is_not_followed(by_path: dict[str, list[Route]]) -> None:
    # root.loop is root: /site/loop/... would name the whole tree again, forever.
    assert not any("/loop" in path for path in by_path)


def test_app_config_file_tools_apply_by_path(sample: object, tmp_path: Path) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text("[global]\ntools.gzip.on = True\n\n[/users]\ntools.etags.on = True\n")
    routes = collect_routes(sample.Root, read_config(conf))  # type: ignore[attr-defined]
    tools = {route.path: route.tools for route in routes}
    assert tools["/"] == ("gzip",)
    assert tools["/users/"] == ("etags", "gzip")


def test_config_file_static_sections_are_listed(sample: object, tmp_path: Path) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text(
        f"[/assets]\ntools.staticdir.on = True\ntools.staticdir.dir = {str(tmp_path)!r}\n"
    )
    routes = collect_routes(sample.Root(), read_config(conf))  # type: ignore[attr-defined]
    (static,) = [route for route in routes if route.kind == "static"]
    assert (static.path, static.handler) == ("/assets/{*path}", f"tools.staticdir: {tmp_path}")


GLOBAL_SHADOWED = """
import framework


class Root:
    _cp_config = {"tools.gzip.on": False}

    @framework.expose
    def index(self):
        return "x"

    @framework.expose
    @framework.config(**{"tools.etags.on": False})
    def page(self):
        return "x"
"""


def test_global_keys_sit_below_every_other_level(tmp_path: Path) -> None:
    # As cherry serve applies [global]: the root's _cp_config and the handler's own
    # config win over it; only request keys are read (log.* would open the file).
    (tmp_path / "shadowed.py").write_text(GLOBAL_SHADOWED)
    module = load_module(tmp_path / "shadowed.py")
    access_log = tmp_path / "access.log"
    config = {
        "global": {
            "tools.gzip.on": True,
            "tools.etags.on": True,
            "log.access_file": str(access_log),
        }
    }
    tools = {route.path: route.tools for route in collect_routes(module.Root(), config)}
    assert tools == {"/": ("etags",), "/page": ()}
    assert not access_log.exists()


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
    assert {"/a/", "/b/", "/a/lazy/", "/b/feed.xml"} <= paths


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
    assert data == {
        "path": "/site/status",
        "handler": "routes_app.Root.status",
        "location": data["location"],
        "methods": ["*"],
        "params": ["**kwargs: str"],
        "tools": ["json_out"],
        "kind": "handler",
    }
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


@pytest.mark.parametrize("columns", [60, 80])
def test_a_narrow_terminal_gets_one_block_per_route_not_a_folded_table(
    tmp_path: Path, columns: int
) -> None:
    result = cherry("routes", "routes_app.py:Root", cwd=ASSETS, env={"COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert "┃" not in result.stdout  # no table
    show = lines.index("/users/show/{user_id}  any  handler")
    line = load_module(ASSETS / "routes_app.py").Users.show.__code__.co_firstlineno
    assert lines[show + 1 : show + 4] == [
        "  routes_app.Users.show",
        f"  routes_app.py:{line}",
        "  params: user_id: int, verbose: bool = False",
    ]


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
            "kind": "index",
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
    (tmp_path / "other.conf").write_text("[/]\ntools.etags.on = True\n")
    (tmp_path / "opt_routes.py").write_text(
        "class Root:\n    def index(self):\n        return 'x'\n    index.exposed = True\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cherry]\napp = "opt_routes:Root"\nconfig = "dev.conf"\n'
    )
    result = cherry("routes", "--json", "--config", "other.conf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["tools"] == ["etags"]


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


# -- one route model: the listing, the importer, the test client and the server agree ----

DISAGREEMENT = """
import framework


class Lazy:
    @framework.expose
    def index(self):
        return "lazy"


class Root:
    @property
    def lazy(self):
        return Lazy()

    @framework.expose
    def _hidden(self):
        return "hidden"


root = Root()
"""


@pytest.fixture
def disagreement(tmp_path: Path) -> Path:
    """The foundations issue's root: an exposed ``_hidden`` and a property to a child."""
    (tmp_path / "app.py").write_text(DISAGREEMENT)
    return tmp_path


def test_the_issue_root_is_listed_as_it_dispatches(disagreement: Path) -> None:
    result = cherry("routes", "app.py:root", "--json", cwd=disagreement)
    assert result.returncode == 0, result.stderr
    listed = {(route["path"], route["handler"]) for route in json.loads(result.stdout)}
    assert listed == {("/_hidden", "app.Root._hidden"), ("/lazy/", "app.Lazy.index")}


def test_the_issue_root_is_a_root_to_the_importer(disagreement: Path) -> None:
    assert load_target(str(disagreement / "app.py") + ":root").kind == "root"


def test_the_issue_root_works_in_the_test_client(disagreement: Path) -> None:
    client = Client(load_module(disagreement / "app.py").root)
    assert client.get("/_hidden").text == "hidden"
    assert client.get("/lazy/").text == "lazy"


@pytest.mark.live
def test_the_issue_root_is_served_by_cherry_serve(disagreement: Path) -> None:
    with serve(["serve", "app.py:root", "--port", "0"], disagreement) as proc:
        url = proc.url()
        assert poll(lambda: try_get(url + "/_hidden")) == (200, "hidden")
        assert get(url + "/lazy/") == (200, "lazy")


@pytest.fixture(scope="module")
def listed_json() -> list[dict[str, Any]]:
    """What ``cherry routes --json`` prints for the sample app."""
    result = cherry("routes", str(ASSETS / "routes_app.py") + ":application", "--json")
    assert result.returncode == 0, result.stderr
    routes: list[dict[str, Any]] = json.loads(result.stdout)
    return routes


def test_every_listed_route_without_parameters_dispatches(
    client: Client, listed_json: list[dict[str, Any]]
) -> None:
    checked = 0
    for route in listed_json:
        if "{" in route["path"]:
            continue
        # Required parameters (no default, not *args/**kwargs) come from the query.
        query = {
            param.partition(":")[0]: "1"
            for param in route["params"]
            if "=" not in param and not param.startswith("*")
        }
        method = "GET" if route["methods"] == [ANY_METHOD] else route["methods"][0]
        response = client.request(method, route["path"], params=query)
        assert response.status_code == 200, (route, response.status)
        checked += 1
    assert checked >= 14


def test_every_path_the_dispatcher_serves_is_listed(
    client: Client, listed_json: list[dict[str, Any]]
) -> None:
    templates = [route["path"] for route in listed_json]
    probes = [
        "/site/", "/site/about", "/site/about_us", "/site/about.html", "/site/about_html",
        "/site/feed.xml", "/site/feed_xml", "/site/_hidden", "/site/lazy/", "/site/status",
        "/site/comments/?post_id=1", "/site/comments/1", "/site/users", "/site/users/",
        "/site/users/show/1", "/site/users/a/b", "/site/blog/", "/site/blog/feed",
        "/site/blog/2024/05/", "/site/blog/2024/05/feed", "/site/api", "/site/api/items",
        "/site/api/items/3", "/site/static/style.css", "/site/robots.txt", "/site/helper",
        "/site/settings", "/site/broken", "/site/nothing", "/site/__init__", "/site/index",
        "/site/dynamic/x", "/site/submit",
    ]  # fmt: skip
    served = 0
    for probe in probes:
        if client.get(probe).status_code >= 300:
            continue
        served += 1
        path = probe.partition("?")[0]
        assert any(matches(template, path) for template in templates), (probe, templates)
    assert served >= 24


def test_command_lists_xmlrpc_procedures_and_virtual_hosts(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text(
        "import framework\n"
        "from framework.lib.xmlrpcutil import XMLRPCController\n"
        "class Api(XMLRPCController):\n"
        "    @framework.expose\n"
        "    def add(self, a, b):\n"
        "        return a + b\n"
        "class Root:\n"
        "    api = Api()\n"
        "vhost = framework.dispatch.VirtualHost(**{'rpc.example.com': '/api'})\n"
        "application = framework.Application(Root(), '', {'/': {'request.dispatch': vhost}})\n"
    )
    result = cherry("routes", "api.py:application", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {(route["path"], route["kind"]) for route in json.loads(result.stdout)}
    assert ("/api/#add", "xmlrpc") in listed
    assert ("//rpc.example.com/#add", "xmlrpc") in listed


MISCONFIGURED = """
import framework


class Root:
    @framework.expose
    def index(self):
        return "hi"
"""


def test_routes_prints_the_checks_findings_first_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(MISCONFIGURED)
    (tmp_path / "site.conf").write_text(
        "[/]\nrequest.show_tracebakcs = True\ntools.staticdirr.on = True\n"
    )
    listed = cherry("routes", "shop.py:Root", "--config", "site.conf", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "did you mean 'show_tracebacks'" in listed.stderr
    assert "no tool named 'staticdirr'" in listed.stderr
    as_json = cherry("routes", "shop.py:Root", "--json", "--config", "site.conf", cwd=tmp_path)
    assert [route["path"] for route in json.loads(as_json.stdout)] == ["/"]
    assert "staticdirr" in as_json.stderr


def test_routes_of_a_clean_app_print_no_warning(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(MISCONFIGURED)
    listed = cherry("routes", "shop.py:Root", cwd=tmp_path)
    assert listed.returncode == 0 and "warning" not in listed.stderr, listed.stderr
