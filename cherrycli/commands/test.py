"""``cherry test``: run the project's pytest suite with coverage and handler coverage.

A thin click command over :func:`cherrycli.testrunner.run_tests`. Everything after the
options goes to pytest unchanged, with or without ``--``: ``cherry test -k users`` and
``cherry test -- -k users`` are the same (unknown options go through to the
PYTEST_ARGS argument).

Exit codes: 0 tests passed and coverage reached the threshold; 1 tests failed (or
pytest was interrupted or crashed); 2 usage error (including pytest's own, and pytest
or coverage missing); 3 the whole suite passed but total coverage is under the
threshold (a subset run, ``-k`` or test paths, only notes it); 5 no tests collected.
"""

from __future__ import annotations

from pathlib import Path

import click

from cherrycli.options import Command, argument


# ignore_unknown_options: pytest's options (-k, -x, --maxfail=1 ...) are not ours, so
# the parser passes them on to PYTEST_ARGS instead of failing.
@click.command("test", cls=Command, context_settings={"ignore_unknown_options": True})
@argument(
    "pytest_args",
    metavar="[PYTEST_ARGS]",
    nargs=-1,
    type=click.UNPROCESSED,
    help="Passed to pytest unchanged, e.g. -k users -x tests/test_api.py.",
)
@click.option(
    "--cov/--no-cov",
    default=True,
    help="Measure coverage of the app package and show the coverage tables.",
)
@click.option(
    "--fail-under",
    metavar="N",
    type=click.FloatRange(0, 100),
    help="Minimum total coverage in percent; default: [tool.coverage.report] fail_under, else 0.",
)
@click.option(
    "--html",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write coverage's HTML report into DIR.",
)
def test_command(
    pytest_args: tuple[str, ...], cov: bool, fail_under: float | None, html: Path | None
) -> None:
    """Run the project's tests with coverage and show which handlers were requested.

    Runs pytest under coverage from the project directory (the nearest
    pyproject.toml), then prints the coverage summary and a handler coverage table:
    every published URL of [tool.cherry] app (or CHERRY_APP, with [tool.cherry]
    config) and whether any test requested it.

    A handler is "requested" when the framework dispatched a request to it in the
    test process (cherry_client or client, cherry_live_server or live_server, any
    in-process server); a request to one alias of a function counts for all its URLs.
    "called directly" means its body ran but no request reached it (a unit test calling
    the method). Requests served by a server in a subprocess count through coverage
    only: when coverage measures subprocesses (parallel = true), a handler whose body
    ran without a seen dispatch shows "executed, not seen dispatched".

    pytest and coverage come with pip install 'cherrycli[test]'; without them the
    command exits 2, saying what to install.

    Exit codes: 0 all good; 1 tests failed; 2 usage error; 3 coverage under the
    threshold (only when the whole suite ran: with -k, -m or test paths it is a note);
    5 no tests collected.

    Examples:

    \b
        cherry test
        cherry test -k users -x
        cherry test --fail-under 100 --html htmlcov -- tests/test_api.py
        cherry test --no-cov -- -q
    """
    if not cov and (html is not None or fail_under is not None):
        from cherrycli.errors import USAGE_EXIT, CliError

        given = "--html" if html is not None else "--fail-under"
        raise CliError(
            f"{given} needs coverage, which --no-cov turns off",
            hint=f"drop --no-cov or {given}",
            exit_code=USAGE_EXIT,
        )
    from cherrycli.testrunner import TestOptions, run_tests

    options = TestOptions(pytest_args=pytest_args, cov=cov, fail_under=fail_under, html=html)
    code = run_tests(options)
    if code:
        raise SystemExit(code)


# pytest must not try to collect this command if a test module ever imports it.
test_command.__test__ = False  # type: ignore[attr-defined]
