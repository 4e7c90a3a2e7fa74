"""``cherry new``: create a project from a scaffold.

A thin signature over :func:`cherrycli.scaffolding.create_project`; see that module for
the checks and the conflict rules.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Template(StrEnum):
    """The scaffold kinds (one directory each under ``scaffolds/``)."""

    basic = "basic"
    jinja = "jinja"
    mako = "mako"
    rest = "rest"


def new_command(
    name: Annotated[
        str,
        typer.Argument(help="Project name; '-' becomes '_' in the package name."),
    ],
    template: Annotated[
        Template,
        typer.Option("--template", "-t", help="What kind of project to create."),
    ] = Template.basic,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", "-d", help="Directory to create it in (default: ./NAME)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a non-empty directory, overwriting only the scaffold's files.",
        ),
    ] = False,
    git: Annotated[
        bool,
        typer.Option("--git/--no-git", help="Run 'git init' in the new project."),
    ] = True,
) -> None:
    """Create a new project: app package, config, static files and passing tests.

    Kinds: basic (HTML from Python), jinja and mako (template tools with a sample
    site), rest (a JSON API on the method dispatcher).

    Examples:

        cherry new blog

        cherry new my-shop --template jinja

        cherry new api --template rest --dir services/api --no-git
    """
    from cherrycli.console import escape, stdout
    from cherrycli.scaffolding import create_project

    plan, target, git_outcome = create_project(
        name, template.value, directory, force=force, git=git
    )
    console = stdout()
    console.print(
        f"[ok]Created[/ok] {escape(plan.project)} ({plan.kind}: {escape(plan.summary)}) "
        f"in [path]{escape(str(target))}[/path]"
    )
    for planned in plan.files:
        console.print(f"  [muted]+[/muted] {escape(planned.path.as_posix())}")
    if git_outcome is not None:
        console.print(f"git: {escape(git_outcome)}")
    try:
        shown = target.relative_to(Path.cwd())
    except ValueError:
        shown = target
    console.print("\nNext steps:")
    console.print(f"  cd {escape(str(shown))}")
    console.print('  pip install -e ".[dev]"')
    console.print("  cherry serve      # then open http://127.0.0.1:8080")
    console.print("  cherry test")
