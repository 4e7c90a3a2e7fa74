"""Specification of the template tools (:mod:`framework.lib.templating`).

``tools.jinja`` and ``tools.mako`` render the dict a handler returns with a template.
Most behaviour is the same for both engines, so most tests run once per engine; the
sample site in ``templates/`` is rendered through both.
"""

from __future__ import annotations

import html
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.lib import templating
from framework.lib.templating import TemplateNotFound, render_jinja, render_mako
from framework.testing import Client

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "templates"


@dataclass(frozen=True)
class Engine:
    """How one engine spells the same things."""

    name: str
    ext: str
    dir_option: str
    distribution: str
    render: Callable[..., str]
    helper_dirs: str

    @property
    def samples(self) -> Path:
        return SAMPLES / self.name

    def var(self, name: str) -> str:
        """Template source printing variable ``name``."""
        return f"{{{{ {name} }}}}" if self.name == "jinja" else f"${{{name}}}"

    def dirs(self, *paths: Path | str) -> dict[str, Any]:
        """The tool option naming these template directories."""
        return {self.dir_option: [str(path) for path in paths]}

    def tool(self, **options: Any) -> Callable[[Any], Any]:
        return getattr(framework.tools, self.name)(**options)  # type: ignore[no-any-return]


JINJA = Engine("jinja", ".html", "dirs", "Jinja2", render_jinja, "dirs")
MAKO = Engine("mako", ".mako", "directories", "Mako", render_mako, "directories")
ENGINES = pytest.mark.parametrize("engine", [JINJA, MAKO], ids=["jinja", "mako"])


def site(engine: Engine, handler: Callable[..., Any], **options: Any) -> Client:
    """A client for a root whose index is ``handler`` under the engine's tool."""

    class Root:
        @framework.expose
        @engine.tool(**options)
        def index(self) -> Any:
            return handler()

    return Client(Root())


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def page(engine: Engine, directory: Path, text: str, name: str = "page") -> str:
    """Write a template and return its name."""
    write(directory, name + engine.ext, text)
    return name + engine.ext


# -- the sample site ----------------------------------------------------------------------
@ENGINES
def test_sample_home_page_renders_the_layout_and_the_form(engine: Engine) -> None:
    client = site(
        engine,
        lambda: {"title": "Shop"},
        template="index" + engine.ext,
        **engine.dirs(engine.samples),
    )
    response = client.get("/")
    assert response.status_code == 200
    assert "<title>Shop</title>" in response.text
    assert '<form method="post" action="/greet">' in response.text
    assert f"rendered with {engine.distribution}" in response.text


@ENGINES
def test_sample_home_page_shows_the_greeting(engine: Engine) -> None:
    context = {"title": "Shop", "name": "Ann", "greeting": "Hello, Ann!"}
    client = site(
        engine, lambda: context, template="index" + engine.ext, **engine.dirs(engine.samples)
    )
    text = client.get("/").text
    assert '<p class="greeting">Hello, Ann!</p>' in text
    assert 'value="Ann"' in text


@ENGINES
def test_sample_error_page_shows_status_and_message(engine: Engine) -> None:
    client = site(
        engine,
        lambda: {"status": "404 Not Found", "message": "No such page"},
        template="error" + engine.ext,
        **engine.dirs(engine.samples),
    )
    text = client.get("/").text
    assert "<title>404 Not Found</title>" in text
    assert "<h1>404 Not Found</h1>" in text
    assert '<p class="message">No such page</p>' in text


@ENGINES
def test_rendered_page_is_utf8_html(engine: Engine, tmp_path: Path) -> None:
    name = page(engine, tmp_path, "café " + engine.var("word"))
    response = site(engine, lambda: {"word": "naïve"}, template=name, **engine.dirs(tmp_path)).get(
        "/"
    )
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"
    assert response.body == "café naïve".encode()


