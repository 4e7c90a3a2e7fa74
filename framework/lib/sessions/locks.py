"""The per-id thread locks every session store takes before any cross-process lock.

Threads of one process queue on one :class:`threading.Lock` per session id, so they
never poll a shared store (a file lock, a Redis key) against each other, and the RAM
store needs nothing more.

# PERF: a session id is locked and released on every request of a session page, and
on a shared machine a ``threading.Lock`` operation costs as much as a dozen dict
lookups. An id's lock therefore stays in the table between requests: taking a lock
nobody holds is a dict lookup and a non-blocking acquire, without the table's mutex;
releasing it is a release. The mutex serialises only the rarer events: a new id,
a thread that must wait, and the sweep that drops idle locks once the table has grown.

The rules that keep one lock per id:

- an entry is added, and a waiter counted, only under the mutex;
- the sweep removes an entry only under the mutex, only if nobody waits for it, and
  only by taking its lock for good: a thread that read the entry just before cannot
  acquire that lock any more, and looks again under the mutex;
- so a thread holds an id's lock only by acquiring the lock of the id's one entry.
"""

from __future__ import annotations

import threading
from collections.abc import Container

__all__ = ["LockTable"]


class _Entry:
    """One id's lock and the number of threads waiting for it."""

    __slots__ = ("lock", "waiting")

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self.waiting = 0


class LockTable:
    """Per-id thread locks: :meth:`acquire` and :meth:`release` one id at a time.

    Args:
        sweep_at: how many entries the table may hold before idle ones are dropped
            (the threshold then follows the number still in use).
    """

    def __init__(self, sweep_at: int = 1024) -> None:
        self._mutex = threading.Lock()
        self._locks: dict[str, _Entry] = {}
        self._min_sweep_at = self._sweep_at = sweep_at

    def acquire(self, key: str, timeout: float | None) -> bool:
        """Take ``key``'s lock, waiting at most ``timeout`` seconds (None: forever).

        Returns:
            True once held; False if ``timeout`` seconds passed first.
        """
        entry = self._locks.get(key)
        if entry is not None and entry.lock.acquire(False):
            return True  # PERF: the usual case, an idle lock: no mutex
        mutex = self._mutex
        mutex.acquire()
        try:
            entry = self._locks.get(key)
            if entry is None:
                lock = threading.Lock()
                lock.acquire()
                self._locks[key] = _Entry(lock)
                if len(self._locks) > self._sweep_at:
                    self._sweep()
                return True
            if entry.lock.acquire(False):
                return True
            entry.waiting += 1
        finally:
            mutex.release()
        return self._wait(entry, timeout)

    def _wait(self, entry: _Entry, timeout: float | None) -> bool:
        """Wait for a lock another thread holds (counted, so the sweep leaves it)."""
        try:
            return entry.lock.acquire(timeout=-1 if timeout is None else timeout)
        finally:
            with self._mutex:
                entry.waiting -= 1

    def release(self, key: str) -> None:
        """Release ``key``'s lock (held by this thread since :meth:`acquire`)."""
        # The entry stays for the next request: no sweep removes a held lock's entry.
        self._locks[key].lock.release()

    def _sweep(self, keep: Container[str] = ()) -> None:
        """Drop the entries nobody holds or waits for, but ``keep``'s (mutex held)."""
        for key, entry in list(self._locks.items()):
            # Taking the lock for good makes a stale reference to the entry useless.
            if key not in keep and not entry.waiting and entry.lock.acquire(False):
                del self._locks[key]
        self._sweep_at = max(self._min_sweep_at, 2 * len(self._locks))

    def drop_idle(self, keep: Container[str] = ()) -> None:
        """Drop the entries nobody holds or waits for, except the ids in ``keep``.

        A store's expiry sweep calls it with its live ids, so the lock of a session
        that is gone does not stay until the table grows (CherryPy's RAM store drops
        them in its sweep too).
        """
        with self._mutex:
            self._sweep(keep)

    def __len__(self) -> int:
        """The number of ids locked now (held, or awaited); idle entries do not count.

        An idle entry is an implementation detail kept for speed; what CherryPy code
        asks with ``len(RamSession.locks)`` is how many sessions are locked.
        """
        with self._mutex:
            return sum(1 for entry in self._locks.values() if entry.waiting or entry.lock.locked())
