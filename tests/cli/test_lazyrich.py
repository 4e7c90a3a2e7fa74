"""cherrycli.lazyrich: typer's help formatter without rich.markdown and rich.traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.strip()


def test_the_two_modules_stay_unloaded() -> None:
    code = (
        "import sys\n"
        "from cherrycli.lazyrich import import_rich_utils\n"
        "import_rich_utils()\n"
        "print('typer.rich_utils' in sys.modules, 'rich.markdown' in sys.modules,"
        " 'rich.traceback' in sys.modules)"
    )
    assert run(code) == "True False False"


@pytest.mark.parametrize(
    ("module", "name", "use"),
    [
        ("rich.markdown", "Markdown", "cls('# hi')"),
        ("rich.traceback", "Traceback", "cls.from_exception(ValueError, ValueError('x'), None)"),
    ],
)
def test_a_stand_in_behaves_like_the_real_class(module: str, name: str, use: str) -> None:
    code = (
        "from cherrycli.lazyrich import import_rich_utils\n"
        "import_rich_utils()\n"
        "import typer.rich_utils\n"
        f"cls = typer.rich_utils.{name}\n"
        f"obj = {use}\n"
        f"import {module}\n"
        f"print(type(obj) is {module}.{name}, isinstance(obj, cls))"
    )
    assert run(code) == "True True"


def test_a_later_import_gets_the_real_module() -> None:
    code = (
        "from cherrycli.lazyrich import import_rich_utils\n"
        "import_rich_utils()\n"
        "import rich.markdown\n"
        "print(rich.markdown.__file__ is not None, hasattr(rich.markdown, 'Heading'))"
    )
    assert run(code) == "True True"
