"""TARGET resolution: the accepted forms, the defaults and each distinct error."""

from __future__ import annotations

import os
import re
import sys
import textwrap
import types
from pathlib import Path

import pytest

from cherrycli.errors import CliError
from cherrycli.importer import load_target, parse_target, require_app, resolve_target
from cherrycli.settings import load_settings
from cli_support import ASSETS


@pytest.fixture(autouse=True)
def no_cherry_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The importer reads CHERRY_APP: a developer's own setting must not leak in.

    (``sys.path`` and the imported sample modules are restored by conftest.py.)
    """
    for name in list(os.environ):
        if name.startswith("CHERRY_"):
            monkeypatch.delenv(name)


# A root class publishing "/" (an index method, marked without importing framework).
ROOT = "class Root:\n    def index(self):\n        return 'x'\n    index.exposed = True\n"


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def test_module_and_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ASSETS)
    loaded = load_target("importer_pkg.app:Root")
    assert loaded.obj.__name__ == "Root"
    assert loaded.kind == "class"
    assert loaded.spec == "importer_pkg.app:Root"
    assert loaded.source == "argument"


def test_dotted_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ASSETS)
    loaded = load_target("importer_pkg.app:nested.site")
    assert loaded.kind == "root"


def test_module_without_attribute_uses_a_default_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ASSETS)
    assert load_target("importer_pkg.app").spec == "importer_pkg.app:Root"


def test_file_path_inside_a_package_imports_the_package(tmp_path: Path) -> None:
    loaded = load_target(str(ASSETS / "importer_pkg" / "app.py") + ":root")
    assert loaded.module.__name__ == "importer_pkg.app"
    assert loaded.kind == "root"


def test_file_path_alone_finds_the_only_published_class(tmp_path: Path) -> None:
    write(
        tmp_path / "site_only.py",
        """
        import framework

        class Site:
            @framework.expose
            def index(self):
                return "hi"
        """,
    )
    assert load_target(str(tmp_path / "site_only.py")).spec == "site_only:Site"


def test_file_with_two_apps_asks_to_choose(tmp_path: Path) -> None:
    write(
        tmp_path / "two_sites.py",
        """
        class One:
            def index(self):
                return "one"
            index.exposed = True

        class Two:
            def index(self):
                return "two"
            index.exposed = True
        """,
    )
    with pytest.raises(CliError, match="several apps: One, Two") as info:
        load_target(str(tmp_path / "two_sites.py"))
    assert info.value.exit_code == 2


def test_file_without_app_says_so(tmp_path: Path) -> None:
    write(tmp_path / "empty_mod.py", "VALUE = 1\n")
    with pytest.raises(CliError, match="no app found in module 'empty_mod'"):
        load_target(str(tmp_path / "empty_mod.py"))


def test_missing_module_is_a_usage_error() -> None:
    with pytest.raises(CliError, match=re.escape("module 'no_such_pkg_xyz.app' not found")) as info:
        load_target("no_such_pkg_xyz.app:Root")
    assert info.value.exit_code == 2


_GENERAL_HINT = "a TARGET is pkg.module:attr or app.py; URL paths start with /"
_PROJECT_HINT = "run cherry from your project directory or check the name"


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        ("health", _GENERAL_HINT),
        ("no_such_pkg_xyz.app", _GENERAL_HINT),
        ("notes.txt", _GENERAL_HINT),
        ("no_such_pkg_xyz.app:Root", _PROJECT_HINT),
        (
            "README.md",
            "README.md is not a Python file: TARGET is pkg.module:attr, app.py or app.py:Root",
        ),
    ],
)
def test_missing_module_hint_says_what_a_target_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, hint: str
) -> None:
    (tmp_path / "README.md").write_text("# a project\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CliError, match="not found") as info:
        load_target(target)
    assert info.value.hint == hint
    assert info.value.exit_code == 2


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="not found") as info:
        load_target(str(tmp_path / "nope.py"))
    assert info.value.exit_code == 2


def test_missing_attribute_is_a_failure_not_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ASSETS)
    with pytest.raises(CliError) as info:
        load_target("importer_pkg.app:Nope")
    assert info.value.exit_code == 1


def test_missing_attribute_lists_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ASSETS)
    with pytest.raises(
        CliError, match=re.escape("'importer_pkg.app' has no attribute 'Nope'")
    ) as info:
        load_target("importer_pkg.app:Nope")
    assert info.value.hint is not None
    assert "Root" in info.value.hint


def test_missing_nested_attribute_names_the_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ASSETS)
    with pytest.raises(
        CliError, match=re.escape("'importer_pkg.app:nested' has no attribute 'nope'")
    ):
        load_target("importer_pkg.app:nested.nope")


def test_exception_inside_the_module_quotes_it(tmp_path: Path) -> None:
    path = write(tmp_path / "boom_mod.py", "X = 1\nY = 1 / 0\n")
    with pytest.raises(CliError) as info:
        load_target(str(path))
    message = info.value.message
    assert "error while importing 'boom_mod'" in message
    assert "ZeroDivisionError: division by zero" in message
    assert f"{path}:2" in message


def test_missing_dependency_is_an_import_error_not_a_missing_module(tmp_path: Path) -> None:
    path = write(tmp_path / "needs_dep.py", "import not_installed_dep_xyz\n")
    with pytest.raises(CliError, match="error while importing 'needs_dep': ModuleNotFoundError"):
        load_target(str(path))


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad_syntax.py", "x = 1\ndef broken(:\n")
    with pytest.raises(CliError, match=r"SyntaxError: .*bad_syntax\.py:2"):
        load_target(str(path))


@pytest.mark.parametrize("target", ["not a target", "pkg.mod:1bad", "app.py:bad-attr"])
def test_malformed_target_is_a_usage_error(target: str) -> None:
    with pytest.raises(CliError) as info:
        parse_target(target)
    assert info.value.exit_code == 2


def test_default_comes_from_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pyproject.toml", '[tool.cherry]\napp = "proj_app:Root"\n')
    write(tmp_path / "proj_app.py", ROOT)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # the project root is found upwards
    loaded = load_target(None)
    assert loaded.spec == "proj_app:Root"
    assert loaded.source == str(tmp_path / "pyproject.toml")


def test_cherry_app_overrides_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pyproject.toml", '[tool.cherry]\napp = "proj_app:Root"\n')
    write(tmp_path / "proj_app.py", ROOT + "\nother = Root()\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHERRY_APP", "proj_app:other")
    loaded = load_target(None)
    assert loaded.spec == "proj_app:other"
    assert loaded.source == "CHERRY_APP"


def test_no_target_and_no_setting_is_a_usage_error(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    with pytest.raises(CliError, match="no TARGET given") as info:
        load_target(None, settings)
    assert info.value.exit_code == 2


def test_resolve_target_returns_the_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ASSETS)
    assert resolve_target("importer_pkg.app:wsgi_app").__name__ == "wsgi_app"


def test_same_file_name_in_two_directories_loads_each(tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "twin_app.py", ROOT + "    NAME = 'a'\n")
    second = write(tmp_path / "b" / "twin_app.py", ROOT + "    NAME = 'b'\n")
    assert load_target(str(first)).obj.NAME == "a"
    assert load_target(str(second)).obj.NAME == "b"


@pytest.mark.parametrize(
    ("attr", "kind"),
    [("Root", "class"), ("root", "root"), ("nested", "root"), ("wsgi_app", "wsgi")],
)
def test_loaded_targets_say_what_they_are(
    monkeypatch: pytest.MonkeyPatch, attr: str, kind: str
) -> None:
    monkeypatch.chdir(ASSETS)
    assert load_target(f"importer_pkg.app:{attr}").kind == kind


def test_applications_and_trees_are_accepted() -> None:
    import framework

    class Root:
        @framework.expose
        def index(self) -> str:
            return "x"

    assert require_app(framework.Application(Root()), "app:application") == "application"
    assert require_app(framework.Tree(), "app:tree") == "tree"


# -- settings: [tool.cherry] and CHERRY_* (what TARGET defaults are read from) ---------


def test_settings_env_overrides_pyproject_and_keys_are_normalised(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.cherry]\nreload-include = ["*.html"]\nport = 8000\n')
    settings = load_settings(tmp_path, environ={"CHERRY_PORT": "9000", "OTHER": "x"})
    assert settings.get_int("port") == 9000
    assert settings.get_list("RELOAD_INCLUDE") == ["*.html"]
    assert settings.sources["port"] == "CHERRY_PORT"
    assert settings.root == tmp_path.resolve()


def test_settings_paths_resolve_against_their_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "pyproject.toml", '[tool.cherry]\nconfig = "config/dev.conf"\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert load_settings(environ={}).path("config") == tmp_path.resolve() / "config" / "dev.conf"
    from_env = load_settings(environ={"CHERRY_CONFIG": "x.conf"})
    assert from_env.path("config") == tmp_path.resolve() / "sub" / "x.conf"


@pytest.mark.parametrize(("raw", "value"), [("yes", True), ("0", False), ("On", True)])
def test_settings_booleans_from_the_environment(tmp_path: Path, raw: str, value: bool) -> None:
    assert load_settings(tmp_path, environ={"CHERRY_RELOAD": raw}).get_bool("reload") is value


@pytest.mark.parametrize(
    ("toml", "getter"),
    [
        ("port = 'eighty'", "get_int"),
        ("reload = 3", "get_bool"),
        ("app = 1", "get_str"),
        ("x = [1]", "get_list"),
    ],
)
def test_settings_wrong_types_name_the_source(tmp_path: Path, toml: str, getter: str) -> None:
    write(tmp_path / "pyproject.toml", f"[tool.cherry]\n{toml}\n")
    settings = load_settings(tmp_path, environ={})
    key = toml.split(" ", maxsplit=1)[0]
    with pytest.raises(CliError, match=r"pyproject\.toml must be"):
        getattr(settings, getter)(key)


def test_settings_malformed_pyproject_is_a_cli_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.cherry\n")
    with pytest.raises(CliError, match="cannot parse"):
        load_settings(tmp_path, environ={})


def test_settings_without_pyproject_are_empty(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    if settings.pyproject is None:  # tmp_path may sit below a pyproject.toml elsewhere
        assert settings.values == {}
    assert settings.get_str("app") is None


# -- TARGET must name something servable -------------------------------------------------

NOT_APPS = """
import types

