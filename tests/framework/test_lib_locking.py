"""framework.lib.locking: CherryPy's lock timers."""

from __future__ import annotations

import datetime

import pytest

from framework.lib import locking
from framework.lib.sessions.base import LockTimeout


def test_timers() -> None:
    assert locking.NeverExpires().expired() is False
    assert locking.Timer.after(datetime.timedelta(seconds=60)).expired() is False
    assert locking.Timer.after(-1).expired() is True
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    assert locking.Timer(past).expired() is True


def test_lock_checker_raises_the_session_lock_timeout() -> None:
    assert locking.LockChecker("abc", None).expired() is False
    assert locking.LockChecker("abc", 60).expired() is False
    with pytest.raises(LockTimeout) as info:
        locking.LockChecker("abcdef1234567890", -1).expired()
    assert info.value.code == 503
    assert locking.LockTimeout is LockTimeout
