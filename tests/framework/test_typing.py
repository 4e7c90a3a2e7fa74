"""The public API as users' type checkers see it: mypy on a small app using the facade."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

APP = """
from typing import assert_type

import framework
from framework.core.request import Request
from framework.core.response import Response


class Root:
    @framework.expose
    def index(self) -> str:
        assert_type(framework.request, Request)
        assert_type(framework.response, Response)
        assert_type(framework.request.method, str)
        framework.response.headers["X-Typed"] = "yes"
        return framework.request.path_info
"""


@pytest.mark.slow
def test_request_and_response_are_typed_for_users(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    (tmp_path / "typed_app.py").write_text(APP)
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--python-version",
            f"{sys.version_info.major}.{sys.version_info.minor}",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(tmp_path / "typed_app.py"),
        ]
    )
    assert status == 0, stdout + stderr
