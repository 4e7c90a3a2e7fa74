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

    def _exists(self) -> bool:
        stored = self.cache.get(self.id)
        return stored is not None and stored[1] > self.now()

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        return self.cache.get(self.id)

    def _save(self, expiration_time: datetime.datetime) -> None:
        # A copy: later changes by this request never reach the store unsaved.
        self.cache[self.id] = (dict(self._data), expiration_time)

    def _delete(self) -> None:
        self.cache.pop(self.id, None)

    def acquire_lock(self) -> None:
        """Take this id's lock (waiting at most ``lock_timeout`` seconds).

        Raises:
            LockTimeout: 503 when another request kept it longer.
        """
        if self.locked:
            return
        if not self.locks.acquire(self.id, self.lock_timeout):
            raise LockTimeout(self.id, self.lock_timeout)
        self.locked = True

    def release_lock(self) -> None:
        """Release this id's lock."""
        if self.locked:
            self.locked = False
            self.locks.release(self.id)

    def clean_up(self) -> None:
        """Remove expired sessions."""
        now = self.now()
        for key, (_, expires) in list(self.cache.items()):
            if expires <= now:
                self.cache.pop(key, None)

    def __len__(self) -> int:
        """The number of sessions stored (CherryPy's meaning of ``len(session)``)."""
        return len(self.cache)
