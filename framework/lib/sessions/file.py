"""``FileSession``: one pickle file per session in ``storage_path``.

Shared by every process on one host that points at the same directory. Files are
named ``session-<id>`` from a validated hex id, so nothing from a request can name a
path elsewhere. Writes are atomic: the data goes to a temporary file in the same
directory, is flushed to disk, then renamed over the old file, so a crash or a full
disk mid-write leaves the previous session intact, never a torn or empty file
(CherryPy truncates the file first). A write that fails (disk full, read-only) is a
503, and the session as stored stays as it was.

Locking: threads of one process queue on a thread lock per id; processes exclude
each other with ``flock`` on ``session-<id>.lock``, a file that exists only while the
lock is held (its holder removes it before letting go; a process that opened it
meanwhile sees the inode change and retries on a fresh one).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import pickle
import tempfile
import time
from typing import Any, ClassVar

from framework.lib.sessions.base import LockTable, LockTimeout, Session, StoreUnavailable

__all__ = ["FileSession"]


class FileSession(Session):
    """Sessions as files in ``storage_path`` (required)."""

    SESSION_PREFIX = "session-"
    LOCK_SUFFIX = ".lock"
    pickle_protocol = pickle.HIGHEST_PROTOCOL
    storage_path: str = ""
    stale_temp_age: float = 3600
    """Seconds after which the sweep removes a temporary file (a writer that died)."""
    locks: ClassVar[LockTable] = LockTable()

    def __init__(self, id: str | None = None, **kwargs: Any) -> None:
        path = kwargs.get("storage_path") or self.storage_path
        if not path:
            raise ValueError("FileSession needs a directory: set tools.sessions.storage_path.")
        kwargs["storage_path"] = os.path.abspath(path)
        self._lock_fd: int | None = None
        super().__init__(id, **kwargs)

    @classmethod
    def setup(cls, **kwargs: Any) -> None:
        """Create ``storage_path`` (mode 0700) if it does not exist yet."""
        path = kwargs.get("storage_path")
        if path:
            os.makedirs(os.path.abspath(path), mode=0o700, exist_ok=True)

    # -- paths ------------------------------------------------------------------------------
    def _file(self, session_id: str | None = None) -> str:
        session_id = session_id or self.id
        # Ids are checked on the way in; this guards subclasses and direct callers.
        if not self.valid_id(session_id):
            raise ValueError("invalid session id")
        return os.path.join(self.storage_path, self.SESSION_PREFIX + session_id)

    def _read(self, path: str) -> tuple[dict[Any, Any], datetime.datetime] | None:
        try:
            with open(path, "rb") as f:
                stored: tuple[dict[Any, Any], datetime.datetime] = pickle.load(f)
        except FileNotFoundError:
            return None
        except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
            return None  # not a session file we wrote: treat as absent
        return stored

    # -- storage ------------------------------------------------------------------------------
    def _exists(self) -> bool:
        stored = self._read(self._file())
        return stored is not None and stored[1] > self.now()

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        return self._read(self._file())

    def _save(self, expiration_time: datetime.datetime) -> None:
        path = self._file()
        fd, temp = tempfile.mkstemp(dir=self.storage_path, prefix=".tmp-" + self.SESSION_PREFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((self._data, expiration_time), f, self.pickle_protocol)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def _delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._file())

    # -- locking ------------------------------------------------------------------------------
    def acquire_lock(self) -> None:
        """Lock this session against other threads and processes.

        Raises:
            LockTimeout: 503 after ``lock_timeout`` seconds.
            StoreUnavailable: 503 if the lock file cannot be created.
        """
        if self.locked:
            return
        fd = self._lock(self.id, self.lock_timeout)
        if fd is None:
            raise LockTimeout(self.id, self.lock_timeout)
        self._lock_fd = fd
        self.locked = True

    def release_lock(self) -> None:
        """Release the locks; remove the lock file if the session is gone."""
        if not self.locked:
            return
        self.locked = False
        fd, self._lock_fd = self._lock_fd, None
        assert fd is not None
        self._unlock(self.id, fd)

    def _lock(self, session_id: str, timeout: float | None) -> int | None:
        """Take the thread lock, then the file lock; the file's descriptor or None."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.locks.acquire(session_id, timeout):
            return None
        try:
            fd = self._flock(self._file(session_id) + self.LOCK_SUFFIX, deadline)
        except BaseException:
            self.locks.release(session_id)
            raise
        if fd is None:
            self.locks.release(session_id)
        return fd

    def _flock(self, path: str, deadline: float | None) -> int | None:
        pause = 0.001
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise StoreUnavailable("FileSession lock", exc) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
                continue
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)  # the file was removed while we waited: lock the new one

    def _unlock(self, session_id: str, fd: int) -> None:
        # The lock file exists only while held: remove it before letting go. A process
        # that opened it meanwhile sees the inode change and locks a fresh file.
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._file(session_id) + self.LOCK_SUFFIX)
        finally:
            os.close(fd)
            self.locks.release(session_id)

    # -- housekeeping --------------------------------------------------------------------
    def clean_up(self) -> None:
        """Delete expired session files and their lock files (skipping locked ones)."""
        now = self.now()
        prefix = self.SESSION_PREFIX
        for name in os.listdir(self.storage_path):
            if name.startswith(".tmp-" + prefix):
                self._remove_if_stale(os.path.join(self.storage_path, name))
                continue
            session_id = name[len(prefix) :]
            if not name.startswith(prefix) or not self.valid_id(session_id):
                continue  # lock files, temporary files, strangers
            path = os.path.join(self.storage_path, name)
            stored = self._read(path)
            if stored is not None and stored[1] > now:
                continue
            fd = self._lock(session_id, 0)
            if fd is None:
                continue  # in use right now: the next sweep will see it
            stored = self._read(path)
            expired = stored is None or stored[1] <= now
            if expired:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            self._unlock(session_id, fd)

    def _remove_if_stale(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            if time.time() - os.stat(path).st_mtime >= self.stale_temp_age:
                os.unlink(path)

    def __len__(self) -> int:
        """The number of session files (CherryPy's meaning of ``len(session)``)."""
        return sum(
            1
            for name in os.listdir(self.storage_path)
            if name.startswith(self.SESSION_PREFIX) and not name.endswith(self.LOCK_SUFFIX)
        )
