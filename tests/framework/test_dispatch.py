"""Specification tests for publishing and dispatch (framework.dispatch, plan, request).

Each test drives a small object tree in process through ``framework.testing.Client``,
which validates the WSGI exchange, and checks one CherryPy-compatible behaviour: how a
URL finds its handler, how the handler's arguments are filled, and which status a
mismatch produces.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import framework
from framework.dispatch import Dispatcher, check_call
from framework.testing import Client


class Blog:
    @framework.expose
    def index(self) -> str:
        return "blog index"

    @framework.expose
    def post(self, slug: str) -> str:
        return f"post {slug}"

    @framework.expose
    def default(self, *args: str) -> str:
        return "blog default " + "/".join(args)


class Person:
    def __init__(self, name: str) -> None:
        self.name = name

    @framework.expose
    def index(self) -> str:
        return f"person {self.name}"

    @framework.expose
    def age(self) -> str:
        return f"age of {self.name}"


class People:
    calls = 0

    def _cp_dispatch(self, vpath: list[str]) -> Any:
        People.calls += 1
        if len(vpath) > 1 and vpath[0] == "named":
            vpath.pop(0)
            return Person(vpath.pop(0))
        return None

    @framework.expose
    def index(self) -> str:
        return "people"


class Widget:
    exposed = True

    def __call__(self, *args: str) -> str:
        return "widget " + ",".join(args)


class Leaf:
    @framework.expose
    def index(self) -> str:
        return "leaf"


class Root:
    blog = Blog()
    leaf = Leaf()
    people = People()
    widget = Widget()

    @framework.expose
    def index(self) -> str:
        return "root index"

    @framework.expose
    def echo(self, x: Any) -> str:
        return json.dumps(x)

    @framework.expose
    def pos(self, a: str, b: str = "dflt") -> str:
        return f"{a}|{b}"

    @framework.expose
    def star(self, *args: str, **kwargs: Any) -> str:
        return json.dumps({"args": list(args), "kwargs": kwargs})

    @framework.expose
    def foo_bar(self) -> str:
        return "foo_bar"

    @framework.expose
    def kwonly(self, *, token: str) -> str:
        return token

    @framework.expose
    def broken(self) -> str:
        raise TypeError("raised inside the handler")

    def manual(self) -> str:
        return "manual"

    manual.exposed = True  # type: ignore[attr-defined]

    def plain(self) -> str:
        return "plain"

    @framework.expose
    def unpublished(self) -> str:
        return "unpublished"

    unpublished.exposed = False  # type: ignore[attr-defined]

    @framework.expose
    def method(self) -> str:
        return str(framework.request.method)


@pytest.fixture
def client() -> Client:
    return Client(Root())


# -- finding the handler ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", "root index"),
        ("/blog/", "blog index"),
        ("/blog/post/hello", "post hello"),
        ("/blog/some/where", "blog default some/where"),
        ("/foo.bar", "foo_bar"),
        ("/manual", "manual"),
        ("/widget", "widget "),
        ("/widget/a/b", "widget a,b"),
        ("/people/named/ann/", "person ann"),
        ("/people/named/ann/age", "age of ann"),
        ("/people/", "people"),
    ],
)
def test_path_reaches_handler(client: Client, path: str, body: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.text) == (200, body)


@pytest.mark.parametrize(
    "path",
    [
        "/plain",
        "/unpublished",
        "/nothing",
        "/blog_",
        "/__class__",
        "/__init__",
        "/leaf/__dict__",
        "/leaf/__class__/__name__",
        "/index/__globals__",
        "/_cp_dispatch",
        "/people/__class__/x",
    ],
)
def test_unpublished_paths_are_404(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_dunder_segment_reaches_default_as_plain_argument(client: Client) -> None:
    assert client.get("/blog/__dict__").text == "blog default __dict__"


def test_default_receives_trailing_slash_as_index_flag(client: Client) -> None:
    # /blog/x/ is answered by default; the trailing slash is not an extra argument.
    assert client.get("/blog/x/").text == "blog default x"


def test_custom_dispatch_runs_on_every_request() -> None:
    client = Client(Root())
    People.calls = 0
    client.get("/people/named/bob/")
    client.get("/people/named/bob/")
    assert People.calls == 2


def test_static_paths_are_dispatched_once_per_config() -> None:
    calls: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            raise AttributeError(name)

        @framework.expose
        def index(self) -> str:
            return "ok"

    client = Client(Counting())
    client.get("/")
    client.get("/")
    seen = len(calls)
    assert client.get("/").text == "ok"
    assert len(calls) == seen


def test_config_change_invalidates_cached_dispatch(client: Client) -> None:
    assert client.get("/blog").status_code == 301
    framework.config.update({"tools.trailing_slash.on": False})
    assert client.get("/blog").status_code == 200


@pytest.mark.parametrize("path", ["/foo_bar", "/foo-bar", "/foo.bar", "/foo:bar", "/foo~bar"])
def test_punctuation_in_a_segment_stands_for_an_underscore(path: str) -> None:
    # COMPAT: CherryPy's default translate table maps all punctuation to "_".
    assert Client(Root()).get(path).text == "foo_bar"


def test_a_quoted_slash_is_one_positional_argument_holding_a_slash() -> None:
    # cheroot leaves %2F quoted in PATH_INFO so that it does not split segments.
    client = Client(Root(), environ_overrides={"PATH_INFO": "/blog/a%2Fb/c"})
    assert client.get("/ignored").text == "blog default a/b/c"


def test_custom_translate_table() -> None:
    table: dict[int, int | str | None] = {ord("-"): "_"}
    client = Client(Root(), config={"/": {"request.dispatch": Dispatcher(translate=table)}})
    assert client.get("/foo-bar").text == "foo_bar"


def test_custom_dispatch_method_name() -> None:
    class Node:
        def route(self, vpath: list[str]) -> Any:
            vpath.pop(0)
            return Person("via route")

    class Top:
        node = Node()

    dispatcher = Dispatcher(dispatch_method_name="route")
    client = Client(framework.Application(Top(), "", {"/": {"request.dispatch": dispatcher}}))
    assert client.get("/node/anything/").text == "person via route"


def test_cp_dispatch_adding_segments_is_an_error() -> None:
    class Greedy:
        def _cp_dispatch(self, vpath: list[str]) -> Any:
            vpath.extend(["more", "segments"])
            return None

    class Top:
        greedy = Greedy()

    assert Client(framework.Application(Top())).get("/greedy/x").status_code == 500


def test_cp_dispatch_that_keeps_the_segment_still_advances() -> None:
    class Lazy:
        def _cp_dispatch(self, vpath: list[str]) -> Any:
            return Person(vpath[0])

    class Top:
        lazy = Lazy()

    assert Client(framework.Application(Top())).get("/lazy/zed/").text == "person zed"


def test_cherrypy_style_dispatcher_callable() -> None:
    def dispatch(path_info: str) -> None:
        framework.request.handler = lambda: f"custom {path_info}"

    client = Client(Root(), config={"/": {"request.dispatch": dispatch}})
    assert client.get("/any/where").text == "custom /any/where"


def test_dispatcher_called_cherrypy_style_finds_handler() -> None:
    inner = Dispatcher()

    def wrapping(path_info: str) -> None:
        inner(path_info.replace("/alias", "/blog", 1))

    client = Client(Root(), config={"/": {"request.dispatch": wrapping}})
    assert client.get("/alias/post/x?").text == "post x"


def test_dispatcher_called_cherrypy_style_passes_query_params() -> None:
    client = Client(Root(), config={"/": {"request.dispatch": Dispatcher().__call__}})
    assert client.get("/echo?x=7").text == '"7"'


def test_dispatcher_called_cherrypy_style_404() -> None:
    client = Client(Root(), config={"/": {"request.dispatch": Dispatcher().__call__}})
    assert client.get("/missing").status_code == 404


def test_dispatcher_called_cherrypy_style_checks_arguments() -> None:
    client = Client(Root(), config={"/": {"request.dispatch": Dispatcher().__call__}})
    assert client.get("/echo?x=1&y=2").status_code == 404


# -- arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/pos/1", "1|dflt"),
        ("/pos/1/2", "1|2"),
        ("/pos?a=1&b=2", "1|2"),
        ("/pos/1?b=2", "1|2"),
        ("/echo?x=1", '"1"'),
        ("/echo?x=1&x=2", '["1", "2"]'),
        ("/echo?x=", '""'),
        ("/echo?x=a+b%21", '"a b!"'),
        ("/kwonly?token=t", "t"),
    ],
)
def test_path_and_query_fill_arguments(client: Client, path: str, body: str) -> None:
    assert client.get(path).text == body


def test_star_args_and_kwargs(client: Client) -> None:
    result = client.get("/star/a/b?c=1&d=2&d=3").json()
    assert result == {"args": ["a", "b"], "kwargs": {"c": "1", "d": ["2", "3"]}}


def test_form_params_become_keyword_arguments(client: Client) -> None:
    assert client.post("/pos", data={"a": "x", "b": "y"}).text == "x|y"


def test_repeated_form_param_becomes_list(client: Client) -> None:
    assert client.post("/echo", data={"x": ["1", "2"]}).text == '["1", "2"]'


def test_query_and_form_params_merge(client: Client) -> None:
    assert client.post("/pos?a=q", data={"b": "f"}).text == "q|f"


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    [
        ("GET", "/echo", None, 404),  # missing parameter
        ("GET", "/kwonly", None, 404),  # missing keyword-only parameter
        ("GET", "/echo?x=1&y=2", None, 404),  # unexpected query-string parameter
        ("GET", "/echo/1/2", None, 404),  # too many path segments
        ("GET", "/pos/1?a=2", None, 404),  # path and query both give 'a'
        ("POST", "/echo", {"x": "1", "y": "2"}, 400),  # unexpected body parameter
        ("POST", "/pos/1", {"a": "2"}, 400),  # path and body both give 'a'
    ],
)
def test_argument_mismatch_status(
    client: Client, method: str, path: str, data: dict[str, str] | None, status: int
) -> None:
    assert client.request(method, path, data=data).status_code == status


def test_mismatch_message_names_the_parameter(client: Client) -> None:
    assert "Unexpected query string parameters: y" in client.get("/echo?x=1&y=2").text


def test_mismatch_message_hidden_when_configured() -> None:
    client = Client(Root(), config={"/": {"request.show_mismatched_params": False}})
    assert "y" not in client.get("/echo?x=1&zzy=2").text.split("<p>")[1].split("</p>")[0]


def test_type_error_inside_handler_is_500(client: Client) -> None:
    assert client.get("/broken").status_code == 500


# -- trailing slash ---------------------------------------------------------------------


def test_missing_slash_on_index_redirects(client: Client) -> None:
    response = client.get("/blog?page=2")
    assert (response.status_code, response.headers["Location"]) == (
        301,
        "http://127.0.0.1/blog/?page=2",
    )


def test_missing_slash_option_off() -> None:
    client = Client(Root(), config={"/": {"tools.trailing_slash.missing": False}})
    assert client.get("/blog").text == "blog index"


def test_extra_slash_redirects_when_enabled() -> None:
    client = Client(Root(), config={"/": {"tools.trailing_slash.extra": True}})
    response = client.get("/echo/?x=1")
    assert (response.status_code, response.headers["Location"]) == (
        301,
        "http://127.0.0.1/echo?x=1",
    )


def test_extra_slash_is_served_by_default(client: Client) -> None:
    assert client.get("/echo/?x=1").status_code == 200


def test_trailing_slash_status_option() -> None:
    client = Client(Root(), config={"/": {"tools.trailing_slash.status": 307}})
    assert client.get("/blog").status_code == 307


def test_trailing_slash_tool_can_be_switched_off() -> None:
    client = Client(Root(), config={"/blog": {"tools.trailing_slash.on": False}})
    assert client.get("/blog").status_code == 200


# -- HTTP details ------------------------------------------------------------------------


def test_head_returns_no_body(client: Client) -> None:
    response = client.head("/")
    assert (response.status_code, response.body) == (200, b"")


def test_head_keeps_get_content_length(client: Client) -> None:
    assert client.head("/").headers["Content-Length"] == str(len(b"root index"))


def test_http11_without_host_is_400(wsgi_call: Any) -> None:
    status, _, body = wsgi_call(framework.Application(Root()), drop=("HTTP_HOST",))
    assert (status[:3], b"Host" in body) == ("400", True)


def test_http10_without_host_is_served(wsgi_call: Any) -> None:
    status, _, _ = wsgi_call(
        framework.Application(Root()), drop=("HTTP_HOST",), SERVER_PROTOCOL="HTTP/1.0"
    )
    assert status == "200 OK"


def test_default_content_type(client: Client) -> None:
    assert client.get("/").headers["Content-Type"] == "text/html;charset=utf-8"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS", "PATCH"])
def test_default_dispatcher_ignores_method(client: Client, method: str) -> None:
    assert client.request(method, "/method").text == method


# -- check_call, used directly -------------------------------------------------------------


def sample(a: str, b: str = "", *, c: str = "") -> None:
    return None


@pytest.mark.parametrize(
    ("args", "kwargs", "status"),
    [
        ((), {}, 404),
        (("1", "2", "3"), {}, 404),
        (("1",), {"a": "2"}, 404),
        (("1",), {"zz": "2"}, 404),
    ],
)
def test_check_call_outside_request(
    args: tuple[str, ...], kwargs: dict[str, str], status: int
) -> None:
    with pytest.raises(framework.HTTPError) as info:
        check_call(sample, args, kwargs)
    assert info.value.code == status


def test_check_call_accepts_matching_call() -> None:
    check_call(sample, ("1",), {"c": "x"})


def test_check_call_accepts_anything_for_varkw() -> None:
    def loose(**kwargs: str) -> None:
        return None

    check_call(loose, (), {"any": "x"})


def test_check_call_ignores_callables_without_signature() -> None:
    check_call(type, ("a", "b"), {"z": "1"})


def test_cherrypy_style_dispatcher_without_handler_is_404() -> None:
    def dispatch(path_info: str) -> None:
        return None

    client = Client(Root(), config={"/": {"request.dispatch": dispatch}})
    assert client.get("/").status_code == 404


def test_cherrypy_style_page_handler_with_bound_arguments() -> None:
    from framework.dispatch import PageHandler

    def dispatch(path_info: str) -> None:
        framework.request.handler = PageHandler(Root().pos, "bound", b="kw")

    client = Client(Root(), config={"/": {"request.dispatch": dispatch}})
    assert client.get("/anything").text == "bound|kw"


def test_cherrypys_translate_helpers() -> None:
    from framework.dispatch import punctuation_to_underscores, test_callable_spec

    assert "feed-v2.xml".translate(punctuation_to_underscores) == "feed_v2_xml"
    assert test_callable_spec is check_call
    with pytest.raises(ValueError, match="must be a dict"):
        Dispatcher(translate="not a table")  # type: ignore[arg-type]


def test_a_dispatcher_translating_punctuation() -> None:
    from framework.dispatch import punctuation_to_underscores

    class Root:
        @framework.expose
        def feed_v2(self) -> str:
            return "feed"

    config = {"/": {"request.dispatch": Dispatcher(translate=punctuation_to_underscores)}}
    assert Client(Root(), config=config).get("/feed-v2").body == b"feed"


def test_sections_below_a_default_handler_still_apply() -> None:
    class Root:
        @framework.expose
        def default(self, *args: str) -> str:
            return framework.request.config.get("x.section", "none")

    config = {"/": {"x.section": "root"}, "/deep": {"x.section": "deep"}}
    framework.config.namespaces["x"] = lambda key, value: None
    try:
        client = Client(Root(), config=config)
        assert client.get("/deep/page").text == "deep"
        assert client.get("/other").text == "root"
    finally:
        del framework.config.namespaces["x"]
