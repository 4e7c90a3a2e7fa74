"""The app config file reader every command shares (cherrycli.appconfig)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cherrycli.appconfig import read_config
from cherrycli.errors import CliError


def test_sections_are_read_with_python_literals(tmp_path: Path) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text("[global]\nserver.socket_port = 9000\n\n[/api]\ntools.gzip.on = True\n")
    assert read_config(conf) == {
        "global": {"server.socket_port": 9000},
        "/api": {"tools.gzip.on": True},
    }


def test_no_file_is_no_sections() -> None:
    assert read_config(None) == {}


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.conf"
    with pytest.raises(CliError) as info:
        read_config(missing)
    assert (info.value.message, info.value.exit_code) == (f"config file not found: {missing}", 2)


def test_a_malformed_file_is_a_failure_naming_the_file(tmp_path: Path) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text("[/]\ntools.x.on = not_a_literal(\n")
    with pytest.raises(CliError, match=r"bad\.conf") as info:
        read_config(conf)
    assert info.value.exit_code == 1
