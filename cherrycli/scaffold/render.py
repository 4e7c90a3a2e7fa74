"""Render a scaffold kind for a project name, in memory: :func:`plan_project`.

The files of ``_common/`` and then of the kind's own tree (a file of the kind replaces
the common one at the same path), plus the template engine's sample templates for the
Jinja and Mako kinds, each with its placeholders filled (see
:mod:`cherrycli.scaffold.content`). The values include how to install this very Cherry
(:func:`cherry_install_command`), since it comes from a checkout or a wheel rather than
an index. Nothing is written: :mod:`cherrycli.scaffold.write` does that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cherrycli import __version__
from cherrycli.errors import USAGE_EXIT, CliError
from cherrycli.scaffold.content import (
    COMMON,
    KINDS,
    MANIFEST,
    PACKAGE_DIR,
    TEMPLATE_SUFFIX,
    content_root,
    read_manifest,
    render_text,
    target_path,
    tree_files,
)
from cherrycli.scaffold.names import validate_name

__all__ = [
    "PlannedFile",
    "ProjectPlan",
    "cherry_install_command",
    "install_command_from",
    "plan_project",
]


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


def _title(project: str) -> str:
    words = re.split(r"[-_]+", project)
    return " ".join(word[:1].upper() + word[1:] for word in words if word) or project


def plan_project(name: str, kind: str = "basic") -> ProjectPlan:
    """Render the scaffold ``kind`` for project NAME in memory.

    Args:
        name: the project name (validated with
            :func:`~cherrycli.scaffold.names.validate_name`).
        kind: one of :data:`~cherrycli.scaffold.content.KINDS`.

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
    manifest = read_manifest(kind_dir)
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
        for source in tree_files(tree):
            target = target_path(source.relative_to(tree), values)
            data = source.read_bytes()
            if source.name.endswith(TEMPLATE_SUFFIX):
                data = render_text(data.decode("utf-8"), values, source).encode("utf-8")
            rendered[target] = data
    engine = manifest.get("templates")
    if engine:
        engine_dir = content_root("templates") / engine
        for source in tree_files(engine_dir):
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

    Returns:
        The command, its arguments quoted for a POSIX shell.
    """
    import shlex
    from importlib import metadata

    try:
        direct = metadata.distribution("cherrycli").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        checkout = PACKAGE_DIR.parent
        if (checkout / "pyproject.toml").is_file():
            return f"pip install -e {shlex.quote(str(checkout))}"
        return "pip install cherrycli"  # pragma: no cover - vendored without metadata
    return install_command_from(direct)


def install_command_from(direct_url: str | None) -> str:
    """The pip command for an install described by PEP 610's ``direct_url.json`` text.

    Args:
        direct_url: the file's text, or None when the install has none (an index).

    Returns:
        ``pip install -e DIR`` for an editable install, ``pip install FILE`` or ``URL``
        otherwise.
    """
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
