"""cherrycli.settings: [tool.cherry], CHERRY_* variables and per-command defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from cherrycli.errors import CliError
from cherrycli.settings import command_defaults, default_origins, load_settings

OPTIONS = {"requests": False, "fail_under": False, "tags": True, "config": False}


def settings_for(tmp_path: Path, toml: str, env: dict[str, str]) -> object:
    (tmp_path / "pyproject.toml").write_text(toml)
    return load_settings(tmp_path, env)


@pytest.mark.parametrize(
    ("toml", "env", "expected"),
    [
        ("[tool.cherry]\nrequests = 1\n", {}, 1),
        ("[tool.cherry]\nrequests = 1\n[tool.cherry.profile]\nrequests = 2\n", {}, 2),
        ("[tool.cherry.profile]\nrequests = 2\n", {"CHERRY_REQUESTS": "3"}, "3"),
        ("", {"CHERRY_REQUESTS": "3", "CHERRY_PROFILE_REQUESTS": "4"}, "4"),
    ],
)
def test_precedence_from_pyproject_to_scoped_variables(
    tmp_path: Path, toml: str, env: dict[str, str], expected: object
) -> None:
    settings = settings_for(tmp_path, toml, env)
    assert command_defaults(settings, "profile", OPTIONS)["requests"] == expected  # type: ignore[arg-type]


def test_other_commands_tables_do_not_leak(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "[tool.cherry.test]\nrequests = 5\n", {})
    assert command_defaults(settings, "profile", OPTIONS) == {}  # type: ignore[arg-type]


def test_multi_value_options_split_environment_values(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "", {"CHERRY_TAGS": "a, b,,c"})
    assert command_defaults(settings, "profile", OPTIONS) == {"tags": ["a", "b", "c"]}  # type: ignore[arg-type]


def test_keys_read_by_the_commands_themselves_are_left_out(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, '[tool.cherry]\nconfig = "dev.conf"\n', {})
    assert "config" not in command_defaults(settings, "profile", OPTIONS)  # type: ignore[arg-type]


def test_dashes_in_table_keys_are_underscores(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "[tool.cherry.profile]\nFail-Under = 7\n", {})
    assert command_defaults(settings, "profile", OPTIONS) == {"fail_under": 7}  # type: ignore[arg-type]


def test_a_badly_typed_setting_is_a_usage_error(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {"CHERRY_PORT": "eighty"})
    with pytest.raises(CliError) as caught:
        settings.get_int("port")
    assert caught.value.exit_code == 2


def test_default_origins_name_the_setting_that_won(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path,
        "[tool.cherry]\nrequests = 1\n[tool.cherry.profile]\ntags = ['a']\n",
        {"CHERRY_PROFILE_FAIL_UNDER": "x"},
    )
    origins = default_origins(settings, "profile", ["requests", "tags", "fail_under", "config"])  # type: ignore[arg-type]
    pyproject = tmp_path / "pyproject.toml"
    assert origins == {
        "requests": f"requests in [tool.cherry] of {pyproject}",
        "tags": f"tags in [tool.cherry.profile] of {pyproject}",
        "fail_under": "CHERRY_PROFILE_FAIL_UNDER",
    }