# -- escaping -----------------------------------------------------------------------------
@ENGINES
def test_values_are_escaped_by_default(engine: Engine) -> None:
    context = {"title": "<script>alert(1)</script>", "greeting": "<b>hi</b>"}
    client = site(
        engine, lambda: context, template="index" + engine.ext, **engine.dirs(engine.samples)
    )
    text = client.get("/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;hi&lt;/b&gt;" in text
    assert "<script>" not in text


@ENGINES
def test_autoescape_can_be_switched_off(engine: Engine, tmp_path: Path) -> None:
    name = page(engine, tmp_path, engine.var("html"))
    client = site(
        engine,
        lambda: {"html": "<em>x</em>"},
        template=name,
        autoescape=False,
        **engine.dirs(tmp_path),
    )
    assert client.get("/").text == "<em>x</em>"


# -- switching the tool on ----------------------------------------------------------------
@ENGINES
def test_config_switches_the_tool_on(engine: Engine) -> None:
    class Root:
        @framework.expose
        def index(self) -> dict[str, Any]:
            return {"title": "From config"}

    tool = f"tools.{engine.name}."
    conf = {
        "/": {
            tool + "on": True,
            tool + "template": "index" + engine.ext,
            tool + engine.dir_option: [str(engine.samples)],
        }
    }
    response = Client(framework.Application(Root(), "", conf)).get("/")
    assert response.status_code == 200
    assert "<title>From config</title>" in response.text


def test_jinja_dir_option_takes_one_directory_string() -> None:
    client = site(
        JINJA, lambda: {"title": "One dir"}, template="index.html", dir=str(JINJA.samples)
    )
    assert "<title>One dir</title>" in client.get("/").text


@ENGINES
def test_relative_directories_resolve_against_the_working_directory(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tpl").mkdir()
    name = page(engine, tmp_path / "tpl", "relative")
    monkeypatch.chdir(tmp_path)
    assert site(engine, dict, template=name, **engine.dirs("tpl")).get("/").text == "relative"


@ENGINES
def test_directories_are_searched_in_order(engine: Engine, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    page(engine, first, "from first")
    name = page(engine, second, "from second")
    page(engine, second, "only in second", name="other")
    client = site(engine, dict, template=name, **engine.dirs(first, second))
    assert client.get("/").text == "from first"
    other = site(engine, dict, template="other" + engine.ext, **engine.dirs(first, second))
    assert other.get("/").text == "only in second"


# -- what is rendered and what passes through ---------------------------------------------
@ENGINES
@pytest.mark.parametrize(
    ("result", "body"), [("plain text", b"plain text"), (b"raw bytes", b"raw bytes"), (None, b"")]
)
def test_non_dict_results_pass_through(
    engine: Engine, tmp_path: Path, result: Any, body: bytes
) -> None:
    name = page(engine, tmp_path, "TEMPLATE")
    response = site(engine, lambda: result, template=name, **engine.dirs(tmp_path)).get("/")
    assert response.status_code == 200
    assert response.body == body


@ENGINES
def test_content_type_set_by_the_handler_is_kept(engine: Engine, tmp_path: Path) -> None:
    name = page(engine, tmp_path, "<feed/>")

    def handler() -> dict[str, Any]:
        framework.response.headers["Content-Type"] = "application/atom+xml"
        return {}

    response = site(engine, handler, template=name, **engine.dirs(tmp_path)).get("/")
    assert response.headers["Content-Type"] == "application/atom+xml"
    assert response.text == "<feed/>"


@ENGINES
def test_globals_are_available_and_the_handler_wins(engine: Engine, tmp_path: Path) -> None:
    name = page(engine, tmp_path, engine.var("site") + "/" + engine.var("user"))
    client = site(
        engine,
        lambda: {"user": "ann"},
        template=name,
        globals={"site": "Cherry", "user": "nobody"},
        **engine.dirs(tmp_path),
    )
    assert client.get("/").text == "Cherry/ann"


def test_jinja_filters_option_adds_filters(tmp_path: Path) -> None:
    name = page(JINJA, tmp_path, "{{ word | shout }}")
    client = site(
        JINJA,
        lambda: {"word": "hi"},
        template=name,
        filters={"shout": lambda text: text.upper() + "!"},
        **JINJA.dirs(tmp_path),
    )
    assert client.get("/").text == "HI!"


# -- reloading ----------------------------------------------------------------------------
def rewrite(path: Path, text: str) -> None:
    """Replace a template and move its mtime forward, as a save a while later would."""
    before = path.stat().st_mtime
    path.write_text(text, encoding="utf-8")
    os.utime(path, (before + 10, before + 10))


@ENGINES
def test_changed_template_is_reloaded_in_development(engine: Engine, tmp_path: Path) -> None:
    name = page(engine, tmp_path, "version 1")
    client = site(engine, dict, template=name, **engine.dirs(tmp_path))
    assert client.get("/").text == "version 1"
    rewrite(tmp_path / name, "version 2")
    assert client.get("/").text == "version 2"


@ENGINES
@pytest.mark.parametrize("environment", ["production", "staging", "embedded"])
def test_changed_template_is_not_reloaded_in_production(
    engine: Engine, tmp_path: Path, environment: str
) -> None:
    framework.config.update({"environment": environment})
    name = page(engine, tmp_path, "version 1")
    client = site(engine, dict, template=name, **engine.dirs(tmp_path))
    assert client.get("/").text == "version 1"
    rewrite(tmp_path / name, "version 2")
    assert client.get("/").text == "version 1"


@ENGINES
def test_reload_option_overrides_the_environment(engine: Engine, tmp_path: Path) -> None:
    name = page(engine, tmp_path, "version 1")
    client = site(engine, dict, template=name, reload=False, **engine.dirs(tmp_path))
    assert client.get("/").text == "version 1"
    rewrite(tmp_path / name, "version 2")
    assert client.get("/").text == "version 1"


def resave(path: Path, text: str, mtime_ns: int) -> None:
    """Replace a template and give it exactly ``mtime_ns``, as a quick second save would."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def whole_second(path: Path) -> int:
    """``path``'s mtime rounded down to its second, in nanoseconds."""
    return path.stat().st_mtime_ns // 10**9 * 10**9


@ENGINES
def test_edits_within_one_second_are_all_reloaded(engine: Engine, tmp_path: Path) -> None:
    name = page(engine, tmp_path, "version 1")
    path = tmp_path / name
    base = whole_second(path)
    os.utime(path, ns=(base, base))
    client = site(engine, dict, template=name, **engine.dirs(tmp_path))
    assert client.get("/").text == "version 1"
    for version in (2, 3):
        resave(path, f"version {version}", base + version * 1_000)
        assert client.get("/").text == f"version {version}"


@ENGINES
def test_edit_keeping_the_mtime_but_not_the_size_is_reloaded(
    engine: Engine, tmp_path: Path
) -> None:
    name = page(engine, tmp_path, "short")
    path = tmp_path / name
    mtime_ns = path.stat().st_mtime_ns
    client = site(engine, dict, template=name, **engine.dirs(tmp_path))
    assert client.get("/").text == "short"
    resave(path, "much longer", mtime_ns)
    assert client.get("/").text == "much longer"


# Per engine: a page using "part" + ext by inheritance or inclusion, and part templates
# that wrap the page's own text or are included into it.
USES = {
    ("jinja", "inherit"): (
        '{% extends "part.html" %}{% block body %}page{% endblock %}',
        "<{tag}>{{% block body %}}{{% endblock %}}</{tag}>",
    ),
    ("mako", "inherit"): (
        '<%inherit file="part.mako"/>page',
        "<{tag}>${{next.body()}}</{tag}>",
    ),
    ("jinja", "include"): ('{% include "part.html" %}page', "<{tag}/>"),
    ("mako", "include"): ('<%include file="part.mako"/>page', "<{tag}/>"),
}


@ENGINES
@pytest.mark.parametrize("use", ["inherit", "include"])
def test_edit_of_a_used_template_within_one_second_is_reloaded(
    engine: Engine, tmp_path: Path, use: str
) -> None:
    source, part_source = USES[engine.name, use]
    name = page(engine, tmp_path, source)
    part = write(tmp_path, "part" + engine.ext, part_source.format(tag="b"))
    base = whole_second(part)
    os.utime(part, ns=(base, base))
    client = site(engine, dict, template=name, **engine.dirs(tmp_path))
    first = client.get("/").text
    assert "<b" in first and "page" in first
    resave(part, part_source.format(tag="i"), base + 1_000)
    second = client.get("/").text
    assert "<i" in second and "<b" not in second and "page" in second


@ENGINES
def test_deleted_template_is_a_500_in_development(engine: Engine, tmp_path: Path) -> None:
    name = page(engine, tmp_path, "here")
    client = site(engine, dict, template=name, **engine.dirs(tmp_path))
    assert client.get("/").text == "here"
    (tmp_path / name).unlink()
    assert client.get("/").status_code == 500


@ENGINES
def test_production_renders_from_memory_without_reading_the_file(
    engine: Engine, tmp_path: Path
) -> None:
    framework.config.update({"environment": "production"})
    name = page(engine, tmp_path, "cached")
    client = site(engine, dict, template=name, **engine.dirs(tmp_path))
    assert client.get("/").text == "cached"
    (tmp_path / name).unlink()
    assert client.get("/").text == "cached"


# -- errors -------------------------------------------------------------------------------
@ENGINES
def test_missing_template_is_a_500_with_a_short_message(engine: Engine, tmp_path: Path) -> None:
    name = "nope" + engine.ext
    response = site(engine, dict, template=name, **engine.dirs(tmp_path)).get("/")
    assert response.status_code == 500
    assert f"<p>Template {name!r} not found.</p>" in html.unescape(response.text)


@ENGINES
def test_missing_template_is_logged_with_name_and_directories(
    engine: Engine, tmp_path: Path, error_records: list[logging.LogRecord]
) -> None:
    name = "nope" + engine.ext
    site(engine, dict, template=name, **engine.dirs(tmp_path)).get("/")
    messages = [record.getMessage() for record in error_records]
    expected = f"TOOLS.{engine.name.upper()} Template {name!r} not found in {tmp_path}"
    assert any(expected in message for message in messages), messages


@ENGINES
def test_missing_parent_template_is_named_in_the_log(
    engine: Engine, tmp_path: Path, error_records: list[logging.LogRecord]
) -> None:
    source = '{% extends "gone.html" %}' if engine is JINJA else '<%inherit file="gone.mako"/>'
    name = page(engine, tmp_path, source)
    response = site(engine, dict, template=name, **engine.dirs(tmp_path)).get("/")
    assert response.status_code == 500
    messages = " ".join(record.getMessage() for record in error_records)
    assert "gone" + engine.ext in messages


@ENGINES
def test_dict_without_a_template_is_a_500_saying_so(
    engine: Engine, error_records: list[logging.LogRecord]
) -> None:
    response = site(engine, dict).get("/")
    assert response.status_code == 500
    logged = "\n".join(str(record.exc_info[1]) for record in error_records if record.exc_info)
    assert f"set tools.{engine.name}.template" in logged


@ENGINES
def test_unknown_option_is_a_500_naming_it(
    engine: Engine, error_records: list[logging.LogRecord]
) -> None:
    response = site(engine, dict, template="x", templte="index").get("/")
    assert response.status_code == 500
    logged = "\n".join(str(record.exc_info[1]) for record in error_records if record.exc_info)
    assert f"tools.{engine.name} has no option 'templte'" in logged


# -- rendering outside a handler ----------------------------------------------------------
@ENGINES
def test_render_helper_renders_a_sample_outside_a_request(engine: Engine) -> None:
    text = engine.render(
        "error" + engine.ext,
        {"status": "500 Internal Server Error", "message": "<oops>"},
        **{engine.helper_dirs: engine.samples},
    )
    assert "<h1>500 Internal Server Error</h1>" in text
    assert "&lt;oops&gt;" in text


@ENGINES
def test_render_helper_raises_template_not_found(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(TemplateNotFound) as info:
        engine.render("nope" + engine.ext, {}, **{engine.helper_dirs: [tmp_path]})
    assert info.value.name == "nope" + engine.ext
    assert info.value.dirs == (str(tmp_path),)
    assert str(tmp_path) in str(info.value)


@ENGINES
def test_render_helper_without_directories_says_none_are_configured(engine: Engine) -> None:
    with pytest.raises(TemplateNotFound, match="none configured"):
        engine.render("index" + engine.ext)


@ENGINES
def test_equal_options_share_one_environment(engine: Engine, tmp_path: Path) -> None:
    name = page(engine, tmp_path, "shared")
    engine.render(name, **{engine.helper_dirs: [tmp_path]})
    count = len(templating._loaders)
    engine.render(name, **{engine.helper_dirs: [str(tmp_path)]})
    assert len(templating._loaders) == count
    engine.render(name, autoescape=False, **{engine.helper_dirs: [tmp_path]})
    assert len(templating._loaders) == count + 1


# -- the engines stay optional ------------------------------------------------------------
def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_import_framework_loads_no_template_engine() -> None:
    result = run_python(
        "import sys, framework\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'mako')))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


MISSING_ENGINE_APP = """
import logging, sys
sys.modules[{module!r}] = None
import framework
from framework.lib import templating
from framework.testing import Client

logged = []
handler = logging.Handler()
handler.emit = lambda record: logged.append(logging.Formatter().format(record))
framework.log.error_log.addHandler(handler)

class Root:
    @framework.expose
    @framework.tools.{tool}(template="index")
    def index(self):
        return {{}}

response = Client(Root()).get("/")
print(response.status_code)
print("LOGGED", any({message!r} in text for text in logged))
try:
    templating.render_{tool}("index")
except templating.MissingEngineError as exc:
    print("HELPER", exc)
"""


@ENGINES
def test_missing_engine_is_a_500_naming_the_extra(engine: Engine) -> None:
    module = "jinja2" if engine is JINJA else "mako"
    message = (
        f"tools.{engine.name} needs {engine.distribution}: pip install 'cherrycli[{engine.name}]'"
    )
    result = run_python(MISSING_ENGINE_APP.format(module=module, tool=engine.name, message=message))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "500"
    assert lines[1] == "LOGGED True"
    assert lines[2] == f"HELPER {message}"
