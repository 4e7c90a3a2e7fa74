"""``cherry new`` and the scaffold package: name checks, rendering, conflicts, git."""

from __future__ import annotations

import importlib.util
import keyword
import os
import shutil
import sys
import tomllib
import types
from pathlib import Path

import pytest

from cherrycli.errors import CliError
from cherrycli.scaffold import render
from cherrycli.scaffold.content import KINDS
from cherrycli.scaffold.names import reserved_names, suggest_name, validate_name
from cherrycli.scaffold.render import cherry_install_command, install_command_from, plan_project
from cherrycli.scaffold.write import create_project, next_steps, write_project
from cli_support import REPO, cherry


@pytest.mark.parametrize(
    ("name", "package"),
    [("blog", "blog"), ("my-blog", "my_blog"), ("Shop2", "shop2"), ("Foo", "foo"),
     ("My-Shop", "my_shop"), ("None", "none")],
)  # fmt: skip
def test_valid_names_give_the_pep8_package_name(name: str, package: str) -> None:
    assert validate_name(name) == package


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("1blog", "not a Python identifier"),
        ("my blog", "not a Python identifier"),
        ("", "not a Python identifier"),
        ("café", "must be ASCII letters, digits and _"),
        ("my-Über", "must be ASCII letters, digits and _"),
        ("_", "start and end with a letter or digit"),
        ("blog-", "start and end with a letter or digit"),
        ("__main__", "start and end with a letter or digit"),
        ("class", "keyword"),
        ("CLASS", "keyword"),
        ("cherrypy", "package Cherry itself uses"),
        ("CherryPy", "package Cherry itself uses"),
        ("framework", "package Cherry itself uses"),
        ("cherrycli", "package Cherry itself uses"),
        ("tests", "folder the project itself uses"),
        ("json", "standard-library"),
        ("click", "already importable"),
    ],
)
def test_invalid_names_are_usage_errors_with_a_hint(name: str, reason: str) -> None:
    with pytest.raises(CliError, match=reason) as info:
        validate_name(name)
    assert info.value.exit_code == 2
    assert info.value.hint


@pytest.mark.parametrize("name", ["match", "case", "type", "my-type"])
def test_soft_keywords_are_valid_names(name: str) -> None:
    assert validate_name(name) == name.replace("-", "_")


@pytest.mark.parametrize(
    "name", ["tests", "static", "config", "templates", "build", "dist", "htmlcov", "Tests"]
)
def test_folders_the_project_uses_are_refused(name: str) -> None:
    with pytest.raises(CliError, match="folder the project itself uses") as info:
        validate_name(name)
    assert info.value.exit_code == 2
    assert info.value.hint == f"choose another name, e.g. {name.lower()}_app"


@pytest.mark.parametrize("kind", KINDS)
def test_every_top_level_folder_of_a_scaffold_is_reserved(kind: str) -> None:
    package = validate_name("my-site")
    tops = {f.path.parts[0] for f in plan_project("my-site", kind).files if len(f.path.parts) > 1}
    assert tops - {package} <= reserved_names()


@pytest.mark.parametrize("error", [ValueError("no spec"), ImportError("finder broke")])
def test_a_name_whose_spec_lookup_raises_is_refused(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def find_spec(name: str) -> None:
        raise error

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(CliError, match=r"already importable here \(") as info:
        validate_name("blog")
    assert info.value.exit_code == 2
    assert info.value.hint == "choose another name, e.g. blog_app"


def test_a_loaded_module_without_a_spec_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The console script's __main__ is such a module: find_spec raises ValueError.
    module = types.ModuleType("specless_blog")
    module.__spec__ = None
    monkeypatch.setitem(sys.modules, "specless_blog", module)
    with pytest.raises(CliError, match="already importable here") as info:
        validate_name("specless_blog")
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("package", "suggestion"),
    [
        ("Über", "uber"),
        ("café_crème", "cafe_creme"),
        ("my blog", "my_blog"),
        ("1blog", "app_1blog"),
        ("__main__", "main"),
        ("json", "json_app"),
        ("class", "class_app"),
        ("tests", "tests_app"),
        ("Tests", "tests_app"),
        ("", None),
        ("_", None),
        ("日本", None),
    ],
)
def test_suggestions_are_ascii_identifiers(package: str, suggestion: str | None) -> None:
    assert suggest_name(package) == suggestion
    if suggestion is not None:
        assert suggestion.isidentifier()
        assert suggestion.isascii()
        assert not keyword.iskeyword(suggestion)


@pytest.mark.parametrize(("name", "ascii_name"), [("café", "cafe"), ("Über", "uber")])
def test_a_non_ascii_identifier_is_refused_for_being_non_ascii(name: str, ascii_name: str) -> None:
    with pytest.raises(CliError) as info:
        validate_name(name)
    assert info.value.message == (
        f"{name!r} is not a valid project name: it must be ASCII letters, digits and _ "
        "(after - becomes _)"
    )
    assert info.value.hint == f"use an ASCII name, e.g. {ascii_name}"


