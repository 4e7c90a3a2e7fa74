"""``cherry test``: placeholder until the test-runner work lands.

Kept so :mod:`cherrycli.main` can register every command; it is replaced by the real
implementation written separately.
"""

from __future__ import annotations

from cherrycli.errors import CliError


def test_command() -> None:
    """Run the project's tests with coverage (not implemented yet).

    Examples:

        cherry test

        cherry test --fail-under 100 -- -k users
    """
    raise CliError("cherry test is not implemented yet")


# pytest must not collect this function if a test module ever imports it.
test_command.__test__ = False  # type: ignore[attr-defined]
