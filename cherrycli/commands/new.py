"""``cherry new``: create a project from a scaffold.

A thin signature over :func:`cherrycli.scaffold.write.create_project`; see
:mod:`cherrycli.scaffold` for the checks and the conflict rules.
"""

from __future__ import annotations

import shlex
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

#: How each file is listed: new files get "+", files ``--force`` replaced "~", files
#: that already held the scaffold's bytes "=" (they are not rewritten).
_MARKS = {
    "created": ("+", ""),
    "overwritten": ("~", " (overwritten)"),
    "unchanged": ("=", " (unchanged)"),
}


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
    from cherrycli.scaffold.write import create_project, next_steps

    created = create_project(name, template.value, directory, force=force, git=git)
    plan, target = created.plan, created.directory
    console = stdout()
    console.print(
        f"[ok]Created[/ok] {escape(plan.project)} ({plan.kind}: {escape(plan.summary)}) "
        f"in [path]{escape(str(target))}[/path]"
    )
    for written in created.files:
        mark, note = _MARKS[written.status]
        shown_path = escape(written.path.relative_to(target).as_posix())
        console.print(f"  [muted]{mark}[/muted] {shown_path}{note}")
    if created.git is not None:
        console.print(f"git: {escape(created.git)}")
    try:
        shown = target.relative_to(Path.cwd())
    except ValueError:
        shown = target
    console.print("\nNext steps (as in README.md):")
    # soft_wrap: a long install path must stay one line so it can be pasted.
    for step in [f"cd {shlex.quote(str(shown))}", *next_steps(plan)]:
        console.print(f"  {escape(step)}", soft_wrap=True)
