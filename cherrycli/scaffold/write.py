"""Write a rendered project to disk, then ``git init`` it and say what to do next.

:func:`write_project` checks before it writes: a non-empty target is refused unless
``force`` (a usage error, exit 2), and a file where a directory must go (or the reverse)
always is. ``force`` overwrites only files the scaffold writes and never deletes
anything: a file it replaces is first copied to ``<name>.bak`` (``<name>.bak.1``... if
that exists), so a user's own README or app survives. Each file is reported as created,
overwritten (with its backup) or unchanged. :func:`create_project` is the whole
``cherry new``: validate, render (:mod:`cherrycli.scaffold.render`), write, and
optionally :func:`git_init`. :func:`next_steps` reads the commands to run next from the
rendered README, so the terminal and the README cannot disagree.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cherrycli.errors import USAGE_EXIT, CliError
from cherrycli.scaffold.render import ProjectPlan, plan_project

__all__ = [
    "CreatedProject",
    "WriteStatus",
    "WrittenFile",
    "create_project",
    "git_init",
    "next_steps",
    "write_project",
]

WriteStatus = Literal["created", "overwritten", "unchanged"]


@dataclass(frozen=True)
class WrittenFile:
    """What :func:`write_project` did with one planned file (paths are absolute).

    Attributes:
        path: the file written (or left unchanged).
        status: created, overwritten or unchanged.
        backup: where the overwritten file's previous content was kept, else None.
    """

    path: Path
    status: WriteStatus
    backup: Path | None = None


@dataclass(frozen=True)
class CreatedProject:
    """The outcome of :func:`create_project`.

    Attributes:
        plan: what was rendered.
        directory: the absolute project directory.
        files: what happened to each planned file, in plan order.
        git: the :func:`git_init` outcome, None when git was not asked for.
    """

    plan: ProjectPlan
    directory: Path
    files: tuple[WrittenFile, ...]
    git: str | None


def _cannot_create(directory: Path, error: OSError, done: int = 0, total: int = 0) -> CliError:
    reason = error.strerror or type(error).__name__
    if done == 0:
        return CliError(f"cannot create {directory}: {reason}")
    return CliError(
        f"cannot create {directory}: {reason} ({done} of {total} files were written)",
        hint="fix the cause, then run again with --force to finish the project",
    )


def _check_target(plan: ProjectPlan, directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise CliError(f"{directory} exists and is not a directory")
    try:
        occupied = directory.is_dir() and any(directory.iterdir())
    except OSError as error:  # an unreadable directory
        raise _cannot_create(directory, error) from None
    if occupied and not force:
        raise CliError(
            f"directory {directory} is not empty",
            hint="pick another --dir, or pass --force to overwrite the scaffold's files "
            "(each one replaced is kept as <name>.bak; nothing else is touched)",
            exit_code=USAGE_EXIT,
        )
    for planned in plan.files:
        target = directory / planned.path
        if target.is_dir():
            raise CliError(f"{target} is a directory, but the scaffold writes a file there")
        for parent in target.relative_to(directory).parents:
            if (directory / parent).exists() and not (directory / parent).is_dir():
                raise CliError(
                    f"{directory / parent} is a file, but the scaffold needs a directory there"
                )


def write_project(plan: ProjectPlan, directory: Path, *, force: bool = False) -> list[WrittenFile]:
    """Write ``plan`` into ``directory`` after checking for conflicts.

    Args:
        plan: what :func:`~cherrycli.scaffold.render.plan_project` rendered.
        directory: the project directory (created when missing).
        force: allow a non-empty directory; scaffold files are overwritten (each
            after a copy to ``<name>.bak``), no other file is modified or deleted.

    Returns:
        One :class:`WrittenFile` per planned file, in plan order, saying whether it was
        created, overwritten (and where the old content went), or already held the
        same bytes (then left untouched).

    Raises:
        CliError: the directory is not empty (without ``force``: exit 2), or a file
            and a directory collide: nothing has been written. The directory or a file
            cannot be created (a file on the way, no permission, a full disk): the
            message gives the OS reason and, if some files were written, how many.
    """
    _check_target(plan, directory, force)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _cannot_create(directory, error) from None
    written: list[WrittenFile] = []
    for planned in plan.files:
        target = directory / planned.path
        try:
            written.append(_write_file(target, planned.content))
        except OSError as error:
            done = sum(1 for item in written if item.status != "unchanged")
            raise _cannot_create(directory, error, done, len(plan.files)) from None
    return written


def _write_file(target: Path, content: bytes) -> WrittenFile:
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        return WrittenFile(target, "created")
    old = target.read_bytes()
    if old == content:
        # Left alone so its modification time still says when the user last touched it.
        return WrittenFile(target, "unchanged")
    backup = _backup_path(target)
    backup.write_bytes(old)
    shutil.copystat(target, backup)
    target.write_bytes(content)
    return WrittenFile(target, "overwritten", backup)


def _backup_path(target: Path) -> Path:
    """``<name>.bak``, or the first ``<name>.bak.N`` that does not exist yet."""
    candidate = target.with_name(target.name + ".bak")
    number = 0
    while candidate.exists():
        number += 1
        candidate = target.with_name(f"{target.name}.bak.{number}")
    return candidate


def next_steps(plan: ProjectPlan) -> list[str]:
    """The shell commands the new project's README gives under "Start", in order.

    Taken from the rendered README itself (the ``$ `` lines of its ``console`` blocks)
    so what ``cherry new`` prints and what the README says cannot drift apart.

    Args:
        plan: what :func:`~cherrycli.scaffold.render.plan_project` rendered.

    Returns:
        The commands without the ``$ `` prompt; empty if the README has none.
    """
    readme = next((f for f in plan.files if f.path == Path("README.md")), None)
    if readme is None:
        return []
    steps = []
    in_console = False
    for line in readme.content.decode("utf-8").splitlines():
        if line.startswith("```"):
            in_console = not in_console and line[3:].strip() == "console"
        elif in_console and line.startswith("$ "):
            steps.append(line[2:])
    return steps


def git_init(directory: Path) -> str:
    """Run ``git init`` in ``directory`` unless it already is in a work tree.

    Args:
        directory: the new project's directory.

    Returns:
        What happened, for the user: "initialised", "skipped: ..." .
    """
    git = shutil.which("git")
    if git is None:
        return "skipped: git is not installed"
    inside = subprocess.run(
        [git, "rev-parse", "--is-inside-work-tree"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        return "skipped: already inside a git work tree"
    result = subprocess.run(
        [git, "init", "--quiet"], cwd=directory, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return f"skipped: git init failed: {result.stderr.strip() or result.returncode}"
    return "initialised"


def create_project(
    name: str,
    kind: str = "basic",
    directory: Path | None = None,
    *,
    force: bool = False,
    git: bool = False,
) -> CreatedProject:
    """Validate, render and write a new project; optionally ``git init`` it.

    Args:
        name: the project name.
        kind: one of :data:`~cherrycli.scaffold.content.KINDS`.
        directory: where to write; ``./NAME`` when None.
        force: see :func:`write_project`.
        git: run :func:`git_init` afterwards.

    Returns:
        The :class:`CreatedProject`.

    Raises:
        CliError: see :func:`~cherrycli.scaffold.render.plan_project` and
            :func:`write_project`.
    """
    plan = plan_project(name, kind)
    target = (directory if directory is not None else Path(name)).resolve()
    written = write_project(plan, target, force=force)
    return CreatedProject(plan, target, tuple(written), git_init(target) if git else None)
