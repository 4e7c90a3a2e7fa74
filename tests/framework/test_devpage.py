"""The development error page (:mod:`framework.devpage`) as a developer reads it.

Requests go through the test client with ``request.show_tracebacks`` on (the default);
assertions read the HTML the browser would get.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.devpage import REPR_LIMIT, frames_of
from framework.testing import Client

HERE = Path(__file__).resolve()


def _fail(items: list[int]) -> None:
    note = "<script>alert(1)</script>"
    long_text = "x" * 1000
    raise ValueError(f"failed on {len(items)} items {note}{long_text[:0]}")


class Root:
    @framework.expose
    def index(self) -> str:
        items = [1, 2, 3]
        _fail(items)
        return "unreachable"

    @framework.expose
    def forbidden(self) -> str:
        raise framework.HTTPError(403, "members only")

    @framework.expose
    def chained(self) -> str:
        try:
            {}["missing"]
        except KeyError as exc:
            raise RuntimeError("lookup failed") from exc
        return "unreachable"

    @framework.expose
    def bad_repr(self) -> str:
        class Broken:
            def __repr__(self) -> str:
                raise TypeError("no repr")

        thing = Broken()
        raise ValueError(f"with {type(thing).__name__}")


def page(path: str, **kwargs: Any) -> tuple[int, str]:
    response = Client(Root()).get(path, **kwargs)
    return response.status_code, response.text


def locations(text: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<div class="loc">(.*?)</div>', text)]


def test_the_app_frames_come_first_with_source_and_the_failing_line_marked() -> None:
    status, text = page("/")
    assert status == 500
    where = locations(text)
    assert where[0] == f"{HERE}, line {Root.index.__code__.co_firstlineno + 3}, in <b>index</b>"
    assert where[1].startswith(f"{HERE}, line ") and where[1].endswith("in <b>_fail</b>")
    assert all("framework" in w or "site-packages" in w for w in where[2:])
    hit = re.findall(r'<span class="hit">(.*?)</span>', text)[1]
    assert "raise ValueError(" in html.unescape(hit)
    headline = re.search(r'<p class="headline">(.*?)</p>', text)
    assert headline is not None
    assert "ValueError: failed on 3 items" in html.unescape(headline.group(1))


def test_framework_frames_are_folded_after_the_app_frames() -> None:
    _, text = page("/")
    folded = text.index('<details class="folded">')
    assert text.index("in <b>_fail</b>") < folded
    assert re.search(r'<details class="folded"><summary>\d+ framework or library frames', text)
    assert "framework/core/request.py" in text[folded:]


def test_locals_are_shown_escaped_and_cut() -> None:
    _, text = page("/")
    assert "<script>alert(1)</script>" not in text
    assert "&#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;" in text  # repr of `note`
    long_value = re.search(r"<th>long_text</th><td>(.*?)</td>", text)
    assert long_value is not None
    shown = html.unescape(long_value.group(1))
    assert len(shown) == REPR_LIMIT and shown.endswith("\u2026")
    assert "<th>items</th><td>[1, 2, 3]</td>" in text


def test_a_repr_that_raises_does_not_break_the_page() -> None:
    status, text = page("/bad_repr")
    assert status == 500
    assert "&lt;repr failed: TypeError&gt;" in text


def test_the_request_line_and_headers_are_shown_without_credentials() -> None:
    _, text = page("/", headers={"Authorization": "Basic c2VjcmV0", "X-Trace": "t-1"})
    assert "<summary>GET / HTTP/1.1</summary>" in text
    assert "<tr><th>X-Trace</th><td>t-1</td></tr>" in text
    assert "<tr><th>Authorization</th><td>(hidden)</td></tr>" in text
    assert "c2VjcmV0" not in text


def test_a_chained_exception_shows_both_in_pythons_order() -> None:
    _, text = page("/chained")
    first = text.index("KeyError: &#x27;missing&#x27;")
    link = text.index("The above exception was the direct cause of:")
    second = text.index("RuntimeError: lookup failed")
    assert first < link < second


def test_the_plain_traceback_stays_in_the_traceback_element() -> None:
    _, text = page("/")
    inside = re.search(r'<pre id="traceback">(.*)</pre>', text, re.S)
    assert inside is not None
    assert "Traceback (most recent call last):" in inside.group(1)
    assert 'raise ValueError(f"failed on' in inside.group(1)


@pytest.mark.parametrize("path", ["/no/such/page", "/forbidden"])
def test_a_4xx_page_has_no_traceback_at_all(path: str) -> None:
    status, text = page(path)
    assert status in (403, 404)
    assert '<pre id="traceback"></pre>' in text
    assert "Traceback" not in text


def test_production_shows_no_traceback_and_no_details() -> None:
    client = Client(Root(), config={"/": {"request.show_tracebacks": False}})
    text = client.get("/").text
    assert '<pre id="traceback"></pre>' in text
    assert "_fail" not in text and "items" not in text


def test_a_jinja_template_error_names_the_template_and_line(tmp_path: Path) -> None:
    template = tmp_path / "page.html"
    template.write_text("<h1>{{ title }}</h1>\n<p>{{ user.name.first }}</p>\n")

    class Site:
        @framework.expose
        @framework.tools.jinja(template="page.html", dirs=[str(tmp_path)])
        def index(self) -> dict[str, Any]:
            return {"title": "x", "user": None}

    text = Client(Site()).get("/").text
    assert f"{template}, line 2" in html.unescape(text)
    assert "&lt;p&gt;{{ user.name.first }}&lt;/p&gt;" in text


def test_a_jinja_syntax_error_shows_the_template_spot(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<h1>ok</h1>\n{% if %}\n")

    class Site:
        @framework.expose
        @framework.tools.jinja(template="page.html", dirs=[str(tmp_path)])
        def index(self) -> dict[str, Any]:
            return {}

    text = Client(Site()).get("/").text
    spot = re.search(r'<div class="spot">(.*?)</code>', text, re.S)
    assert spot is not None
    assert f"{tmp_path / 'page.html'}, line 2" in html.unescape(spot.group(1))


def test_a_mako_error_points_at_the_template_file_and_line(tmp_path: Path) -> None:
    template = tmp_path / "index.mako"
    template.write_text("<h1>${title}</h1>\n% for item in items:\n<p>${item.name}</p>\n% endfor\n")

    class Site:
        @framework.expose
        @framework.tools.mako(template="index.mako", directories=[str(tmp_path)])
        def index(self) -> dict[str, Any]:
            return {"title": "x", "items": [1]}

    text = html.unescape(Client(Site()).get("/").text)
    assert f"{template}, line 3" in text
    assert "index_mako" not in "".join(locations(text)[:1])
    assert '<span class="hit">    3 <p>${item.name}</p></span>' in text


def test_frames_of_maps_nothing_for_an_exception_without_traceback() -> None:
    assert frames_of(ValueError("fresh")) == []


# -- a broken custom error page -----------------------------------------------------------


def test_a_broken_custom_page_is_reported_once_and_the_default_page_is_used(
    tmp_path: Path, error_records: list[logging.LogRecord]
) -> None:
    absent = tmp_path / "absent.html"
    client = Client(Root(), config={"/": {"error_page.500": str(absent)}})
    response = client.get("/")
    text = response.text
    assert response.status_code == 500
    assert "In addition, the custom error page failed:\n<br />FileNotFoundError:" in text
    # The original error's page, once: the page's own failure is one line, not a traceback.
    assert text.count("Traceback (most recent call last)") == 1
    assert "ValueError: failed on 3 items" in html.unescape(text)
    failures = [r for r in error_records if "custom error page" in r.getMessage()]
    assert len(failures) == 1
    logged = failures[0].getMessage()
    assert "FileNotFoundError" in logged and "ValueError" not in logged


def test_a_broken_custom_page_in_production_says_so_without_details(tmp_path: Path) -> None:
    config = {
        "/": {"error_page.404": str(tmp_path / "absent.html"), "request.show_tracebacks": False}
    }
    text = Client(Root(), config=config).get("/nowhere").text
    assert "In addition, the custom error page failed." in text
    assert "FileNotFoundError" not in text and str(tmp_path) not in text