def test_hint_has_no_example_when_none_can_be_derived() -> None:
    with pytest.raises(CliError) as info:
        validate_name("日本")
    assert info.value.hint is not None
    assert "e.g." not in info.value.hint


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
    from cherrycli.commands.new import TEMPLATES

    assert TEMPLATES == KINDS


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


@pytest.mark.parametrize("kind", KINDS)
def test_next_steps_are_the_readme_commands(kind: str) -> None:
    steps = next_steps(plan_project("my-site", kind))
    assert steps[:3] == [
        "python3 -m venv .venv && . .venv/bin/activate",
        cherry_install_command(),
        'pip install -e ".[dev]"',
    ]
    assert [step.split("#")[0].strip() for step in steps[3:]] == ["cherry serve", "cherry test"]


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
    monkeypatch.setattr(render, "content_root", lambda kind_dir="scaffolds": tmp_path / kind_dir)
    with pytest.raises(CliError, match=r"unknown placeholder \{\{nonsense\}\}"):
        plan_project("webshop", "odd")


def test_writes_into_a_new_directory(tmp_path: Path) -> None:
    created = create_project("webshop", "basic", tmp_path / "out")
    assert created.directory == (tmp_path / "out").resolve()
    assert created.git is None
    for planned in created.plan.files:
        assert (created.directory / planned.path).read_bytes() == planned.content
    assert {written.status for written in created.files} == {"created"}


def test_refuses_a_non_empty_directory_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(CliError, match="is not empty") as info:
        write_project(plan_project("webshop"), tmp_path)
    assert info.value.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_force_overwrites_scaffold_files_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    (tmp_path / "README.md").write_text("old readme")
    plan = plan_project("webshop")
    write_project(plan, tmp_path, force=True)
    assert (tmp_path / "mine.txt").read_text() == "keep"
    assert (tmp_path / "README.md").read_text() != "old readme"
    assert (tmp_path / "webshop" / "app.py").is_file()


