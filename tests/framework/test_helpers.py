"""Specification tests for framework.helpers: expose (and aliases), popargs and url()."""

from __future__ import annotations

from typing import Any

import pytest

import framework
from framework.dispatch import LateParamPageHandler
from framework.helpers import normalize_path, popargs, url
from framework.testing import Client

# -- expose -------------------------------------------------------------------------------


class Aliased:
    @framework.expose
    def plain(self) -> str:
        return "plain"

    @framework.expose()
    def called(self) -> str:
        return "called"

    @framework.expose("one")
    def single(self) -> str:
        return "single"

    @framework.expose(["two", "three"])
    def several(self) -> str:
        return "several"

    @framework.expose(alias="dotted.name")
    def keyword(self) -> str:
        return "keyword"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/plain", "plain"),
        ("/called", "called"),
        ("/single", "single"),
        ("/one", "single"),
        ("/several", "several"),
        ("/two", "several"),
        ("/three", "several"),
        ("/keyword", "keyword"),
        ("/dotted.name", "keyword"),
    ],
)
def test_expose_publishes_name_and_aliases(path: str, body: str) -> None:
    assert Client(Aliased()).get(path).text == body


def test_expose_returns_the_function_itself() -> None:
    def handler() -> str:
        return "x"

    assert framework.expose(handler) is handler


def test_expose_marks_a_class() -> None:
    @framework.expose
    class Page:
        def __call__(self) -> str:
            return "page"

    assert Page.exposed is True  # type: ignore[attr-defined]


def test_expose_with_alias_keyword_on_function() -> None:
    namespace: dict[str, Any] = {}

    def handler() -> str:
        return "x"

    def define() -> None:
        framework.expose(handler, alias="other")
        namespace.update(locals())

    define()
    assert namespace["other"] is handler


# -- popargs ------------------------------------------------------------------------------


@popargs("year", "month")
class Archive:
    @framework.expose
    def index(self, year: str | None = None, month: str | None = None) -> str:
        return f"index {year}-{month}"

    @framework.expose
    def show(self, year: str, month: str, slug: str = "") -> str:
        return f"show {year}-{month} {slug}"


class Photo:
    @framework.expose
    def index(self, photo_id: str) -> str:
        return f"photo {photo_id}"

    @framework.expose
    def size(self, photo_id: str) -> str:
        return f"size of {photo_id}"


class Album:
    def __init__(self, album: str) -> None:
        self.album = album

    @framework.expose
    def index(self) -> str:
        return f"album {self.album}"


@popargs("photo_id", handler=Photo())
class Photos:
    pass


@popargs("album", handler=Album)
class Albums:
    pass


def make_photo(photo_id: str) -> Any:
    return Album(f"photo-{photo_id}")


@popargs("photo_id", handler=make_photo)
class Pictures:
    pass


class Attached:
    _cp_dispatch = popargs("name")

    @framework.expose
    def index(self, name: str = "nobody") -> str:
        return f"hello {name}"


class PopRoot:
    archive = Archive()
    photos = Photos()
    albums = Albums()
    pictures = Pictures()
    attached = Attached()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/archive/", "index None-None"),
        ("/archive/2024/", "index 2024-None"),
        ("/archive/2024/05/", "index 2024-05"),
        ("/archive/2024/05/show?slug=s", "show 2024-05 s"),
        ("/photos/42/", "photo 42"),
        ("/photos/42/size", "size of 42"),
        ("/albums/summer/", "album summer"),
        ("/pictures/9/", "album photo-9"),
        ("/attached/ann/", "hello ann"),
        ("/attached/", "hello nobody"),
    ],
)
def test_popargs_maps_segments_to_parameters(path: str, body: str) -> None:
    assert Client(framework.Application(PopRoot())).get(path).text == body


def test_popargs_missing_index_slash_redirects() -> None:
    response = Client(framework.Application(PopRoot())).get("/archive/2024/05")
    assert response.headers["Location"] == "http://127.0.0.1/archive/2024/05/"


def test_popargs_unknown_segment_after_params_is_404() -> None:
    assert Client(framework.Application(PopRoot())).get("/archive/1/2/nope").status_code == 404


def test_popargs_needs_a_name() -> None:
    with pytest.raises(TypeError, match="at least one"):
        popargs()


def test_popargs_returns_the_decorated_class() -> None:
    class Plain:
        pass

    assert popargs("a")(Plain) is Plain


def test_popargs_dispatch_called_directly_pops_names() -> None:
    vpath = ["2024", "05", "show"]
    node = Archive()._cp_dispatch(vpath)  # type: ignore[attr-defined]
    assert (node.__name__, vpath) == ("show", [])


def test_popargs_dispatch_called_directly_without_rest_returns_self() -> None:
    archive = Archive()
    assert archive._cp_dispatch(["2024"]) is archive  # type: ignore[attr-defined]


