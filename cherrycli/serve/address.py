"""Where ``cherry serve`` listens: one precedence for the host and the port.

Each of the host and the port comes from the first of these that sets it:

1. ``--host`` / ``--port``;
2. the settings: ``CHERRY_HOST`` / ``CHERRY_PORT``, then ``host`` / ``port`` in
   ``[tool.cherry]`` (:mod:`cherrycli.settings` orders those two);
3. the config file's ``[global]`` ``server.socket_host`` / ``server.socket_port``;
4. without ``--reload`` only: what the app sets itself at import (a CherryPy app's
   ``cherrypy.config.update({"server.socket_port": ...})``);
5. :data:`~cherrycli.serve.DEFAULT_HOST` / :data:`~cherrycli.serve.DEFAULT_PORT`,
   which are ``framework.server``'s own.

:func:`choose_address` settles levels 1-3 before anything is imported and returns an
:class:`Address`. Without ``--reload``, :meth:`Address.after_loading` adds levels 4 and 5
once the app is loaded (:func:`app_address` reads what it asked for). With ``--reload``
the supervisor binds before any worker imports the app, so :meth:`Address.before_loading`
skips level 4; when the address came from level 3 or 5, each worker compares what was
bound with what the loaded app (or the config file, edited since) asks for and prints
:func:`address_notes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cherrycli.appconfig import read_config
from cherrycli.errors import CliError
from cherrycli.serve import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from cherrycli.settings import Settings

__all__ = ["Address", "address_notes", "app_address", "choose_address", "pinned_notes"]

_HOST, _PORT = "socket_host", "socket_port"


@dataclass(frozen=True)
class Address:
    """The address as far as it is known before the app is imported.

    Attributes:
        host: from an option, a setting or the config file; None leaves it to the app
            and the defaults.
        port: the same for the port (0 picks a free one).
        pinned_host: an option or a setting chose ``host``: the app cannot move it and
            no note is due when it asks for another one.
        pinned_port: the same for ``port``.
    """

    host: str | None = None
    port: int | None = None
    pinned_host: bool = False
    pinned_port: bool = False

    def before_loading(self) -> tuple[str, int]:
        """The address to bind before the app is imported (``--reload``): the defaults
        fill what the options, settings and config file left open."""
        return self.host or DEFAULT_HOST, DEFAULT_PORT if self.port is None else self.port

    def after_loading(self, app: Mapping[str, object]) -> tuple[str, int]:
        """The address to bind once the app is loaded: the app's own settings fill what
        the options, settings and config file left open.

        Args:
            app: :func:`app_address` (the app's ``server.socket_host`` and
                ``server.socket_port``, else the framework's defaults).

        Returns:
            ``(host, port)``.

        Raises:
            CliError: the app set ``server.socket_port`` to something not an integer.
        """
        host = self.host or str(app[_HOST])
        if self.port is not None:
            return host, self.port
        return host, _integer(app[_PORT], "server.socket_port")

    def expected(self) -> dict[str, str | None]:
        """What a reload worker compares with the loaded app: the bound value where
        the config file or the defaults chose it, None where an option or a setting did.

        Returns:
            ``{"socket_host": ..., "socket_port": ...}`` as strings, for a command line.
        """
        host, port = self.before_loading()
        return {
            _HOST: None if self.pinned_host else host,
            _PORT: None if self.pinned_port else str(port),
        }

    def pinned(self) -> dict[str, str | None]:
        """The values an option or a setting chose (they win over the app's own).

        Returns:
            ``{"socket_host": ..., "socket_port": ...}`` as strings, None where not pinned.
        """
        return {
            _HOST: self.host if self.pinned_host else None,
            _PORT: str(self.port) if self.pinned_port and self.port is not None else None,
        }


def choose_address(
    host: str | None, port: int | None, settings: Settings, config: Path | None
) -> Address:
    """Settle the address from the options, the settings and the config file.

    Args:
        host: ``--host``, or None.
        port: ``--port``, or None.
        settings: the toolchain settings (``host``, ``port``).
        config: the config file, or None.

    Returns:
        The :class:`Address`; what is still None is left to the app and the defaults.

    Raises:
        CliError: a setting of the wrong type or a missing config file (exit 2, usage
            errors); a malformed config file, or one whose ``server.socket_host`` /
            ``server.socket_port`` has the wrong type (exit 1: the file is the app's).
    """
    host = host or settings.get_str("host")
    if port is None:
        port = settings.get_int("port")
    pinned_host, pinned_port = bool(host), port is not None
    # COMPAT: a CherryPy config file's server.socket_host/port choose the address.
    server = read_config(config).get("global", {})
    if not host and server.get("server.socket_host") is not None:
        value = server["server.socket_host"]
        if not isinstance(value, str):
            raise CliError(f"server.socket_host in {config} must be a string, got {value!r}")
        host = value
    if port is None and "server.socket_port" in server:
        port = _integer(server["server.socket_port"], f"server.socket_port in {config}")
    return Address(host or None, port, pinned_host, pinned_port)


def app_address() -> dict[str, object]:
    """What the loaded app asked for: ``framework.server``'s ``socket_host`` and
    ``socket_port`` (set at import or by the config file, else the defaults).

    Returns:
        ``{"socket_host": ..., "socket_port": ...}`` as the app set them.
    """
    import framework

    server = framework.server
    return {_HOST: server.socket_host, _PORT: server.socket_port}


def address_notes(
    expected: Mapping[str, str | None], config: Path | None, app: Mapping[str, object]
) -> list[str]:
    """Lines for a reload worker whose loaded app wants another address than the bound one.

    Args:
        expected: :meth:`Address.expected` of the supervisor's address: the bound
            values, None where an option or a setting chose them (they outrank the
            config file and the app).
        config: the config file (it outranks the app), read again: it may have been
            edited since the supervisor bound.
        app: :func:`app_address` in the worker, after loading.

    Returns:
        One line per value that differs now, empty when none does.
    """
    try:
        sections = read_config(config).get("global", {})
    except CliError:
        return []  # it loaded a moment ago; an edit since then gets its own reload
    notes = []
    for key, bound in expected.items():
        name = f"server.{key}"
        value = sections.get(name, app.get(key))
        if bound is None or str(value) == bound:
            continue
        option = "--host" if key == _HOST else "--port"
        notes.append(
            f"note: {name} changed to {value} in {config}; the address is fixed while "
            "cherry serve runs: restart it to move"
            if name in sections
            else f"note: {name} is {value} once the app is loaded, but --reload keeps the "
            f"address it bound first: pass {option} {value} to use it"
        )
    return notes


def pinned_notes(
    pinned: Mapping[str, str | None], app: Mapping[str, object], config: Path | None = None
) -> list[str]:
    """Lines saying that cherry serve's own address wins over the one the app sets.

    A CherryPy script's ``server.socket_port`` (set at import or in its ``__main__``
    block) names where it listens when run by itself; ``--port`` (or a setting) wins
    under cherry serve, which says so instead of ignoring it silently. A value from the
    config file given to cherry serve is no surprise: it gets no note.

    Args:
        pinned: :meth:`Address.pinned`.
        app: :func:`app_address` after loading.
        config: the config file, or None.

    Returns:
        One line per value the app set to something else than the one in force.
    """
    defaults = {_HOST: DEFAULT_HOST, _PORT: str(DEFAULT_PORT)}
    try:
        from_file = read_config(config).get("global", {})
    except CliError:
        from_file = {}
    notes = []
    for key, value in pinned.items():
        asked = str(app.get(key))
        if value is None or asked in (value, defaults[key], str(from_file.get(f"server.{key}"))):
            continue
        what = "host" if key == _HOST else "port"
        notes.append(
            f"note: the app sets server.{key} = {asked}; cherry serve uses the {what} "
            f"it was given ({value})"
        )
    return notes


def _integer(value: object, name: str) -> int:
    """``value`` as a port number, or a one-line error naming where it came from."""
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return int(value)
        except ValueError:
            pass
    raise CliError(f"{name} must be an integer, got {value!r}")
