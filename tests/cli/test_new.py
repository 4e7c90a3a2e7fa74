"""``cherry new`` and the scaffolding library: name checks, rendering, conflicts, git."""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from cherrycli import scaffolding
from cherrycli.errors import CliError
from cherrycli.scaffolding import KINDS, create_project, plan_project, validate_name, write_project

sys.path.insert(0, str(Path(__file__).resolve().parent / "assets"))
from cli_support import REPO, cherry


@pytest.mark.parametrize(
    ("name", "package"), [("blog", "blog"), ("my-blog", "my_blog"), ("Shop2", "Shop2")]
)
def test_valid_names_give_the_package_name(name: str, package: str) -> None:
    assert validate_name(name) == package


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("1blog", "not a Python identifier"),
        ("my blog", "not a Python identifier"),
        ("", "not a Python identifier"),
        ("café", "not a Python identifier"),
        ("class", "keyword"),
        ("json", "standard-library"),
        ("typer", "already importable"),
    ],
)
def test_invalid_names_are_usage_errors_with_a_hint(name: str, reason: str) -> None:
    with pytest.raises(CliError, match=reason) as info:
        validate_name(name)
    assert info.value.exit_code == 2
    assert info.value.hint


def test_a_plain_directory_on_sys_path_does_not_block_a_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nsdir_blog").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert validate_name("nsdir_blog") == "nsdir_blog"


def test_kinds_match_the_scaffold_directories() -> None:
    found = sorted(
        p.name for p in (REPO / "scaffolds").iterdir() if (p / "scaffold.toml").is_file()
    )
    assert found == sorted(KINDS)


