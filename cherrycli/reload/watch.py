"""What ``cherry serve --reload`` watches: the filter, and the watcher loop.

:class:`WatchFilter` decides which changed paths restart the worker: the app's ``.py``,
config and template files under the watched roots, plus single files such as the
config file wherever they are; never virtualenvs, caches, ``.git``, dependency and
build folders, editor swap files or logs. ``--reload-include`` adds globs and
``--reload-exclude`` removes them (exclusion wins).

:func:`watch` runs in the supervisor's watcher thread: it watches every directory the
filter keeps (non-recursively, so an ignored tree such as ``node_modules`` costs
nothing) with watchfiles, queues each batch of relevant changes, and starts over when a
new directory appears.
"""

from __future__ import annotations

import fnmatch
import os
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["IGNORED_DIRS", "IGNORED_FILES", "WATCHED_PATTERNS", "WatchFilter", "watch"]

# fmt: off
# What a save can change: code, config and templates.
WATCHED_PATTERNS = (
    "*.py", "*.ini", "*.conf", "*.cfg", "*.toml", "*.html", "*.htm",
    "*.jinja", "*.jinja2", "*.j2", "*.mako", "*.tmpl", "*.tpl",
)
# Tool, cache, dependency and build folders: never the app's own files.
IGNORED_DIRS = frozenset({
    "__pycache__", ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".idea", ".vscode",
    ".cache", "htmlcov", "build", "dist", "log", "logs", "site-packages",
})
# fmt: on
IGNORED_FILES = (
    "*.sw?",  # vim swap files
    "*~",  # backups (vim, emacs)
    ".#*",  # emacs lock files
    "#*#",  # emacs auto-save files
    "4913",  # vim's probe for a writable directory
    "*.tmp",
    "*.log",
    "*.py[cod]",
    "*___jb_???___",  # JetBrains safe-write temporaries
    ".DS_Store",
)


@lru_cache(maxsize=4096)
def _is_virtualenv(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, "pyvenv.cfg"))


def _ignored_dir(path: str) -> bool:
    name = os.path.basename(path)
    return name in IGNORED_DIRS or name.endswith(".egg-info") or _is_virtualenv(path)


@dataclass(frozen=True)
class WatchFilter:
    """Decides which changed paths restart the worker.

    Args:
        roots: directories watched recursively.
        files: single files always watched (the config file), wherever they are.
        include: extra glob patterns to watch (``--reload-include``).
        exclude: glob patterns never watched (``--reload-exclude``); they win over all.
    """

    roots: tuple[Path, ...]
    files: tuple[Path, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __call__(self, path: str) -> bool:
        """True when a change to ``path`` should restart the worker."""
        target = Path(path)
        if target in self.files:
            return True
        for root in self.roots:
            if target.is_relative_to(root):
                relative = target.relative_to(root)
                break
        else:
            return False
        names = [relative.as_posix(), target.name]
        if self._matches(names, self.exclude):
            return False
        parent = root
        for part in relative.parts[:-1]:
            parent = parent / part
            if _ignored_dir(str(parent)):
                return False
        if self._matches(names, self.include):
            return True
        return self._matches(names, WATCHED_PATTERNS) and not self._matches(
            [target.name], IGNORED_FILES
        )

    @staticmethod
    def _matches(names: Iterable[str], patterns: Iterable[str]) -> bool:
        return any(fnmatch.fnmatchcase(n, p) for p in patterns for n in names)

    def directories(self) -> list[str]:
        """Every directory to watch: the roots' trees without ignored directories,
        and the folders holding the single files."""
        found: list[str] = []
        for root in self.roots:
            for current, dirs, _files in os.walk(root):
                found.append(current)
                dirs[:] = [d for d in dirs if not _ignored_dir(os.path.join(current, d))]
        found.extend(str(f.parent) for f in self.files if f.parent.is_dir())
        return sorted(set(found))


def watch(
    check: WatchFilter,
    stop: threading.Event,
    changes: queue.Queue[list[str]],
    on_watching: Callable[[], None],
) -> None:
    """Queue every batch of relevant changes until ``stop`` is set.

    Args:
        check: the filter; its :meth:`~WatchFilter.directories` are watched.
        stop: ends the loop (checked at least every quarter second).
        changes: receives the relevant changed paths of each batch.
        on_watching: called once, when the watches are in place.
    """
    import watchfiles

    announced = False
    while not stop.is_set():
        rescan = False
        for batch in watchfiles.watch(
            *check.directories(),
            recursive=False,
            stop_event=stop,
            step=30,
            # Timeouts yield an empty batch: the first proves the watches are set.
            rust_timeout=250,
            yield_on_timeout=True,
            raise_interrupt=False,
            ignore_permission_denied=True,
            watch_filter=None,
        ):
            if not announced:
                on_watching()
                announced = True
            relevant = [path for _, path in batch if check(path)]
            if relevant:
                changes.put(relevant)
            rescan = any(
                change == watchfiles.Change.added and os.path.isdir(path) and not _ignored_dir(path)
                for change, path in batch
            )
            if rescan:
                break
        if not rescan:
            return