notcallable = 42
name = "index"
items = [1, 2]
nothing = None
submodule = types


class Plain:
    colour = "red"


plain = Plain()


class Marked:
    exposed = True  # but nothing callable: every URL would answer 404


marked = Marked()


def helper():
    return 1
"""


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ("notcallable", "not_apps:notcallable is an int, not a root object, class, Application"),
        ("name", "not_apps:name is a str, not a root object"),
        ("items", "not_apps:items is a list, not a root object"),
        ("nothing", "not_apps:nothing is None, not a root object"),
        ("submodule", "not_apps:submodule is a module, not a root object"),
        ("plain", "not_apps:plain publishes nothing: no exposed method"),
        ("Plain", "not_apps:Plain publishes nothing: no exposed method"),
        ("marked", "not_apps:marked publishes nothing: no exposed method"),
        ("Marked", "not_apps:Marked publishes nothing: no exposed method"),
        ("helper", "not_apps:helper cannot be called as a WSGI app (environ, start_response)"),
    ],
)
def test_a_target_that_is_not_an_app_is_refused(tmp_path: Path, attr: str, message: str) -> None:
    path = write(tmp_path / "not_apps.py", NOT_APPS)
    with pytest.raises(CliError) as info:
        load_target(f"{path}:{attr}")
    assert info.value.message.startswith(message)
    assert info.value.exit_code == 1


ROOTS = """
import framework