def test_command_choices_match_the_kinds() -> None:
    from cherrycli.commands.new import Template

    assert [kind.value for kind in Template] == list(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_the_project_skeleton(kind: str) -> None:
    paths = {f.path.as_posix() for f in plan_project("my-site", kind).files}
    expected = {
        "pyproject.toml",
        "README.md",
        ".gitignore",
        "config/dev.conf",
        "config/prod.conf",
        "static/style.css",
        "my_site/__init__.py",
        "my_site/app.py",
        "tests/conftest.py",
        "tests/test_app.py",
    }
    assert expected <= paths
    assert not any(path.endswith(".tmpl") or "{{" in path for path in paths)


@pytest.mark.parametrize(
    ("kind", "app", "dependency"),
    [
        ("basic", "my_site.app:Root", "cherrycli"),
        ("jinja", "my_site.app:Root", "cherrycli[jinja]"),
        ("mako", "my_site.app:Root", "cherrycli[mako]"),
        ("rest", "my_site.app:application", "cherrycli"),
    ],
)
def test_pyproject_names_the_app_and_the_dependency(kind: str, app: str, dependency: str) -> None:
    files = {f.path.as_posix(): f.content for f in plan_project("my-site", kind).files}
    data = tomllib.loads(files["pyproject.toml"].decode())
    assert data["project"]["name"] == "my-site"
    assert data["tool"]["cherry"] == {"app": app, "config": "config/dev.conf"}
    assert data["project"]["dependencies"][0].startswith(dependency + ">=")


@pytest.mark.parametrize("kind", KINDS)
def test_rendered_python_has_no_placeholders_left(kind: str) -> None:
    for planned in plan_project("my-site", kind).files:
        if planned.path.suffix in (".py", ".toml", ".md", ".conf"):
            assert b"{{" not in planned.content, planned.path


@pytest.mark.parametrize(("kind", "suffix"), [("jinja", ".html"), ("mako", ".mako")])
def test_template_kinds_copy_the_sample_site(kind: str, suffix: str) -> None:
    files = {f.path.as_posix(): f.content for f in plan_project("my-site", kind).files}
    for name in ("layout", "index", "error"):
        source = REPO / "templates" / kind / f"{name}{suffix}"
        assert files[f"templates/{name}{suffix}"] == source.read_bytes()


def test_unknown_kind_is_a_usage_error() -> None:
    with pytest.raises(CliError, match="unknown template 'nope'") as info:
        plan_project("webshop", "nope")
    assert info.value.exit_code == 2


def test_unknown_placeholder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kind = tmp_path / "scaffolds" / "odd"
    kind.mkdir(parents=True)
    (tmp_path / "scaffolds" / "_common").mkdir()
    (kind / "scaffold.toml").write_text('description = "x"\napp = "app:Root"\n')
    (kind / "README.md.tmpl").write_text("{{nonsense}}\n")
    monkeypatch.setattr(
        scaffolding, "content_root", lambda kind_dir="scaffolds": tmp_path / kind_dir
    )
    with pytest.raises(CliError, match=r"unknown placeholder \{\{nonsense\}\}"):
        plan_project("webshop", "odd")


def test_writes_into_a_new_directory(tmp_path: Path) -> None:
    plan, target, git = create_project("webshop", "basic", tmp_path / "out")
    assert target == (tmp_path / "out").resolve()
    assert git is None
    for planned in plan.files:
        assert (target / planned.path).read_bytes() == planned.content


def test_refuses_a_non_empty_directory_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(CliError, match="is not empty") as info:
        write_project(plan_project("webshop"), tmp_path)
    assert info.value.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_force_overwrites_scaffold_files_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    (tmp_path / "README.md").write_text("old readme")
    plan = plan_project("webshop")
    write_project(plan, tmp_path, force=True)
    assert (tmp_path / "mine.txt").read_text() == "keep"
    assert (tmp_path / "README.md").read_text() != "old readme"
    assert (tmp_path / "webshop" / "app.py").is_file()


def test_force_stops_before_writing_when_a_directory_is_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "README.md").mkdir()
    with pytest.raises(CliError, match="is a directory"):
        write_project(plan_project("webshop"), tmp_path, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_force_stops_when_a_file_is_where_a_directory_goes(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("not a dir")
    with pytest.raises(CliError, match="is a file"):
        write_project(plan_project("webshop"), tmp_path, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]


def test_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(CliError, match="not a directory"):
        write_project(plan_project("webshop"), tmp_path / "taken", force=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_initialises_a_repository(tmp_path: Path) -> None:
    _, target, outcome = create_project("webshop", "basic", tmp_path / "webshop", git=True)
    assert outcome == "initialised"
    assert (target / ".git").is_dir()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_is_skipped_inside_an_existing_work_tree(tmp_path: Path) -> None:
    create_project("outer", "basic", tmp_path / "outer", git=True)
    _, target, outcome = create_project("inner", "basic", tmp_path / "outer" / "inner", git=True)
    assert outcome == "skipped: already inside a git work tree"
    assert not (target / ".git").exists()


def test_git_missing_is_reported_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scaffolding.shutil, "which", lambda name: None)
    _, _, outcome = create_project("webshop", "basic", tmp_path / "webshop", git=True)
    assert outcome == "skipped: git is not installed"


# -- the command, through the real entry point -------------------------------------------


def test_command_creates_the_project_and_says_what_next(tmp_path: Path) -> None:
    result = cherry("new", "my-blog", "--template", "jinja", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "my-blog" / "my_blog" / "app.py").is_file()
    assert (tmp_path / "my-blog" / "templates" / "index.html").is_file()
    assert "Next steps" in result.stdout
    assert "cd my-blog" in result.stdout


def test_command_dir_option(tmp_path: Path) -> None:
    result = cherry("new", "api", "-t", "rest", "--dir", "services/api", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "services" / "api" / "api" / "app.py").is_file()


@pytest.mark.parametrize("name", ["json", "1abc"])
def test_command_bad_name_exits_2_and_writes_nothing(tmp_path: Path, name: str) -> None:
    result = cherry("new", name, "--no-git", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_command_non_empty_directory_exits_1(tmp_path: Path) -> None:
    (tmp_path / "webshop").mkdir()
    (tmp_path / "webshop" / "notes.txt").write_text("mine")
    result = cherry("new", "webshop", "--no-git", cwd=tmp_path)
    assert result.returncode == 1
    assert "--force" in result.stderr
    assert "Traceback" not in result.stderr


def test_command_unknown_template_exits_2(tmp_path: Path) -> None:
    result = cherry("new", "webshop", "--template", "php", cwd=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "webshop").exists()


@pytest.mark.slow
def test_new_works_from_an_installed_wheel(tmp_path: Path) -> None:
    """Scaffolds and templates ship inside the wheel (cherrycli/_content)."""
    import subprocess
    import zipfile

    build = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"),
            *("-w", str(tmp_path / "dist"), str(REPO)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("cherrycli-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    assert (site / "cherrycli" / "_content" / "scaffolds" / "basic" / "scaffold.toml").is_file()
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "cherrycli", "new", "wheel-site", "-t", "mako", "--no-git"],
        cwd=work,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (work / "wheel-site" / "templates" / "index.mako").is_file()
    assert (work / "wheel-site" / "wheel_site" / "app.py").is_file()


@pytest.mark.parametrize(
    ("direct_url", "command"),
    [
        (None, "pip install cherrycli"),
        (
            '{"url": "file:///src/cherry", "dir_info": {"editable": true}}',
            "pip install -e /src/cherry",
        ),
        (
            '{"url": "file:///tmp/my%20dist/cherrycli-0.1.0-py3-none-any.whl", "archive_info": {}}',
            "pip install '/tmp/my dist/cherrycli-0.1.0-py3-none-any.whl'",
        ),
        (
            '{"url": "https://example.org/cherrycli.whl", "archive_info": {}}',
            "pip install https://example.org/cherrycli.whl",
        ),
    ],
)
def test_install_command_follows_how_cherry_was_installed(
    direct_url: str | None, command: str
) -> None:
    from cherrycli.scaffolding import install_command_from

    assert install_command_from(direct_url) == command


def test_readme_says_how_to_install_this_cherry(tmp_path: Path) -> None:
    from cherrycli.scaffolding import cherry_install_command

    result = cherry("new", "blog", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "blog" / "README.md").read_text()
    here = cherry_install_command()
    assert f"$ {here}\n" in readme
    assert here == f"pip install -e {REPO}"  # tests run from an editable install or checkout
