"""Toolchain options from ``[tool.cherry]`` in the nearest pyproject.toml and ``CHERRY_*``.

Every command reads its defaults through :func:`load_settings`; a command-line option
always wins over both. Precedence, lowest to highest:

1. ``[tool.cherry]`` in the nearest ``pyproject.toml`` (searched from the working
   directory upwards), e.g. ``app = "shop.app:Root"`` and ``config = "config/dev.conf"``;
2. environment variables ``CHERRY_<KEY>``, e.g. ``CHERRY_APP=shop.app:Root`` or
   ``CHERRY_PORT=9000``.

Beyond the keys commands read themselves (:data:`SELF_READ`), every option of every
command takes its default from :func:`command_defaults`, which also reads the
per-command table ``[tool.cherry.<command>]`` and ``CHERRY_<COMMAND>_<OPTION>``.

Keys are normalised to lower case with ``_`` (``reload-include`` and ``RELOAD_INCLUDE``
are the same key). Relative paths found in pyproject.toml are relative to that file's
directory, which :meth:`Settings.path` resolves; relative paths from the environment are
relative to the working directory. ``[tool.cherry]`` may hold any key: each command
documents the ones it reads (``app``, ``config``, ``host``, ``port``...).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cherrycli.errors import USAGE_EXIT, CliError

__all__ = [
    "ENV_PREFIX",
    "SELF_READ",
    "Settings",
    "command_defaults",
    "default_origins",
    "find_pyproject",
    "load_settings",
]

#: Keys the commands resolve themselves (paths relative to pyproject.toml, the TARGET);
#: every other option of a command takes its default from :func:`command_defaults`.
SELF_READ = frozenset(
    {"app", "config", "host", "port", "compat", "reload_include", "reload_exclude"}
)

ENV_PREFIX = "CHERRY_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class Settings:
    """Merged toolchain options and where they came from.

    Attributes:
        values: option name -> value (TOML types, or str for environment values).
        sources: option name -> "pyproject.toml" path or "CHERRY_<KEY>" variable.
        pyproject: the nearest pyproject.toml, or None.
        root: the project directory (pyproject's directory, else the working directory).
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    pyproject: Path | None = None
    root: Path = field(default_factory=Path.cwd)

    def get(self, key: str, default: Any = None) -> Any:
        """Return the option ``key`` or ``default``.

        Args:
            key: option name, in any case, with ``-`` or ``_``.
            default: value when the option is not set.

        Returns:
            The option's value.
        """
        return self.values.get(_key(key), default)

    def get_str(self, key: str) -> str | None:
        """Return the option ``key`` as a non-empty string, or None.

        Raises:
            CliError: if the value is not a string.
        """
        value = self.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self._type_error(key, "a string")
        return value

    def get_int(self, key: str) -> int | None:
        """Return the option ``key`` as an int, or None when unset.

        Raises:
            CliError: if the value is not an integer.
        """
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._type_error(key, "an integer")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise self._type_error(key, "an integer") from None

    def get_bool(self, key: str) -> bool | None:
        """Return the option ``key`` as a bool (``1/true/yes/on`` or ``0/false/no/off``).

        Raises:
            CliError: if the value is not a boolean.
        """
        value = self.get(key)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self._type_error(key, "a boolean (true or false)")

    def get_list(self, key: str) -> list[str]:
        """Return the option ``key`` as a list of strings (env values split on ``,``).

        Raises:
            CliError: if the value is neither a string nor a list of strings.
        """
        value = self.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(value)
        raise self._type_error(key, "a list of strings")

    def path(self, key: str) -> Path | None:
        """Return the option ``key`` as a path, resolved against where it was set.

        Returns:
            An absolute path, or None when the option is unset.

        Raises:
            CliError: if the value is not a string.
        """
        value = self.get_str(key)
        if value is None:
            return None
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        from_env = self.sources.get(_key(key), "").startswith(ENV_PREFIX)
        base = Path.cwd() if from_env or self.pyproject is None else self.pyproject.parent
        return base / path

    def _type_error(self, key: str, expected: str) -> CliError:
        source = self.sources.get(_key(key), "settings")
        return CliError(
            f"option {_key(key)!r} from {source} must be {expected}, got {self.get(key)!r}",
            exit_code=USAGE_EXIT,
        )


def find_pyproject(start: Path | None = None) -> Path | None:
    """Find the nearest pyproject.toml in ``start`` or one of its parents.

    Args:
        start: directory to search from; the working directory when None.

    Returns:
        The file's path, or None if there is none up to the filesystem root.
    """
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _read_tool_table(pyproject: Path) -> dict[str, Any]:
    try:
        with pyproject.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise CliError(f"cannot parse {pyproject}: {error}") from None
    except OSError as error:
        raise CliError(f"cannot read {pyproject}: {error.strerror}") from None
    table = data.get("tool", {}).get("cherry", {})
    if not isinstance(table, dict):
        raise CliError(f"[tool.cherry] in {pyproject} must be a table")
    return table


def load_settings(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Merge ``[tool.cherry]`` from the nearest pyproject.toml with ``CHERRY_*`` variables.

    Args:
        start: directory to search pyproject.toml from; the working directory when None.
        environ: the environment to read; ``os.environ`` when None.

    Returns:
        The merged :class:`Settings`.

    Raises:
        CliError: if pyproject.toml cannot be read or parsed.
    """
    environ = os.environ if environ is None else environ
    pyproject = find_pyproject(start)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if pyproject is not None:
        for name, value in _read_tool_table(pyproject).items():
            values[_key(name)] = value
            sources[_key(name)] = str(pyproject)
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            key = _key(name[len(ENV_PREFIX) :])
            values[key] = value
            sources[key] = name
    root = pyproject.parent if pyproject is not None else (start or Path.cwd()).resolve()
    return Settings(values=values, sources=sources, pyproject=pyproject, root=root)


def command_defaults(
    settings: Settings, command: str, options: Mapping[str, bool]
) -> dict[str, Any]:
    """Defaults for one command's options from ``[tool.cherry]`` and ``CHERRY_*``.

    For an option ``fail_under`` of ``cherry test``, lowest to highest: ``fail_under``
    in ``[tool.cherry]``, ``fail_under`` in ``[tool.cherry.test]``, ``CHERRY_FAIL_UNDER``,
    ``CHERRY_TEST_FAIL_UNDER``. The command line beats them all; the parser converts and
    checks the values (:func:`default_origins` names where a bad one came from).

    Args:
        settings: the merged settings.
        command: the command name (``test``, ``profile``...).
        options: option name -> whether it takes several values (split env values on ``,``).

    Returns:
        ``{option name: value}`` for the options that are set somewhere.
    """
    defaults: dict[str, Any] = {}
    for option, multiple in options.items():
        found = _found(settings, command, option)
        if not found:
            continue
        value = found[-1][1]
        if multiple and isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        defaults[option] = value
    return defaults


def default_origins(settings: Settings, command: str, options: Iterable[str]) -> dict[str, str]:
    """Where each of :func:`command_defaults`' values came from, for error messages.

    Args:
        settings: the merged settings.
        command: the command name.
        options: the option names.

    Returns:
        ``{option: "CHERRY_TEST_FAIL_UNDER"}`` or ``{option: "fail_under in
        [tool.cherry.test] of /path/pyproject.toml"}`` for the options that are set.
    """
    origins: dict[str, str] = {}
    for option in options:
        found = _found(settings, command, option)
        if found:
            origins[option] = found[-1][0]
    return origins


def _found(settings: Settings, command: str, option: str) -> list[tuple[str, Any]]:
    """Every setting of ``option`` for ``command``, lowest precedence first, as
    ``(where it was set, value)``."""
    if option in SELF_READ:
        return []
    values, sources = settings.values, settings.sources
    raw_table = values.get(command)
    table = (
        {_key(str(name)): value for name, value in raw_table.items()}
        if isinstance(raw_table, dict)
        else None
    )
    found: list[tuple[str, Any]] = []
    if option in values and not sources[option].startswith(ENV_PREFIX):
        found.append((f"{option} in [tool.cherry] of {sources[option]}", values[option]))
    if table is not None and option in table:
        where = f"{option} in [tool.cherry.{command}] of {sources.get(command, 'settings')}"
        found.append((where, table[option]))
    if option in values and sources[option].startswith(ENV_PREFIX):
        found.append((sources[option], values[option]))
    scoped = f"{command}_{option}"
    if scoped in values:
        found.append((sources[scoped], values[scoped]))
    return found