def test_force_keeps_each_file_it_replaces_as_a_backup(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("my own readme")
    (tmp_path / "README.md.bak").write_text("an older backup")
    written = write_project(plan_project("webshop"), tmp_path, force=True)
    readme = next(w for w in written if w.path.name == "README.md")
    assert readme.status == "overwritten"
    assert readme.backup == tmp_path / "README.md.bak.1"
    assert (tmp_path / "README.md.bak.1").read_text() == "my own readme"
    assert (tmp_path / "README.md.bak").read_text() == "an older backup"
    assert all(w.backup is None for w in written if w.status != "overwritten")


def test_force_reports_created_overwritten_and_unchanged_files(tmp_path: Path) -> None:
    plan = plan_project("webshop")
    write_project(plan, tmp_path)
    (tmp_path / "README.md").write_text("old readme")
    (tmp_path / "static" / "style.css").unlink()
    os.utime(tmp_path / "pyproject.toml", ns=(10**18, 10**18))
    written = write_project(plan, tmp_path, force=True)
    status = {w.path.relative_to(tmp_path).as_posix(): w.status for w in written}
    assert status.pop("README.md") == "overwritten"
    assert status.pop("static/style.css") == "created"
    assert set(status.values()) == {"unchanged"}
    assert (tmp_path / "pyproject.toml").stat().st_mtime_ns == 10**18


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


def test_a_directory_that_cannot_be_created_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(CliError) as info:
        write_project(plan_project("webshop"), tmp_path / "afile" / "sub")
    assert info.value.message == f"cannot create {tmp_path / 'afile' / 'sub'}: Not a directory"
    assert info.value.exit_code == 1


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_failed_write_says_how_many_files_were_written(tmp_path: Path) -> None:
    # README.md is a link to /dev/full: writing it fails with ENOSPC, a real disk error.
    (tmp_path / "README.md").symlink_to("/dev/full")
    plan = plan_project("webshop")
    before = [f.path for f in plan.files].index(Path("README.md"))
    with pytest.raises(CliError) as info:
        write_project(plan, tmp_path, force=True)
    assert info.value.message == (
        f"cannot create {tmp_path}: No space left on device "
        f"({before} of {len(plan.files)} files were written)"
    )
    assert info.value.hint is not None and "--force" in info.value.hint


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_initialises_a_repository(tmp_path: Path) -> None:
    created = create_project("webshop", "basic", tmp_path / "webshop", git=True)
    assert created.git == "initialised"
    assert (created.directory / ".git").is_dir()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_is_skipped_inside_an_existing_work_tree(tmp_path: Path) -> None:
    create_project("outer", "basic", tmp_path / "outer", git=True)
    created = create_project("inner", "basic", tmp_path / "outer" / "inner", git=True)
    assert created.git == "skipped: already inside a git work tree"
    assert not (created.directory / ".git").exists()


def test_git_missing_is_reported_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    created = create_project("webshop", "basic", tmp_path / "webshop", git=True)
    assert created.git == "skipped: git is not installed"


# -- the command, through the real entry point -------------------------------------------


def test_command_creates_the_project_and_says_what_next(tmp_path: Path) -> None:
    result = cherry("new", "my-blog", "--template", "jinja", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "my-blog" / "my_blog" / "app.py").is_file()
    assert (tmp_path / "my-blog" / "templates" / "index.html").is_file()
    assert "Next steps" in result.stdout
    assert "cd my-blog" in result.stdout


def test_command_prints_the_readme_steps_verbatim(tmp_path: Path) -> None:
    result = cherry("new", "my-blog", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "my-blog" / "README.md").read_text()
    commands = [line[2:] for line in readme.splitlines() if line.startswith("$ ")]
    printed = result.stdout.split("Next steps", 1)[1].splitlines()[1:]
    assert [line.strip() for line in printed] == ["cd my-blog", *commands]
    assert '  pip install -e ".[dev]"' in printed


def test_command_marks_overwritten_and_unchanged_files(tmp_path: Path) -> None:
    assert cherry("new", "shop", "--no-git", cwd=tmp_path).returncode == 0
    (tmp_path / "shop" / "README.md").write_text("mine")
    (tmp_path / "shop" / "static" / "style.css").unlink()
    result = cherry("new", "shop", "--no-git", "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  ~ README.md (overwritten; the old one is README.md.bak)" in lines
    assert (tmp_path / "shop" / "README.md.bak").read_text() == "mine"
    assert "  + static/style.css" in lines
    assert "  = shop/app.py (unchanged)" in lines


def test_command_dir_option(tmp_path: Path) -> None:
    result = cherry("new", "api", "-t", "rest", "--dir", "services/api", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "services" / "api" / "api" / "app.py").is_file()


def test_command_package_is_the_lower_case_name(tmp_path: Path) -> None:
    result = cherry("new", "Foo", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "Foo" / "foo" / "app.py").is_file()
    assert not (tmp_path / "Foo" / "Foo").exists()
    assert 'app = "foo.app:Root"' in (tmp_path / "Foo" / "pyproject.toml").read_text()


def test_command_usage_line_names_the_argument() -> None:
    result = cherry("new", "--help", env={"COLUMNS": "200"})
    assert "Usage: cherry new [OPTIONS] NAME" in result.stdout
    assert "{" not in result.stdout.split("\n", 3)[1]


@pytest.mark.parametrize(
    "name", ["json", "1abc", "__main__", "tests", "static", "Über", "cherrypy", "Framework"]
)
def test_command_bad_name_exits_2_and_writes_nothing(tmp_path: Path, name: str) -> None:
    result = cherry("new", name, "--no-git", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_console_script_main_module_name_is_one_line_exit_2(tmp_path: Path) -> None:
    """Under the ``cherry`` script ``__main__`` has no spec (find_spec raises ValueError)."""
    import subprocess

    code = "import sys; from cherrycli.main import main; main(sys.argv[1:])"
    result = subprocess.run(
        [sys.executable, "-c", code, "new", "__main__", "--no-git"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("where", "reason"),
    [("afile/sub", "Not a directory"), ("/proc/nope", "No such file or directory")],
)
def test_command_directory_that_cannot_be_created_is_one_line_exit_1(
    tmp_path: Path, where: str, reason: str
) -> None:
    if where.startswith("/proc") and not Path("/proc/self").is_dir():
        pytest.skip("needs a /proc file system")
    (tmp_path / "afile").write_text("")
    result = cherry("new", "q5", "--dir", where, "--no-git", cwd=tmp_path)
    assert result.returncode == 1
    shown = (tmp_path / where).resolve()
    assert result.stderr == f"error: cannot create {shown}: {reason}\n"
    assert result.stdout == ""


@pytest.mark.parametrize(("name", "ascii_name"), [("café", "cafe"), ("Über", "uber")])
def test_command_non_ascii_name_gives_an_ascii_suggestion(
    tmp_path: Path, name: str, ascii_name: str
) -> None:
    result = cherry("new", name, "--no-git", cwd=tmp_path)
    assert result.returncode == 2
    assert "must be ASCII letters, digits and _" in result.stderr
    assert "Python identifier" not in result.stderr
    assert f"e.g. {ascii_name})" in result.stderr


def test_command_next_steps_use_python3(tmp_path: Path) -> None:
    result = cherry("new", "shop", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "  python3 -m venv .venv && . .venv/bin/activate" in result.stdout.splitlines()


def test_command_non_empty_directory_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "webshop").mkdir()
    (tmp_path / "webshop" / "notes.txt").write_text("mine")
    result = cherry("new", "webshop", "--no-git", cwd=tmp_path)
    assert result.returncode == 2
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
    assert install_command_from(direct_url) == command


def test_readme_says_how_to_install_this_cherry(tmp_path: Path) -> None:
    result = cherry("new", "blog", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "blog" / "README.md").read_text()
    here = cherry_install_command()
    assert f"$ {here}\n" in readme
    assert here == f"pip install -e {REPO}"  # tests run from an editable install or checkout