def test_popargs_dispatch_called_in_request_sets_params() -> None:
    # A CherryPy-style dispatcher that knows nothing of popargs calls _cp_dispatch.
    def dispatch(path_info: str) -> None:
        vpath = [seg for seg in path_info.split("/") if seg]
        vpath.pop(0)
        node = PopRoot.archive._cp_dispatch(vpath)  # type: ignore[attr-defined]
        framework.request.handler = LateParamPageHandler(node.index)

    client = Client(framework.Application(PopRoot(), "", {"/": {"request.dispatch": dispatch}}))
    assert client.get("/archive/1999/12").text == "index 1999-12"


# -- url() --------------------------------------------------------------------------------


class UrlSub:
    @framework.expose
    def index(self, **kwargs: Any) -> str:
        return url(**kwargs)

    @framework.expose
    def page(self, path: str = "", qs: str = "", relative: str = "") -> str:
        rel: bool | str | None = {"": None, "true": True, "server": "server"}[relative]
        return url(path, qs, relative=rel)


class UrlRoot:
    sub = UrlSub()

    @framework.expose
    def query(self) -> str:
        return url("/x", {"a": "1", "b": ["2", "3"]})

    @framework.expose
    def pairs(self) -> str:
        return url("/x", [("k", "v")])

    @framework.expose
    def elsewhere(self) -> str:
        return url("/x", script_name="/other", base="https://example.org")


@pytest.fixture
def url_client() -> Client:
    framework.tree.mount(UrlRoot(), "/app")
    return Client(framework.tree)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/app/sub/page?path=/abs", "http://127.0.0.1/app/abs"),
        ("/app/sub/page?path=rel", "http://127.0.0.1/app/sub/rel"),
        ("/app/sub/page?path=../up", "http://127.0.0.1/app/up"),
        ("/app/sub/page", "http://127.0.0.1/app/sub/page"),
        ("/app/sub/page?path=x&qs=a=1", "http://127.0.0.1/app/sub/x?a=1"),
        ("/app/sub/", "http://127.0.0.1/app/sub/"),
        ("/app/sub/page?path=/a/./b/../c", "http://127.0.0.1/app/a/c"),
        ("/app/query", "http://127.0.0.1/app/x?a=1&b=2&b=3"),
        ("/app/pairs", "http://127.0.0.1/app/x?k=v"),
        ("/app/elsewhere", "https://example.org/other/x"),
        ("/app/sub/page?path=/abs&relative=server", "/app/abs"),
        ("/app/sub/page?path=/app/z&relative=true", "../app/z"),
        ("/app/sub/page?path=other&relative=true", "other"),
    ],
)
def test_url_in_a_request(url_client: Client, path: str, expected: str) -> None:
    assert url_client.get(path).text == expected


def test_url_relative_for_index_without_slash() -> None:
    framework.tree.mount(UrlRoot(), "/app", {"/": {"tools.trailing_slash.on": False}})
    assert Client(framework.tree).get("/app/sub").text == "http://127.0.0.1/app/sub/"


def test_url_follows_app_relative_urls_setting() -> None:
    app = framework.tree.mount(UrlRoot(), "/app")
    app.relative_urls = "server"
    assert Client(framework.tree).get("/app/sub/page?path=/q").text == "/app/q"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"path": "/x"}, "http://127.0.0.1/x"),
        ({"path": "/x", "qs": "a=1"}, "http://127.0.0.1/x?a=1"),
        ({"path": "/x", "script_name": "/app"}, "http://127.0.0.1/app/x"),
        ({"path": "/x", "base": "http://h:1"}, "http://h:1/x"),
    ],
)
def test_url_outside_a_request(kwargs: dict[str, Any], expected: str) -> None:
    from framework.process.server import server

    saved = server.socket_host, server.socket_port
    try:
        server.socket_host, server.socket_port = "127.0.0.1", 80  # base: the server's
        assert url(**kwargs) == expected
    finally:
        server.socket_host, server.socket_port = saved


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/b", "/a/b"),
        ("/a/./b", "/a/b"),
        ("/a/../b", "/b"),
        ("/../b", "/b"),
        ("/a/b/.", "/a/b/"),
        ("/a/b/..", "/a/"),
    ],
)
def test_normalize_path(path: str, expected: str) -> None:
    assert normalize_path(path) == expected


def test_url_relative_to_non_index_with_trailing_slash(url_client: Client) -> None:
    assert url_client.get("/app/sub/page/?path=x").text == "http://127.0.0.1/app/sub/x"


def test_url_outside_a_request_uses_the_servers_base() -> None:
    from framework.process.server import server

    saved = server.socket_host, server.socket_port
    try:
        server.socket_host, server.socket_port = "127.0.0.1", 8123
        assert framework.url("/page", script_name="/app") == "http://127.0.0.1:8123/app/page"
        server.socket_port = 80
        assert framework.url("/page") == "http://127.0.0.1/page"
    finally:
        server.socket_host, server.socket_port = saved