class Api:
    @framework.expose
    def users(self):
        return "users"


class Site:
    api = Api()


class Built:
    def __init__(self):
        self.api = Api()


class Dispatching:
    def _cp_dispatch(self, vpath):
        return Api()


class Lazy:
    @property
    def api(self):
        return Api()


class Handler:
    exposed = True

    def __call__(self, *parts):
        return "/".join(parts)


site = Site()
built = Built()
dispatching = Dispatching()
lazy = Lazy()
handler = Handler()
"""


@pytest.mark.parametrize(
    ("attr", "kind"),
    [
        ("site", "root"),  # only a child object publishes
        ("built", "root"),  # the child is attached in __init__
        ("Built", "class"),  # may attach children in __init__: checked once instantiated
        ("dispatching", "root"),
        ("lazy", "root"),  # a property leads to the child: the dispatcher runs it
        ("Lazy", "class"),
        ("handler", "root"),  # an exposed callable root answers every path itself
        ("Handler", "class"),
    ],
)
def test_roots_publishing_below_are_accepted(tmp_path: Path, attr: str, kind: str) -> None:
    path = write(tmp_path / "deep_roots.py", ROOTS)
    assert load_target(f"{path}:{attr}").kind == kind


def test_require_app_refuses_an_instance_that_publishes_nothing() -> None:
    class Empty:
        def __init__(self) -> None:
            self.count = 0

    with pytest.raises(CliError, match=re.escape("app:Empty() publishes nothing")):
        require_app(Empty(), "app:Empty()")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (42, "x:v is an int, "),
        ("index", "x:v is a str, "),
        (None, "x:v is None, "),
        (abs, "x:v cannot be called as a WSGI app"),
        (len, "x:v cannot be called as a WSGI app"),
    ],
)
def test_values_and_builtins_are_refused(value: object, message: str) -> None:
    with pytest.raises(CliError) as info:
        require_app(value, "x:v")
    assert info.value.message.startswith(message)


# -- CherryPy apps loaded without --compat ------------------------------------------------

CHERRYPY_APP = """
import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        return "legacy"
"""

COMPAT_HINT = "this app imports cherrypy: add --compat (or compat = true in [tool.cherry])"


def test_cherrypy_app_on_the_real_cherrypy_is_refused_with_the_compat_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in for the installed CherryPy: the app module ends up holding it.
    monkeypatch.setitem(sys.modules, "cherrypy", types.ModuleType("cherrypy"))
    monkeypatch.setattr(sys.modules["cherrypy"], "expose", lambda f: f, raising=False)
    path = write(tmp_path / "legacy_real.py", CHERRYPY_APP)
    with pytest.raises(CliError) as info:
        load_target(str(path))
    assert (
        info.value.message
        == "'legacy_real' runs on the real CherryPy, so Cherry would serve nothing"
    )
    assert info.value.hint == COMPAT_HINT
    assert info.value.exit_code == 1


def test_cherrypy_app_without_cherrypy_installed_gets_the_compat_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cherrypy", None)  # import cherrypy -> ModuleNotFoundError
    path = write(tmp_path / "legacy_missing.py", CHERRYPY_APP)
    with pytest.raises(CliError) as info:
        load_target(str(path))
    assert "ModuleNotFoundError" in info.value.message
    assert info.value.hint == COMPAT_HINT
    assert info.value.__context__ is None  # not the app's own error: no traceback page
    assert info.value.exit_code == 1


def test_cherrypy_app_with_the_compat_aliases_loads(tmp_path: Path) -> None:
    from framework import compat

    path = write(tmp_path / "legacy_compat.py", CHERRYPY_APP)
    compat.install()
    try:
        loaded = load_target(str(path))
    finally:
        compat.uninstall()
    assert loaded.spec == "legacy_compat:Root"
