"""Project names for ``cherry new``: which are refused, and what to suggest instead.

NAME is the distribution name (in the new ``pyproject.toml``); the app's package name
is NAME as PEP 8 spells a package: lower case, ``-`` as ``_`` (``My-Shop`` gives
``my_shop``). :func:`validate_name` refuses what would not install or would shadow
something: a non-ASCII or non-identifier name, one that does not start and end with a
letter or digit, a keyword, a name Cherry itself uses (:data:`OWN_PACKAGES`: a project
package of that name would hide ``cherrypy`` from the compat layer, or the framework),
a folder the project itself uses (:func:`reserved_names`), a standard-library module,
or a name already importable. Each refusal is a usage error (exit 2) whose hint carries
:func:`suggest_name`'s suggestion.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import sys
from pathlib import Path

from cherrycli.errors import USAGE_EXIT, CliError
from cherrycli.scaffold.content import COMMON, MANIFEST, content_root, read_manifest, target_path

__all__ = ["OWN_PACKAGES", "package_name", "reserved_names", "suggest_name", "validate_name"]

#: Package names Cherry itself imports: a project package so named would shadow them.
OWN_PACKAGES = frozenset({"cherrypy", "framework", "cherrycli"})

_NAME_ADVICE = (
    "use ASCII letters, digits, '_' or '-', starting with a letter and ending with a "
    "letter or digit"
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
            names.add(target_path(Path(entry.name), {}).name)
        if (tree / MANIFEST).is_file() and read_manifest(tree).get("templates"):
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
        or base in OWN_PACKAGES
    ):
        base = f"{base}_app"
    return base


def _refuse(message: str, package: str, advice: str = "choose another name") -> CliError:
    example = suggest_name(package)
    hint = f"{advice}, e.g. {example}" if example else advice
    return CliError(message, hint=hint, exit_code=USAGE_EXIT)


def package_name(name: str) -> str:
    """The package name PEP 8 gives NAME: lower case, ``-`` as ``_``.

    Args:
        name: the project name.

    Returns:
        ``my_shop`` for ``My-Shop``.
    """
    return name.replace("-", "_").lower()


def validate_name(name: str) -> str:
    """Check NAME and return the package name it gives (:func:`package_name`).

    Args:
        name: the project name from the command line.

    Returns:
        The package name.

    Raises:
        CliError: (exit 2) if the package name is not ASCII or not an identifier; if NAME
            does not start and end with a letter or digit (a distribution name must);
            if the package name is a keyword (soft keywords such as ``match`` are
            fine), one of Cherry's own packages, a folder the project itself uses
            (:func:`reserved_names`), a standard-library module, or already
            importable here.
    """
    package = package_name(name)
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
    if package in OWN_PACKAGES:
        raise _refuse(
            f"{name!r} is a package Cherry itself uses: the project's package would shadow it",
            package,
        )
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
