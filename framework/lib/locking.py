"""Lock timers: CherryPy's ``cherrypy.lib.locking``, for code that waits on a lock.

:class:`LockChecker` tells a polling loop when to give up: its :meth:`~LockChecker.expired`
raises :class:`LockTimeout` once the timeout has passed. :class:`LockTimeout` is the
session lock timeout of :mod:`framework.lib.sessions` (a 503), so code catching this
name also catches a session that stayed locked too long.
"""

from __future__ import annotations

import datetime

from framework.lib.sessions.base import LockTimeout

__all__ = ["LockChecker", "LockTimeout", "NeverExpires", "Timer"]


class NeverExpires:
    """A timer that never expires (no timeout)."""

    def expired(self) -> bool:
        """Always False."""
        return False


class Timer:
    """Expires at ``expiration`` (an aware UTC datetime)."""

    def __init__(self, expiration: datetime.datetime) -> None:
        self.expiration = expiration

    @classmethod
    def after(cls, elapsed: datetime.timedelta | float) -> Timer:
        """A timer expiring ``elapsed`` (a timedelta, or seconds) from now."""
        if not isinstance(elapsed, datetime.timedelta):
            elapsed = datetime.timedelta(seconds=elapsed)
        return cls(datetime.datetime.now(datetime.UTC) + elapsed)

    def expired(self) -> bool:
        """True once the expiration time has passed."""
        return datetime.datetime.now(datetime.UTC) >= self.expiration


class LockChecker:
    """Detect that waiting for session ``session_id``'s lock took longer than ``timeout``.

    Args:
        session_id: the session whose lock is awaited (named in the error).
        timeout: seconds (or a timedelta); a false value waits for ever.
    """

    def __init__(self, session_id: str, timeout: datetime.timedelta | float | None) -> None:
        self.session_id = session_id
        self.timeout = timeout
        self.timer: Timer | NeverExpires = Timer.after(timeout) if timeout else NeverExpires()

    def expired(self) -> bool:
        """False while there is time left.

        Raises:
            LockTimeout: the timeout has passed.
        """
        if self.timer.expired():
            seconds = (
                self.timeout.total_seconds()
                if isinstance(self.timeout, datetime.timedelta)
                else self.timeout
            )
            raise LockTimeout(self.session_id, seconds)
        return False
