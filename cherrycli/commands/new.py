"""``cherry new``: create a project from a scaffold.

A thin signature over :func:`cherrycli.scaffold.write.create_project`; see
:mod:`cherrycli.scaffold` for the checks and the conflict rules.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from cherrycli.options import Command, argument

#: How each file is listed: new files get "+", files ``--force`` replaced "~" (with
#: where the old content went), files that already held the scaffold's bytes "=" (they
#: are not rewritten).
_MARKS = {
    "created": ("+", ""),
    "overwritten": ("~", " (overwritten; the old one is {backup})"),
    "unchanged": ("=", " (unchanged)"),
}

#: The scaffold kinds (one directory each under ``scaffolds/``), first the default.
TEMPLATES = ("basic", "jinja", "mako", "rest")


@click.command("new", cls=Command)
@argument(
    "name",
    metavar="NAME",
    help="Project name; the package is its lower-case form with '-' as '_'.",
)
@click.option(
    "--template",
    "-t",
    metavar="KIND",
    type=click.Choice(TEMPLATES),
    default=TEMPLATES[0],
    help=f"What kind of project to create: {', '.join(TEMPLATES)}.",
)
@click.option(
    "--dir",
    "-d",
    "directory",
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Directory to create it in (default: ./NAME).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty directory, overwriting only the scaffold's files "
    "(each replaced file is kept as NAME.bak).",
)
@click.option("--git/--no-git", default=True, help="Run 'git init' in the new project.")
def new_command(name: str, template: str, directory: Path | None, force: bool, git: bool) -> None:
    """Create a new project: app package, config, static files and passing tests.

    Kinds: basic (HTML from Python), jinja and mako (template tools with a sample
    site), rest (a JSON API on the method dispatcher).

    Examples:

    \b
        cherry new blog
        cherry new my-shop --template jinja
        cherry new api --template rest --dir services/api --no-git
    """
    from cherrycli.console import escape, stdout
    from cherrycli.scaffold.write import create_project, next_steps

    created = create_project(name, template, directory, force=force, git=git)
    plan, target = created.plan, created.directory
    console = stdout()
    console.print(
        f"[ok]Created[/ok] {escape(plan.project)} ({plan.kind}: {escape(plan.summary)}) "
        f"in [path]{escape(str(target))}[/path]"
    )
    for written in created.files:
        mark, note = _MARKS[written.status]
        shown_path = escape(written.path.relative_to(target).as_posix())
        if written.backup is not None:
            note = note.format(backup=escape(written.backup.relative_to(target).as_posix()))
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
