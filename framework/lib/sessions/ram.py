"""``RamSession``: sessions in this process's memory (the default store).

Fast and simple, but each process has its own: behind several workers or hosts,
a user's next request may reach a process that never saw their session. Use
:class:`~framework.lib.sessions.redis.RedisSession` there (see "Scaling out" in the
README).
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from framework.lib.sessions.base import LockTable, LockTimeout, Session

__all__ = ["RamSession"]


class RamSession(Session):
    """Sessions in a process-wide dict, locked per id with thread locks."""

    # COMPAT: class-level, as CherryPy's (shared by every instance; never rebind).
    cache: ClassVar[dict[str, tuple[dict[Any, Any], datetime.datetime]]] = {}
    locks: ClassVar[LockTable] = LockTable()

    # PERF: the storage methods read ``_id`` (always set while they run), not the
    # ``id`` property.
    def _exists(self) -> bool:
        stored = self.cache.get(self._id)  # type: ignore[arg-type]
        return stored is not None and stored[1] > self.now()

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        return self.cache.get(self._id)  # type: ignore[arg-type]

    def _save(self, expiration_time: datetime.datetime) -> None:
        # A copy: later changes by this request never reach the store unsaved.
        self.cache[self._id] = (dict(self._data), expiration_time)  # type: ignore[index]

    def _delete(self) -> None:
        self.cache.pop(self.id, None)

    def acquire_lock(self) -> None:
        """Take this id's lock (waiting at most ``lock_timeout`` seconds).

        Raises:
            LockTimeout: 503 when another request kept it longer.
        """
        if self.locked:
            return
        session_id: str = self._id  # type: ignore[assignment]
        if not self.locks.acquire(session_id, self.lock_timeout):
            raise LockTimeout(session_id, self.lock_timeout)
        self.locked = True
        # The id the lock was taken under (regenerate() moves the lock with the id).
        self._locked_id = session_id

    def release_lock(self) -> None:
        """Release this id's lock."""
        if self.locked:
            self.locked = False
            self.locks.release(self._locked_id)

    def clean_up(self) -> None:
        """Remove expired sessions, and the idle locks of sessions no longer stored."""
        now = self.now()
        for key, (_, expires) in list(self.cache.items()):
            if expires <= now:
                self.cache.pop(key, None)
        self.locks.drop_idle(keep=self.cache)

    def __len__(self) -> int:
        """The number of sessions stored (CherryPy's meaning of ``len(session)``)."""
        return len(self.cache)
