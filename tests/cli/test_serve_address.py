"""Where ``cherry serve`` listens (cherrycli.serve.address): one precedence, its notes.

Highest first: option, setting (env over pyproject), config file, the app itself
(without --reload), the defaults. Each level is tried against the one below it, for the
host and for the port; the live runs are in test_serve.py and test_serve_notes.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import framework
import framework.process.server  # registers framework.server
from cherrycli.errors import CliError
from cherrycli.serve import DEFAULT_HOST, DEFAULT_PORT
from cherrycli.serve.address import (
    Address,
    address_notes,
    app_address,
    choose_address,
    pinned_notes,
)
from cherrycli.settings import load_settings

APP = {"socket_host": "10.0.0.5", "socket_port": 9123}  # what an app set at import


def choose(
    tmp_path: Path,
    host: str | None = None,
    port: int | None = None,
    *,
    env: dict[str, str] | None = None,
    pyproject: str = "",
    conf: str | None = None,
) -> Address:
    (tmp_path / "pyproject.toml").write_text(f"[tool.cherry]\n{pyproject}")
    config = None
    if conf is not None:
        config = tmp_path / "site.conf"
        config.write_text(f"[global]\n{conf}")
    return choose_address(host, port, load_settings(tmp_path, env or {}), config)


# -- choose_address: options > settings > config file ----------------------------------

FILE = 'server.socket_host = "0.0.0.0"\nserver.socket_port = 7000\n'


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"host": "::1", "port": 1, "env": {"CHERRY_HOST": "h", "CHERRY_PORT": "2"}}, ("::1", 1)),
        ({"env": {"CHERRY_HOST": "envhost", "CHERRY_PORT": "2"}}, ("envhost", 2)),
        ({"pyproject": 'host = "pyhost"\nport = 3\n'}, ("pyhost", 3)),
        (
            {"env": {"CHERRY_PORT": "2"}, "pyproject": 'host = "pyhost"\nport = 3\n'},
            ("pyhost", 2),
        ),
        ({}, ("0.0.0.0", 7000)),
    ],
    ids=["options", "env", "pyproject", "env-over-pyproject", "config-file"],
)
def test_each_level_outranks_the_ones_below(
    tmp_path: Path, given: dict[str, object], expected: tuple[str, int]
) -> None:
    address = choose(tmp_path, conf=FILE, **given)  # type: ignore[arg-type]
    assert (address.host, address.port) == expected


def test_host_and_port_are_settled_separately(tmp_path: Path) -> None:
    address = choose(tmp_path, port=5, conf=FILE)
    assert (address.host, address.port) == ("0.0.0.0", 5)
    assert (address.pinned_host, address.pinned_port) == (False, True)


def test_options_and_settings_pin_the_address_the_config_file_does_not(tmp_path: Path) -> None:
    assert choose(tmp_path, "h", 1) == Address("h", 1, pinned_host=True, pinned_port=True)
    pinned = choose(tmp_path, env={"CHERRY_HOST": "h", "CHERRY_PORT": "1"})
    assert (pinned.pinned_host, pinned.pinned_port) == (True, True)
    assert choose(tmp_path, conf=FILE) == Address("0.0.0.0", 7000)


def test_nothing_set_leaves_the_address_open(tmp_path: Path) -> None:
    assert choose(tmp_path) == Address()
    assert choose(tmp_path, "", conf="") == Address()  # an empty --host is no host


def test_port_zero_is_a_choice_not_a_gap(tmp_path: Path) -> None:
    assert choose(tmp_path, port=0, conf=FILE).port == 0
    assert choose(tmp_path, conf="server.socket_port = 0\n").port == 0


@pytest.mark.parametrize(
    ("env", "pyproject", "message"),
    [
        ({"CHERRY_PORT": "abc"}, "", "option 'port' from CHERRY_PORT must be an integer"),
        ({}, "host = 5\n", "option 'host' from .*pyproject.toml must be a string"),
    ],
)
def test_a_wrong_setting_is_a_usage_error(
    tmp_path: Path, env: dict[str, str], pyproject: str, message: str
) -> None:
    with pytest.raises(CliError, match=message) as info:
        choose(tmp_path, env=env, pyproject=pyproject)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ('server.socket_port = "eighty"\n', r"server.socket_port in .*site.conf must be an "),
        ("server.socket_port = True\n", r"server.socket_port in .*must be an integer, got True"),
        ("server.socket_host = 5\n", r"server.socket_host in .*site.conf must be a string"),
    ],
)
def test_a_wrong_value_in_the_config_file_is_the_app_s_failure(
    tmp_path: Path, conf: str, message: str
) -> None:
    with pytest.raises(CliError, match=message) as info:
        choose(tmp_path, conf=conf)
    assert info.value.exit_code == 1


def test_a_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="config file not found") as info:
        choose_address(None, None, load_settings(tmp_path, {}), tmp_path / "nope.conf")
    assert info.value.exit_code == 2


# -- after loading (no --reload): the app, then the defaults ---------------------------


def test_the_app_fills_what_nothing_above_set() -> None:
    assert Address().after_loading(APP) == ("10.0.0.5", 9123)
    assert Address("h", None).after_loading(APP) == ("h", 9123)
    assert Address(None, 0).after_loading(APP) == ("10.0.0.5", 0)
    assert Address("h", 1).after_loading(APP) == ("h", 1)


def test_app_address_reads_what_the_app_set_on_framework_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(framework.server, "socket_host", "10.0.0.9")
    monkeypatch.setattr(framework.server, "socket_port", 9999)
    assert app_address() == {"socket_host": "10.0.0.9", "socket_port": 9999}


def test_the_defaults_are_the_framework_server_s_own() -> None:
    server = type(framework.server)()
    assert (server.socket_host, server.socket_port) == (DEFAULT_HOST, DEFAULT_PORT)


@pytest.mark.parametrize("port", ["eighty", None, True])
def test_an_app_port_that_is_not_an_integer_is_one_line(port: object) -> None:
    with pytest.raises(CliError, match=r"server\.socket_port must be an integer") as info:
        Address().after_loading({"socket_host": "h", "socket_port": port})
    assert info.value.exit_code == 1


def test_an_app_port_given_as_text_is_a_number() -> None:
    assert Address().after_loading({"socket_host": "h", "socket_port": "8081"}) == ("h", 8081)


# -- before loading (--reload): the defaults, and what a worker is told to compare -----


def test_reload_binds_before_the_app_so_the_defaults_fill_in() -> None:
    assert Address().before_loading() == (DEFAULT_HOST, DEFAULT_PORT)
    assert Address("0.0.0.0", 0).before_loading() == ("0.0.0.0", 0)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (Address(), {"socket_host": DEFAULT_HOST, "socket_port": str(DEFAULT_PORT)}),
        (Address("0.0.0.0", 7000), {"socket_host": "0.0.0.0", "socket_port": "7000"}),
        (Address("h", 1, pinned_host=True), {"socket_host": None, "socket_port": "1"}),
        (Address("h", 1, True, True), {"socket_host": None, "socket_port": None}),
    ],
)
def test_a_worker_compares_only_what_nothing_pinned(
    address: Address, expected: dict[str, str | None]
) -> None:
    assert address.expected() == expected


# -- the notes a reload worker prints ---------------------------------------------------


def test_note_for_a_port_the_app_sets() -> None:
    assert address_notes({"socket_port": "8080"}, None, APP) == [
        "note: server.socket_port is 9123 once the app is loaded, but --reload keeps the "
        "address it bound first: pass --port 9123 to use it"
    ]


def test_note_for_a_host_the_app_sets() -> None:
    assert address_notes({"socket_host": "127.0.0.1"}, None, APP) == [
        "note: server.socket_host is 10.0.0.5 once the app is loaded, but --reload keeps "
        "the address it bound first: pass --host 10.0.0.5 to use it"
    ]


def test_no_note_when_the_app_agrees() -> None:
    expected = {"socket_host": "10.0.0.5", "socket_port": "9123"}
    assert address_notes(expected, None, APP) == []


@pytest.mark.parametrize(
    ("expected", "conf_port", "set_by_app", "noted"),
    [
        ({"socket_port": "8080"}, 8080, 9123, False),  # the file outranks the app
        ({"socket_port": None}, 9000, 9123, False),  # --port / settings pinned it
        ({"socket_port": "8080"}, 9000, 8080, True),  # the file changed
        ({"socket_port": "0"}, 0, 0, False),  # port 0: the bound port is random
    ],
)
def test_note_follows_the_config_file(
    tmp_path: Path, expected: dict[str, str | None], conf_port: int, set_by_app: int, noted: bool
) -> None:
    conf = tmp_path / "dev.conf"
    conf.write_text(f"[global]\nserver.socket_port = {conf_port}\n")
    notes = address_notes(expected, conf, {"socket_port": set_by_app})
    assert notes == (
        [
            f"note: server.socket_port changed to {conf_port} in {conf}; the address is "
            "fixed while cherry serve runs: restart it to move"
        ]
        if noted
        else []
    )


def test_no_note_when_the_config_file_broke_since(tmp_path: Path) -> None:
    conf = tmp_path / "dev.conf"
    conf.write_text("[global]\nserver.socket_port = (\n")
    # The edit that broke it triggers its own reload, which reports the error.
    assert address_notes({"socket_port": "8080"}, conf, APP) == []


@pytest.mark.parametrize(
    ("pinned", "app", "notes"),
    [
        (
            {"socket_host": None, "socket_port": "8000"},
            {"socket_host": "127.0.0.1", "socket_port": 9099},
            [
                "note: the app sets server.socket_port = 9099; cherry serve uses the port it "
                "was given (8000)"
            ],
        ),
        (
            {"socket_host": "0.0.0.0", "socket_port": None},
            {"socket_host": "::", "socket_port": 9099},
            [
                "note: the app sets server.socket_host = ::; cherry serve uses the host it "
                "was given (0.0.0.0)"
            ],
        ),
        # The app asked for nothing (the defaults), or for what is in force: no note.
        (
            {"socket_host": None, "socket_port": "8000"},
            {"socket_host": "127.0.0.1", "socket_port": 8080},
            [],
        ),
        (
            {"socket_host": None, "socket_port": "9099"},
            {"socket_host": "127.0.0.1", "socket_port": 9099},
            [],
        ),
        (
            {"socket_host": None, "socket_port": None},
            {"socket_host": "::", "socket_port": 9099},
            [],
        ),
    ],
)
def test_pinned_notes_say_when_the_given_address_wins(
    pinned: dict[str, str | None], app: dict[str, object], notes: list[str]
) -> None:
    assert pinned_notes(pinned, app) == notes


def test_pinned_notes_skip_what_the_config_file_says(tmp_path: Path) -> None:
    config = tmp_path / "dev.conf"
    config.write_text("[global]\nserver.socket_port = 9099\n")
    app = {"socket_host": "127.0.0.1", "socket_port": 9099}
    assert pinned_notes({"socket_host": None, "socket_port": "8000"}, app, config) == []


def test_address_pinned_names_what_options_and_settings_chose() -> None:
    assert Address("0.0.0.0", 9000, True, False).pinned() == {
        "socket_host": "0.0.0.0",
        "socket_port": None,
    }
