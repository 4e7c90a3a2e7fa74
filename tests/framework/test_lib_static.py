"""tools.staticdir and tools.staticfile, through the in-process client."""

from __future__ import annotations

from pathlib import Path

import pytest

import framework
from framework.testing import Client


class Root:
    @framework.expose
    def index(self) -> str:
        return "home"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.css").write_text("body { color: red }")
    (tmp_path / "static" / "sub").mkdir()
    (tmp_path / "static" / "sub" / "index.html").write_text("<p>sub</p>")
    (tmp_path / "secret.txt").write_text("no")
    return tmp_path


def client_for(site: Path, **extra: object) -> Client:
    conf = {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.root": str(site),
            "tools.staticdir.dir": "static",
            **extra,
        },
        "/favicon.css": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(site / "static" / "app.css"),
        },
    }
    return Client(framework.Application(Root(), "", conf))


def test_staticdir_serves_a_file_with_type_and_length(site: Path) -> None:
    response = client_for(site).get("/static/app.css")
    assert response.status_code == 200
    assert response.text == "body { color: red }"
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Content-Length"] == "19"


def test_staticdir_missing_file_is_404(site: Path) -> None:
    assert client_for(site).get("/static/nope.css").status_code == 404


def test_staticdir_refuses_to_escape_its_root(site: Path) -> None:
    assert client_for(site).get("/static/%2e%2e/secret.txt").status_code in (403, 404)


def test_staticdir_index_file(site: Path) -> None:
    response = client_for(site, **{"tools.staticdir.index": "index.html"}).get("/static/sub/")
    assert response.text == "<p>sub</p>"


def test_staticdir_answers_304_when_not_modified(site: Path) -> None:
    client = client_for(site)
    first = client.get("/static/app.css")
    again = client.get(
        "/static/app.css", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert again.status_code == 304
    assert again.body == b""


def test_staticdir_ignores_post(site: Path) -> None:
    assert client_for(site).post("/static/app.css", data={"a": "1"}).status_code == 404


def test_staticfile_serves_one_file(site: Path) -> None:
    assert client_for(site).get("/favicon.css").text == "body { color: red }"


def test_other_paths_still_reach_handlers(site: Path) -> None:
    assert client_for(site).get("/").text == "home"
