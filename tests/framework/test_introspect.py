"""Specification of framework.introspect: the one route model, checked against dispatch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import framework
from framework.introspect import (
    ANY_METHOD,
    Route,
    classify,
    handler_identity,
    publishes,
    routes,
    unreachable,
    url_segment,
)
from framework.testing import Client
from route_support import matches


class Comments:
    @framework.expose
    def index(self, post_id: str) -> str:  # only ever answers with ?post_id=
        return f"comments of {post_id}"


class Posts:
    def __init__(self) -> None:
        self.comments = Comments()

    @framework.expose
    def index(self) -> str:
        return "posts"


class Blog:
    def __init__(self) -> None:
        self.posts = Posts()

    @framework.expose
    def index(self) -> str:
        return "blog"

    @framework.expose
    def feed_xml(self) -> str:
        return "<rss/>"

    @framework.expose
    def default(self, *args: str) -> str:
        return "default " + "/".join(args)


class Lazy:
    @framework.expose
    def index(self) -> str:
        return "lazy"


class Root:
    """The disagreement of the foundations issue, in one tree."""

    def __init__(self) -> None:
        self.blog = Blog()

    @property
    def lazy(self) -> Lazy:  # the dispatcher runs properties: /lazy/ answers
        return Lazy()

    @property
    def broken(self) -> Any:
        raise RuntimeError("the request fails (500, as on CherryPy): no handler is there")

    @framework.expose
    def index(self) -> str:
        return "home"

    @framework.expose
    def _hidden(self) -> str:  # a single underscore still publishes
        return "hidden"

    @framework.expose
    def page(self, n: str, size: str = "10") -> str:
        return f"page {n} {size}"

    def helper(self) -> str:
        return "never published"


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    (tmp_path / "style.css").write_text("body {}")
    return tmp_path


@pytest.fixture
def app(static_dir: Path) -> framework.Application:
    config = {
        "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(static_dir)},
        "/favicon.ico": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(static_dir / "style.css"),
        },
    }
    return framework.Application(Root(), "", config)


@pytest.fixture
def listed(app: framework.Application) -> dict[str, Route]:
    return {route.path: route for route in routes(app)}


def test_single_underscore_handler_is_listed(listed: dict[str, Route]) -> None:
    assert listed["/_hidden"].identity.name.endswith("Root._hidden")


def test_property_leading_to_an_exposed_child_is_listed(listed: dict[str, Route]) -> None:
    assert listed["/lazy/"].identity.name.endswith("Lazy.index")


def test_index_parameters_are_query_parameters_not_segments(listed: dict[str, Route]) -> None:
    route = listed["/blog/posts/comments/"]
    assert route.identity.name.endswith("Comments.index")
    assert [p.name for p in route.params] == ["post_id"]
    assert not any(path.startswith("/blog/posts/comments/{") for path in listed)


def test_segment_under_an_index_only_node_reaches_the_nearest_default(app: Any) -> None:
    assert Client(app).get("/blog/posts/comments/5").text == "default posts/comments/5"


def test_file_extension_names_are_listed_with_their_dot(listed: dict[str, Route]) -> None:
    assert "/blog/feed.xml" in listed
    assert "/blog/feed_xml" not in listed


def test_positional_parameters_become_placeholders(listed: dict[str, Route]) -> None:
    route = listed["/page/{n}/{size?}"]
    assert (route.kind, route.methods) == ("handler", (ANY_METHOD,))


def test_static_sections_are_routes(listed: dict[str, Route], static_dir: Path) -> None:
    static = listed["/static/{*path}"]
    assert (static.kind, static.methods) == ("static", ("GET", "HEAD"))
    assert str(static_dir) in static.identity.name
    assert listed["/favicon.ico"].kind == "static"


def test_unexposed_failing_and_dunder_members_are_not_listed(listed: dict[str, Route]) -> None:
    assert not [p for p in listed if "helper" in p or "broken" in p or "__" in p]


def test_every_listed_route_without_parameters_dispatches(app: Any, listed: dict[str, Route]):
    client = Client(app)
    for path, route in listed.items():
        if route.has_parameters:
            continue
        query = {
            p.name: "1" for p in route.params if p.default is p.empty and p.kind != p.VAR_KEYWORD
        }
        response = client.get(path, params=query)
        assert response.status_code == 200, (path, response.status)


def test_every_path_the_dispatcher_serves_is_listed(app: Any, listed: dict[str, Route]) -> None:
    client = Client(app)
    probes = [
        "/",
        "/_hidden",
        "/lazy/",
        "/blog/",
        "/blog/feed.xml",
        "/blog/feed_xml",
        "/blog/posts/",
        "/blog/posts/comments/?post_id=1",
        "/blog/posts/comments/5",
        "/blog/anything/else",
        "/page/1",
        "/page/1/20",
        "/static/style.css",
        "/favicon.ico",
        "/helper",
        "/broken",
        "/__init__",
        "/nothing",
        "/page",
    ]
    served = 0
    for probe in probes:
        response = client.get(probe)
        if response.status_code >= 300:
            continue
        served += 1
        path = probe.partition("?")[0]
        assert any(matches(template, path) for template in listed), (probe, sorted(listed))
    assert served >= 12


@pytest.mark.parametrize(
    ("name", "segment"),
    [
        ("feed_xml", "feed.xml"),
        ("robots_txt", "robots.txt"),
        ("user_profile", "user_profile"),
        ("_hidden", "_hidden"),
        ("index", "index"),
    ],
)
def test_url_segment(name: str, segment: str) -> None:
    assert url_segment(name) == segment


def test_method_dispatcher_resources_list_one_route_per_verb() -> None:
    @framework.expose
    class Items:
        def GET(self, item_id: str | None = None) -> str:
            return "list"

        def POST(self, name: str) -> str:
            return name

    class Api:
        items = Items()

    conf = {"/": {"request.dispatch": framework.dispatch.MethodDispatcher()}}
    found = {(r.path, r.methods) for r in routes(framework.Application(Api(), "/api", conf))}
    assert found == {
        ("/api/items/{item_id?}", ("GET", "HEAD")),
        ("/api/items/{name}", ("POST",)),
    }


def test_tools_are_those_switched_on_beyond_the_defaults() -> None:
    class App:
        @framework.expose
        @framework.tools.json_out()
        def data(self) -> dict[str, int]:
            return {}

    (route,) = routes(App())
    assert route.tools == ("json_out",)


def test_a_root_class_lists_the_routes_of_its_instance() -> None:
    # Children set in __init__ and properties exist only on an instance; a class's
    # functions would be listed with ``self`` as a path segment.
    from_class = [(r.path, r.identity) for r in routes(Root)]
    assert from_class == [(r.path, r.identity) for r in routes(Root())]
    assert {"/lazy/", "/blog/feed.xml", "/page/{n}/{size?}"} <= {path for path, _ in from_class}


def test_tree_lists_each_mounted_application() -> None:
    tree = framework.Tree()
    tree.mount(Root(), "/a")
    tree.mount(Root(), "/b")
    tree.graft(lambda environ, start_response: [], "/wsgi")
    paths = {route.path for route in routes(tree)}
    assert {"/a/", "/b/_hidden"} <= paths
    assert not any(path.startswith("/wsgi") for path in paths)


def test_handler_identity_names_the_def() -> None:
    identity = handler_identity(Root().index)
    assert identity.name == f"{__name__}.Root.index"
    assert identity.line == Root.index.__code__.co_firstlineno
    assert identity.location == f"{__file__}:{identity.line}"


def test_handler_identity_of_a_callable_object() -> None:
    class Page:
        exposed = True

        def __call__(self) -> str:
            return "x"

    assert handler_identity(Page()).name.endswith("Page")


@pytest.mark.parametrize(
    ("obj", "kind"),
    [
        (Root(), "root"),
        (Root, "class"),
        (framework.Application(Root()), "application"),
        (framework.Tree(), "tree"),
        (lambda environ, start_response: [], "wsgi"),
        (lambda: None, "other"),
        (42, "other"),
        (object(), "other"),
    ],
)
def test_classify(obj: object, kind: str) -> None:
    assert classify(obj) == kind


@pytest.mark.parametrize(
    ("obj", "published"),
    [(Root, True), (Blog, True), (int, False), (object, False), (type("Empty", (), {}), False)],
)
def test_a_class_publishes_its_exposed_methods(obj: type, published: bool) -> None:
    assert publishes(obj) is published


def test_a_root_publishing_only_through_a_property_publishes() -> None:
    class OnlyLazy:
        @property
        def lazy(self) -> Lazy:
            return Lazy()

    assert publishes(OnlyLazy())
    assert Client(OnlyLazy()).get("/lazy/").text == "lazy"


class CallableRoot:
    """An exposed callable root: the dispatcher calls it for every path."""

    exposed = True

    def __call__(self, *parts: str) -> str:
        return "root " + "/".join(parts)


def test_an_exposed_callable_root_answers_every_path() -> None:
    (route,) = routes(CallableRoot())
    assert (route.path, route.kind) == ("/{*parts}", "handler")
    assert route.identity.name == f"{__name__}.CallableRoot"
    assert (classify(CallableRoot()), publishes(CallableRoot)) == ("root", True)
    client = Client(CallableRoot())
    assert (client.get("/").text, client.get("/a/b").text) == ("root ", "root a/b")


def test_an_exposed_root_with_nothing_callable_publishes_nothing() -> None:
    class Marked:
        exposed = True

    assert Client(framework.Application(Marked())).get("/").status_code == 404
    assert (publishes(Marked), publishes(Marked()), routes(Marked())) == (False, False, [])


# -- dispatchers that are not a plain tree walk ---------------------------------------------


def test_xmlrpc_procedures_are_listed_by_method_name() -> None:
    from framework.dispatch import XMLRPCDispatcher
    from framework.lib.xmlrpcutil import XMLRPCController

    class Math:
        @framework.expose
        def add(self, a: int, b: int) -> int:
            return a + b

    class Api(XMLRPCController):
        math = Math()

        @framework.expose
        def hello(self) -> str:
            return "hi"

    class Site:
        api = Api()

    app = framework.Application(Site(), "", {"/": {"request.dispatch": XMLRPCDispatcher()}})
    rpc = [
        (r.path, r.methods, r.identity.name.rsplit(".", 2)[-2:])
        for r in routes(app)
        if r.kind == "xmlrpc"
    ]
    assert rpc == [
        ("/api/#hello", ("POST",), ["Api", "hello"]),
        ("/api/#math.add", ("POST",), ["Math", "add"]),
    ]
    assert not any(r.kind == "default" for r in routes(app))


def test_virtual_hosts_list_each_route_as_its_host_reaches_it() -> None:
    from framework.dispatch import VirtualHost

    class Blog:
        @framework.expose
        def index(self) -> str:
            return "blog"

    class Site:
        blog = Blog()

        @framework.expose
        def index(self) -> str:
            return "site"

    vhost = VirtualHost(**{"blog.example.com": "/blog", "www.example.com": ""})
    app = framework.Application(Site(), "", {"/": {"request.dispatch": vhost}})
    paths = {r.path for r in routes(app)}
    assert paths >= {
        "/",
        "/blog/",
        "//blog.example.com/",
        "//www.example.com/",
        "//www.example.com/blog/",
    }
    assert "//blog.example.com/blog/" not in paths
    client = Client(app)
    assert client.get("/", headers={"Host": "blog.example.com"}).text == "blog"


def test_routes_dispatcher_patterns_are_routes() -> None:
    pytest.importorskip("routes")

    class City:
        def show(self, name: str) -> str:
            return name

    class Pages:
        def about(self) -> str:
            return "about"

    d = framework.dispatch.RoutesDispatcher()
    d.connect(
        "city", "/cities/:name", controller=City(), action="show", conditions={"method": ["GET"]}
    )
    d.connect("page", "/{action}", controller=Pages())
    d.connect("nowhere", "/nowhere", controller="missing")
    app = framework.Application(None, "/site", {"/": {"request.dispatch": d}})
    listed = {(r.path, r.methods, r.kind, r.identity.name.rsplit(".", 1)[-1]) for r in routes(app)}
    assert listed == {
        ("/site/cities/{name}", ("GET",), "handler", "show"),
        ("/site/{action}", (ANY_METHOD,), "dispatch", "Pages"),
    }


# -- handlers no URL reaches ---------------------------------------------------------------


def test_the_foundations_tree_has_no_unreachable_handler(app: framework.Application) -> None:
    assert unreachable(app) == []


class Items:
    exposed = True

    def GET(self) -> str:
        return "items"

    @framework.expose
    def report(self) -> str:  # a MethodDispatcher section only ever calls the verbs
        return "report"


class Shop:
    items = Items()

    @framework.expose
    def index(self) -> str:
        return "shop"

    @framework.expose
    def page(self) -> str:
        return "page"

    @framework.expose
    @framework.popargs("year")
    def archive(self, year: str) -> str:
        return year


def test_a_method_dispatcher_section_makes_plain_handlers_unreachable() -> None:
    dispatch = {"request.dispatch": framework.dispatch.MethodDispatcher()}
    app = framework.Application(Shop(), "/shop", {"/items": dispatch, "/page": dispatch})
    found = {u.path: u for u in unreachable(app)}
    assert set(found) == {"/shop/items/report", "/shop/page"}
    assert found["/shop/page"].identity == handler_identity(Shop.page)
    assert found["/shop/page"].reason == "GET /shop/page answers 405"
    # What the listing and a request say agree with it.
    assert "/shop/page" not in {route.path for route in routes(app)}
    assert Client(app).get("/shop/page").status_code == 405


def test_every_listed_handler_is_reachable(app: framework.Application) -> None:
    reachable = {route.identity for route in routes(app) if route.handler is not None}
    assert not reachable & {u.identity for u in unreachable(app)}
