"""The scaffold content on disk: where it lives and how it maps onto a project.

Content is looked up in ``cherrycli/_content/`` first (where the wheel ships it, see
``[tool.hatch.build.targets.wheel.force-include]``), then in the repository checkout
(:func:`content_root`). A scaffold kind is a directory with a ``scaffold.toml``
manifest (:func:`read_manifest`); ``_common/`` holds the files every kind shares.

File names and contents follow the rules in ``scaffolds/README.md``: ``{{key}}``
placeholders are filled in names and in ``.tmpl`` files (:func:`render_text`), the
``.tmpl`` suffix is dropped and a leading ``dot-`` becomes ``.`` (:func:`target_path`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from cherrycli.errors import CliError

__all__ = [
    "COMMON",
    "KINDS",
    "MANIFEST",
    "PACKAGE_DIR",
    "TEMPLATE_SUFFIX",
    "content_root",
    "read_manifest",
    "render_text",
    "target_path",
    "tree_files",
]

KINDS = ("basic", "jinja", "mako", "rest")
COMMON = "_common"
MANIFEST = "scaffold.toml"
TEMPLATE_SUFFIX = ".tmpl"
#: The ``cherrycli`` package directory.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


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
    for candidate in (PACKAGE_DIR / "_content" / kind_dir, PACKAGE_DIR.parent / kind_dir):
        if candidate.is_dir():
            return candidate
    raise CliError(
        f"cannot find the {kind_dir}/ directory shipped with cherrycli",
        hint="reinstall cherrycli",
    )


def read_manifest(kind_dir: Path) -> dict[str, str]:
    """Read a scaffold kind's ``scaffold.toml``.

    Args:
        kind_dir: the kind's directory.

    Returns:
        Its keys and values, as strings.
    """
    with (kind_dir / MANIFEST).open("rb") as handle:
        data = tomllib.load(handle)
    return {str(key): str(value) for key, value in data.items()}


def render_text(text: str, values: dict[str, str], source: Path) -> str:
    """Fill the ``{{key}}`` placeholders of ``text``.

    Args:
        text: a file name or a ``.tmpl`` file's content.
        values: the placeholder values.
        source: the scaffold file, for the error message.

    Returns:
        The text with every placeholder filled.

    Raises:
        CliError: a placeholder has no value (a broken scaffold).
    """

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise CliError(f"unknown placeholder {{{{{key}}}}} in scaffold file {source}")
        return values[key]

    return _PLACEHOLDER.sub(replace, text)


def target_path(relative: Path, values: dict[str, str]) -> Path:
    """Where a scaffold file goes in the project.

    Args:
        relative: the file's path inside its scaffold tree.
        values: the placeholder values.

    Returns:
        The path relative to the project: placeholders filled, ``dot-`` as ``.``,
        without the ``.tmpl`` suffix.
    """
    parts = []
    for part in relative.parts:
        part = render_text(part, values, relative)
        if part.startswith("dot-"):
            part = "." + part[len("dot-") :]
        parts.append(part)
    path = Path(*parts)
    return (
        path.with_name(path.name[: -len(TEMPLATE_SUFFIX)])
        if path.name.endswith(TEMPLATE_SUFFIX)
        else path
    )


def tree_files(root: Path) -> list[Path]:
    """The files of a scaffold tree, sorted, without its manifest and caches."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path.name != MANIFEST and "__pycache__" not in path.parts
    )
