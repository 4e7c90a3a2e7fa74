"""tools.referer, tools.accept, tools.autovary and tools.ignore_headers, as CherryPy's.

Each refusal is checked with the status and message CherryPy gives; the same session
is replayed against the real CherryPy 18.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from compat_apps.side_by_side import Req, assert_app_answers_as_cherrypy

import framework
from framework.lib import cptools, headertools
from framework.testing import Client

TOOLS_APP = Path(__file__).parent / "compat_apps" / "tools_app.py"


# -- referer ------------------------------------------------------------------------------


def referer_client(**options: object) -> Client:
    class Root:
        @framework.expose
        @framework.tools.referer(**options)
        def form(self) -> str:
            return "ok"

    return Client(Root())


def test_a_matching_referer_passes_and_others_get_403() -> None:
    client = referer_client(pattern=r"https?://shop\.example/")
    assert client.get("/form", headers={"Referer": "https://shop.example/cart"}).text == "ok"
    refused = client.get("/form", headers={"Referer": "https://evil.example/"})
    assert refused.status_code == 403
    assert "Forbidden Referer header." in refused.text
    assert client.get("/form").status_code == 403  # missing: refused by default


def test_referer_options() -> None:
    deny = referer_client(
        pattern="https://evil",
        accept=False,
        accept_missing=True,
        error=400,
        message="No hotlinking",
    )
    assert deny.get("/form").text == "ok"
    assert deny.get("/form", headers={"Referer": "https://fine.example"}).text == "ok"
    page = deny.get("/form", headers={"Referer": "https://evil.example"})
    assert page.status_code == 400 and "No hotlinking" in page.text


def test_a_bad_referer_pattern_is_a_config_error(error_records: list[object]) -> None:
    assert referer_client(pattern="(unclosed").get("/form").status_code == 500


# -- accept -------------------------------------------------------------------------------


class Negotiating:
    @framework.expose
    @framework.tools.accept(media=["text/html", "application/json"])
    def page(self) -> str:
        return "page"

    @framework.expose
    def which(self) -> str:
        return cptools.accept(["text/html", "application/json", "text/plain"]) or ""


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        (None, "text/html"),
        ("application/json", "application/json"),
        ("text/*", "text/html"),
        ("application/json;q=0.5, text/plain", "text/plain"),
        ("text/plain;q=0, application/*;q=0.2", "application/json"),
        ("*/*", "text/html"),
    ],
)
def test_accept_chooses_the_clients_preference(header: str | None, chosen: str) -> None:
    headers = {"Accept": header} if header is not None else {}
    assert Client(Negotiating()).get("/which", headers=headers).text == chosen


def test_nothing_acceptable_is_406_before_the_handler() -> None:
    page = Client(Negotiating()).get("/page", headers={"Accept": "image/png, text/html;q=0"})
    assert page.status_code == 406
    assert "Your client sent this Accept header: image/png, text/html;q=0." in page.text
    assert "only emits these media types: text/html, application/json." in page.text
    assert Client(Negotiating()).get("/page").text == "page"


def test_accept_without_media_checks_nothing() -> None:
    assert headertools.accept() is None


# -- autovary -----------------------------------------------------------------------------


class Varying:
    _cp_config = {"tools.autovary.on": True}

    @framework.expose
    def index(self) -> str:
        language = framework.request.headers.get("Accept-Language", "en")
        if "X-Beta" in framework.request.headers:
            language += "+beta"
        framework.request.headers.get("Content-Type")  # ignored by default
        return language

    @framework.expose
    def preset(self) -> str:
        framework.response.headers["Vary"] = "Cookie"
        framework.request.headers.get("Dnt")
        return "x"

    @framework.expose
    def nothing(self) -> str:
        return "x"


def test_autovary_lists_the_headers_read() -> None:
    page = Client(Varying()).get("/", headers={"Accept-Language": "fr"})
    assert page.text == "fr"
    # The encode tool (on by default) chooses the charset from Accept-Charset.
    assert page.headers["Vary"] == "Accept-Charset, Accept-Language, X-Beta"


def test_autovary_keeps_an_existing_vary_and_may_be_empty() -> None:
    client = Client(Varying())
    assert client.get("/preset").headers["Vary"] == "Accept-Charset, Cookie, Dnt"
    assert client.get("/nothing").headers["Vary"] == "Accept-Charset"
    forced = Client(Varying(), config={"/": {"tools.encode.encoding": "utf-8"}})
    assert forced.get("/nothing").headers["Vary"] == ""


def test_autovary_ignore_setting_replaces_the_default_list() -> None:
    config = {"/": {"tools.autovary.ignore": ["X-Beta", "Accept-Language"]}}
    assert Client(Varying(), config=config).get("/").headers["Vary"] == (
        "Accept-Charset, Content-Type"
    )


def test_autovary_called_as_a_function_attaches_per_request() -> None:
    class Root:
        @framework.expose
        @framework.config(**{"hooks.on_start_resource": headertools.autovary})
        def index(self) -> str:
            return framework.request.headers.get("X-Test", "")

    assert Client(Root()).get("/").headers["Vary"] == "Accept-Charset, X-Test"


def test_monitored_header_map_records_reads() -> None:
    headers = headertools.MonitoredHeaderMap({"Accept": "x"})
    headers.get("accept")
    assert "x-none" not in headers
    assert headers.accessed_headers == {"Accept", "X-None"}
    assert not isinstance(headers.copy(), headertools.MonitoredHeaderMap)


# -- ignore_headers -----------------------------------------------------------------------


def test_ignore_headers_drops_them_before_the_handler() -> None:
    class Root:
        @framework.expose
        @framework.tools.ignore_headers(headers=["Range", "X-Drop"])
        def index(self) -> str:
            headers = framework.request.headers
            return ",".join(name for name in ("Range", "X-Drop", "X-Keep") if name in headers)

    headers = {"Range": "bytes=0-1", "X-Drop": "1", "X-Keep": "1"}
    assert Client(Root()).get("/", headers=headers).text == "X-Keep"


HEADERS_SESSION = (
    Req("GET", "/referer/", page="default", status=403),
    Req("GET", "/referer/", headers=(("Referer", "http://www.example.test/page"),), status=200),
    Req("GET", "/referer/", headers=(("Referer", "http://evil.test/"),), page="default"),
    Req("GET", "/accept/", status=200),
    Req("GET", "/accept/", headers=(("Accept", "application/json"),), status=200),
    Req("GET", "/accept/", headers=(("Accept", "image/png"),), page="default", status=406),
    Req("GET", "/accept/choose", headers=(("Accept", "text/*;q=0.5, application/json"),)),
    Req("GET", "/autovary/", headers=(("Accept-Language", "fr"),), compare=("vary",)),
)


def test_same_answers_as_cherrypy() -> None:
    assert_app_answers_as_cherrypy(TOOLS_APP, HEADERS_SESSION)
