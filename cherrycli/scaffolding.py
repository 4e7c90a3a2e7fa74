"""Render a project scaffold (``scaffolds/<kind>``) into a directory for ``cherry new``.

The work is split so that nothing touches the disk before every check has passed:

1. :func:`validate_name` turns NAME into a package name (``-`` becomes ``_``) and refuses
   non-identifiers, keywords, the project's own folder names (``tests``, ``static``...),
   standard-library names and names already importable;
2. :func:`plan_project` renders every file in memory (``_common/`` then the kind's own
   tree, plus the sample templates for the Jinja/Mako kinds);
3. :func:`write_project` refuses a non-empty target unless ``force`` and a file where a
   directory must go (or the reverse), then writes. ``force`` overwrites only files the
   scaffold writes and never deletes anything; it reports each file as created,
   overwritten or unchanged.

Content is looked up in ``cherrycli/_content/`` first (where the wheel ships it, see
``[tool.hatch.build.targets.wheel.force-include]``), then in the repository checkout.
The file-name and placeholder rules are described in ``scaffolds/README.md``.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cherrycli import __version__
from cherrycli.errors import USAGE_EXIT, CliError

__all__ = [
    "KINDS",
    "CreatedProject",
    "PlannedFile",
    "ProjectPlan",
    "WriteStatus",
    "WrittenFile",
    "content_root",
    "create_project",
    "git_init",
    "next_steps",
    "plan_project",
    "reserved_names",
    "suggest_name",
    "validate_name",
    "write_project",
]

KINDS = ("basic", "jinja", "mako", "rest")
COMMON = "_common"
MANIFEST = "scaffold.toml"
TEMPLATE_SUFFIX = ".tmpl"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class PlannedFile:
    """One file the scaffold writes: path relative to the project and its bytes."""

    path: Path
    content: bytes


@dataclass(frozen=True)
class ProjectPlan:
    """Everything ``cherry new`` is about to write.

    Attributes:
        project: NAME as given (the distribution name).
        package: the import name of the app package.
        kind: the scaffold kind.
        summary: one line saying what the kind contains.
        files: the files, in writing order.
    """

    project: str
    package: str
    kind: str
    summary: str
    files: tuple[PlannedFile, ...]


WriteStatus = Literal["created", "overwritten", "unchanged"]


@dataclass(frozen=True)
class WrittenFile:
    """What :func:`write_project` did with one planned file (``path`` is absolute)."""

    path: Path
    status: WriteStatus


@dataclass(frozen=True)
class CreatedProject:
    """The outcome of :func:`create_project`.

    Attributes:
        plan: what was rendered.
        directory: the absolute project directory.
        files: what happened to each planned file, in plan order.
        git: the :func:`git_init` outcome, None when git was not asked for.
    """

    plan: ProjectPlan
    directory: Path
    files: tuple[WrittenFile, ...]
    git: str | None


def content_root(kind_dir: str = "scaffolds") -> Path:
    """Return the directory holding ``scaffolds/`` or ``templates/`` content.

    Args:
        kind_dir: ``"scaffolds"`` or ``"templates"``.

    Returns:
        ``cherrycli/_content/<kind_dir>`` in an installed wheel, else the checkout's
        ``<repo>/<kind_dir>``.

    Raises:
        CliError: if neither exists (a broken installation).
    """
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "_content" / kind_dir, package_dir.parent / kind_dir):
        if candidate.is_dir():
            return candidate
    raise CliError(
        f"cannot find the {kind_dir}/ directory shipped with cherrycli",
        hint="reinstall cherrycli",
    )


def reserved_names() -> frozenset[str]:
    """The package names that would collide with folders the project itself uses.

    These are the scaffold's own top-level folders (``tests``, ``static``, ``config``,
    ``templates``...) in every kind, and the folders its ``.gitignore`` hides (an app
    package named ``dist`` would never be committed). Read from the scaffold trees so a
    folder added there is reserved without another edit here.

    Returns:
        The names, lower-case (a case-insensitive file system mixes ``Tests`` and
        ``tests`` too).
    """
    scaffolds = content_root("scaffolds")
    names: set[str] = set()
    for tree in sorted(p for p in scaffolds.iterdir() if p.is_dir()):
        for entry in tree.iterdir():
            if entry.name == MANIFEST or "{{" in entry.name:
                continue
            names.add(_target_path(Path(entry.name), {}).name)
        if (tree / MANIFEST).is_file() and _read_manifest(tree).get("templates"):
            names.add("templates")
    ignore = scaffolds / COMMON / "dot-gitignore"
    if ignore.is_file():
        names.update(line.strip().rstrip("/") for line in ignore.read_text().splitlines())
    return frozenset(name.lower() for name in names if name.isidentifier())


def suggest_name(package: str) -> str | None:
    """A valid ASCII package name close to ``package``, for a hint; None if there is none.

    Accents are folded (``Über`` gives ``uber``), other characters become ``_``; when
    that gives back a refused name (the same one, a keyword, a standard-library module,
    a reserved folder) ``_app`` is appended.

    Args:
        package: the refused package name (need not be an identifier).

    Returns:
        The suggestion, or None when no letter or digit is left to build one from.
    """
    import unicodedata

    folded = unicodedata.normalize("NFKD", package).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9]+", "_", folded).strip("_").lower()
    if not base:
        return None
    if base[0].isdigit():
        base = f"app_{base}"
    if (
        base == package
        or keyword.iskeyword(base)
        or base in sys.stdlib_module_names
        or base in reserved_names()
    ):
        base = f"{base}_app"
    return base


_NAME_ADVICE = (
    "use ASCII letters, digits, '_' or '-', starting with a letter and ending with a "
    "letter or digit"
)


def _refuse(message: str, package: str, advice: str = "choose another name") -> CliError:
    example = suggest_name(package)
    hint = f"{advice}, e.g. {example}" if example else advice
    return CliError(message, hint=hint, exit_code=USAGE_EXIT)


def validate_name(name: str) -> str:
    """Check NAME and return the package name it gives (``-`` becomes ``_``).

    Args:
        name: the project name from the command line.

    Returns:
        The package name.

    Raises:
        CliError: (exit 2) if the package name is not ASCII or not an identifier; if NAME
            does not start and end with a letter or digit (a distribution name must);
            if the package name is a keyword (soft keywords such as ``match`` are
            fine), a folder the project itself uses (:func:`reserved_names`), a
            standard-library module, or already importable here.
    """
    package = name.replace("-", "_")
    # Checked first: 'café' is a Python identifier, so the identifier message would
    # be wrong; ASCII is what pip and every file system accept for a package name.
    if not package.isascii():
        raise _refuse(
            f"{name!r} is not a valid project name: it must be ASCII letters, digits and _ "
            "(after - becomes _)",
            package,
            "use an ASCII name",
        )
    if not package.isidentifier():
        raise _refuse(
            f"{name!r} is not a valid project name: {package!r} is not a Python identifier",
            package,
            _NAME_ADVICE,
        )
    # NAME is also the distribution name in pyproject.toml, and packaging refuses one
    # that starts or ends with '_' or '-': pip could not install the project.
    if not name[0].isalnum() or not name[-1].isalnum():
        raise _refuse(
            f"{name!r} is not a valid project name: it must start and end with a letter "
            "or digit to be installable",
            package,
            _NAME_ADVICE,
        )
    # Soft keywords (match, case, type, _) are only keywords in some positions; they
    # are valid module names, so only the hard keyword list counts.
    if keyword.iskeyword(package):
        raise _refuse(f"{name!r} is a Python keyword", package)
    if package.lower() in reserved_names():
        raise _refuse(f"{name!r} is a folder the project itself uses", package)
    if package in sys.stdlib_module_names:
        raise _refuse(f"{name!r} is the name of a standard-library module", package)
    try:
        spec = importlib.util.find_spec(package)
    except Exception as error:
        # find_spec raises for a loaded module without a spec (``__main__`` under the
        # console script: ValueError) and meta-path finders may raise anything; either
        # way the name is taken here.
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _refuse(f"{name!r} is already importable here ({reason})", package) from None
    # A namespace package is only a directory of that name on sys.path (often the
    # project directory itself): nothing would be shadowed.
    if spec is not None and spec.origin is not None:
        raise _refuse(f"{name!r} is already importable here (from {spec.origin})", package)
    return package


def _read_manifest(kind_dir: Path) -> dict[str, str]:
    with (kind_dir / MANIFEST).open("rb") as handle:
        data = tomllib.load(handle)
    return {str(key): str(value) for key, value in data.items()}


def _title(project: str) -> str:
    words = re.split(r"[-_]+", project)
    return " ".join(word[:1].upper() + word[1:] for word in words if word) or project


def _render_text(text: str, values: dict[str, str], source: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise CliError(f"unknown placeholder {{{{{key}}}}} in scaffold file {source}")
        return values[key]

    return _PLACEHOLDER.sub(replace, text)


def _target_path(relative: Path, values: dict[str, str]) -> Path:
    parts = []
    for part in relative.parts:
        part = _render_text(part, values, relative)
        if part.startswith("dot-"):
            part = "." + part[len("dot-") :]
        parts.append(part)
    path = Path(*parts)
    return (
        path.with_name(path.name[: -len(TEMPLATE_SUFFIX)])
        if path.name.endswith(TEMPLATE_SUFFIX)
        else path
    )


def _tree_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path.name != MANIFEST and "__pycache__" not in path.parts
    )


def plan_project(name: str, kind: str = "basic") -> ProjectPlan:
    """Render the scaffold ``kind`` for project NAME in memory.

    Args:
        name: the project name (validated with :func:`validate_name`).
        kind: one of :data:`KINDS`.

    Returns:
        The :class:`ProjectPlan`; nothing is written.

    Raises:
        CliError: for a bad NAME or an unknown kind (exit 2).
    """
    package = validate_name(name)
    scaffolds = content_root("scaffolds")
    kind_dir = scaffolds / kind
    if kind.startswith("_") or not (kind_dir / MANIFEST).is_file():
        raise CliError(
            f"unknown template {kind!r}",
            hint=f"choose one of {', '.join(KINDS)}",
            exit_code=USAGE_EXIT,
        )
    manifest = _read_manifest(kind_dir)
    extra = manifest.get("extra")
    values = {
        "project": name,
        "package": package,
        "title": _title(name),
        "kind": kind,
        "description": manifest["description"],
        "dependency": f"cherrycli[{extra}]" if extra else "cherrycli",
        "app": f"{package}.{manifest['app']}",
        "cherry_version": __version__,
        "cherry_install": cherry_install_command(),
    }
    rendered: dict[Path, bytes] = {}
    for tree in (scaffolds / COMMON, kind_dir):
        for source in _tree_files(tree):
            target = _target_path(source.relative_to(tree), values)
            data = source.read_bytes()
            if source.name.endswith(TEMPLATE_SUFFIX):
                data = _render_text(data.decode("utf-8"), values, source).encode("utf-8")
            rendered[target] = data
    engine = manifest.get("templates")
    if engine:
        engine_dir = content_root("templates") / engine
        for source in _tree_files(engine_dir):
            rendered[Path("templates") / source.relative_to(engine_dir)] = source.read_bytes()
    files = tuple(PlannedFile(path, data) for path, data in sorted(rendered.items()))
    return ProjectPlan(name, package, kind, manifest.get("summary", ""), files)


def cherry_install_command() -> str:
    """The pip command that installs this Cherry into another environment.

    Cherry is installed from a checkout or a wheel, not from an index, so a new
    project's README must say where from: the editable checkout (``pip install -e
    DIR``), the wheel file, or, without install metadata (run from a checkout through
    ``PYTHONPATH``), the checkout holding this package. ``pip install cherrycli`` is the
    answer only for an index install.
    """
    import shlex
    from importlib import metadata

    try:
        direct = metadata.distribution("cherrycli").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        checkout = Path(__file__).resolve().parent.parent
        if (checkout / "pyproject.toml").is_file():
            return f"pip install -e {shlex.quote(str(checkout))}"
        return "pip install cherrycli"  # pragma: no cover - vendored without metadata
    return install_command_from(direct)


def install_command_from(direct_url: str | None) -> str:
    """The pip command for an install described by PEP 610's ``direct_url.json`` text."""
    import json
    import shlex
    from urllib.parse import unquote, urlsplit

    if not direct_url:
        return "pip install cherrycli"
    info = json.loads(direct_url)
    url = urlsplit(str(info.get("url", "")))
    if url.scheme != "file":
        return f"pip install {shlex.quote(str(info.get('url')))}"
    where = shlex.quote(unquote(url.path))
    editable = bool(info.get("dir_info", {}).get("editable"))
    return f"pip install -e {where}" if editable else f"pip install {where}"


def _cannot_create(directory: Path, error: OSError, done: int = 0, total: int = 0) -> CliError:
    reason = error.strerror or type(error).__name__
    if done == 0:
        return CliError(f"cannot create {directory}: {reason}")
    return CliError(
        f"cannot create {directory}: {reason} ({done} of {total} files were written)",
        hint="fix the cause, then run again with --force to finish the project",
    )


def _check_target(plan: ProjectPlan, directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise CliError(f"{directory} exists and is not a directory")
    try:
        occupied = directory.is_dir() and any(directory.iterdir())
    except OSError as error:  # an unreadable directory
        raise _cannot_create(directory, error) from None
    if occupied and not force:
        raise CliError(
            f"directory {directory} is not empty",
            hint="pick another --dir, or pass --force to overwrite the scaffold's files "
            "(nothing else is touched or deleted)",
        )
    for planned in plan.files:
        target = directory / planned.path
        if target.is_dir():
            raise CliError(f"{target} is a directory, but the scaffold writes a file there")
        for parent in target.relative_to(directory).parents:
            if (directory / parent).exists() and not (directory / parent).is_dir():
                raise CliError(
                    f"{directory / parent} is a file, but the scaffold needs a directory there"
                )


def write_project(plan: ProjectPlan, directory: Path, *, force: bool = False) -> list[WrittenFile]:
    """Write ``plan`` into ``directory`` after checking for conflicts.

    Args:
        plan: what :func:`plan_project` rendered.
        directory: the project directory (created when missing).
        force: allow a non-empty directory; scaffold files are overwritten, no other
            file is modified or deleted.

    Returns:
        One :class:`WrittenFile` per planned file, in plan order, saying whether it was
        created, overwritten, or already held the same bytes (then left untouched).

    Raises:
        CliError: the directory is not empty (without ``force``), or a file and a
            directory collide: nothing has been written. The directory or a file
            cannot be created (a file on the way, no permission, a full disk): the
            message gives the OS reason and, if some files were written, how many.
    """
    _check_target(plan, directory, force)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _cannot_create(directory, error) from None
    written: list[WrittenFile] = []
    for planned in plan.files:
        target = directory / planned.path
        try:
            written.append(WrittenFile(target, _write_file(target, planned.content)))
        except OSError as error:
            done = sum(1 for item in written if item.status != "unchanged")
            raise _cannot_create(directory, error, done, len(plan.files)) from None
    return written


def _write_file(target: Path, content: bytes) -> WriteStatus:
    status: WriteStatus = "created"
    if target.is_file():
        if target.read_bytes() == content:
            # Left alone so its modification time still says when the user last
            # touched it.
            return "unchanged"
        status = "overwritten"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return status


def next_steps(plan: ProjectPlan) -> list[str]:
    """The shell commands the new project's README gives under "Start", in order.

    Taken from the rendered README itself (the ``$ `` lines of its ``console`` blocks)
    so what ``cherry new`` prints and what the README says cannot drift apart.

    Args:
        plan: what :func:`plan_project` rendered.

    Returns:
        The commands without the ``$ `` prompt; empty if the README has none.
    """
    readme = next((f for f in plan.files if f.path == Path("README.md")), None)
    if readme is None:
        return []
    steps = []
    in_console = False
    for line in readme.content.decode("utf-8").splitlines():
        if line.startswith("```"):
            in_console = not in_console and line[3:].strip() == "console"
        elif in_console and line.startswith("$ "):
            steps.append(line[2:])
    return steps


def git_init(directory: Path) -> str:
    """Run ``git init`` in ``directory`` unless it already is in a work tree.

    Args:
        directory: the new project's directory.

    Returns:
        What happened, for the user: "initialised", "skipped: ..." .
    """
    git = shutil.which("git")
    if git is None:
        return "skipped: git is not installed"
    inside = subprocess.run(
        [git, "rev-parse", "--is-inside-work-tree"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        return "skipped: already inside a git work tree"
    result = subprocess.run(
        [git, "init", "--quiet"], cwd=directory, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return f"skipped: git init failed: {result.stderr.strip() or result.returncode}"
    return "initialised"


def create_project(
    name: str,
    kind: str = "basic",
    directory: Path | None = None,
    *,
    force: bool = False,
    git: bool = False,
) -> CreatedProject:
    """Validate, render and write a new project; optionally ``git init`` it.

    Args:
        name: the project name.
        kind: one of :data:`KINDS`.
        directory: where to write; ``./NAME`` when None.
        force: see :func:`write_project`.
        git: run :func:`git_init` afterwards.

    Returns:
        The :class:`CreatedProject`.

    Raises:
        CliError: see :func:`plan_project` and :func:`write_project`.
    """
    plan = plan_project(name, kind)
    target = (directory if directory is not None else Path(name)).resolve()
    written = write_project(plan, target, force=force)
    return CreatedProject(plan, target, tuple(written), git_init(target) if git else None)
