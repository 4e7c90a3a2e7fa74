"""LockTable: one lock per session id, across threads, while idle locks are swept."""

from __future__ import annotations

import threading
import time

import pytest

from framework.lib.sessions.locks import LockTable


def hammer(table: LockTable, keys: list[str], threads: int, rounds: int) -> dict[str, int]:
    """Threads increment a per-key counter with a read, a pause and a write, under the lock.

    Without mutual exclusion the pause lets increments overwrite each other.
    """
    counts = dict.fromkeys(keys, 0)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(rounds):
                key = keys[(offset + i) % len(keys)]
                assert table.acquire(key, 10)
                try:
                    value = counts[key]
                    time.sleep(0)  # let another thread run inside the critical section
                    counts[key] = value + 1
                finally:
                    table.release(key)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    return counts


def test_one_thread_at_a_time_holds_an_id() -> None:
    counts = hammer(LockTable(), ["a"], threads=8, rounds=200)
    assert counts == {"a": 1600}


def test_no_lost_update_while_idle_locks_are_swept_all_the_time() -> None:
    # sweep_at=1: nearly every new entry sweeps the table, racing the lock-free path.
    keys = [f"{n:040x}" for n in range(6)]
    counts = hammer(LockTable(sweep_at=1), keys, threads=8, rounds=300)
    assert sum(counts.values()) == 2400
    assert all(count == 400 for count in counts.values())


def test_ids_do_not_block_each_other() -> None:
    table = LockTable()
    assert table.acquire("a", 0)
    assert table.acquire("b", 0)
    table.release("a")
    table.release("b")


def test_a_held_id_times_out_then_is_free_again() -> None:
    table = LockTable()
    assert table.acquire("a", None)
    outcome: list[bool] = []
    waiter = threading.Thread(target=lambda: outcome.append(table.acquire("a", 0.05)))
    waiter.start()
    waiter.join(10)
    assert outcome == [False]
    table.release("a")
    assert table.acquire("a", 0)
    table.release("a")


def test_a_waiter_gets_the_lock_when_it_is_released() -> None:
    table = LockTable()
    assert table.acquire("a", None)
    got = threading.Event()

    def wait() -> None:
        if table.acquire("a", 10):
            got.set()
            table.release("a")

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert not got.wait(0.05)
    table.release("a")
    assert got.wait(10)
    waiter.join(10)


def test_idle_locks_are_swept_once_the_table_grows() -> None:
    table = LockTable(sweep_at=8)
    for n in range(100):
        assert table.acquire(str(n), 0)
        table.release(str(n))
    assert len(table._locks) <= 9
    assert len(table) == 0


def test_the_sweep_keeps_held_and_awaited_locks() -> None:
    table = LockTable(sweep_at=2)
    assert table.acquire("held", 0)
    for n in range(10):
        assert table.acquire(str(n), 0)
        table.release(str(n))
    # Still the same, held lock: nobody else can take it.
    outcome: list[bool] = []
    other = threading.Thread(target=lambda: outcome.append(table.acquire("held", 0.01)))
    other.start()
    other.join(10)
    assert outcome == [False]
    table.release("held")


def test_a_lock_read_before_the_sweep_cannot_be_taken_after_it() -> None:
    table = LockTable(sweep_at=1)
    assert table.acquire("a", 0)
    table.release("a")
    stale = table._locks["a"]
    assert table.acquire("b", 0)  # the table grows past sweep_at: "a" is swept
    assert "a" not in table._locks
    # A thread that read the entry just before the sweep fails to take its lock, and
    # takes the id's new lock instead: never two holders of one id.
    assert not stale.lock.acquire(False)
    assert table.acquire("a", 0)
    assert table._locks["a"] is not stale
    table.release("a")
    table.release("b")


@pytest.mark.parametrize("timeout", [None, 0, 0.01])
def test_an_idle_id_is_taken_at_once_whatever_the_timeout(timeout: float | None) -> None:
    table = LockTable()
    for _ in range(3):
        assert table.acquire("a", timeout)
        table.release("a")


def test_drop_idle_keeps_held_awaited_and_kept_locks() -> None:
    table = LockTable()
    for key in ("idle", "kept", "held", "awaited"):
        assert table.acquire(key, 0)
    for key in ("idle", "kept"):
        table.release(key)
    got = threading.Event()

    def wait_for_it() -> None:
        if table.acquire("awaited", 10):
            got.set()
            table.release("awaited")

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    deadline = time.monotonic() + 10
    while table._locks["awaited"].waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.001)
    table.drop_idle(keep={"kept"})
    assert sorted(table._locks) == ["awaited", "held", "kept"]
    table.release("awaited")
    assert got.wait(10)
    waiter.join(10)
    table.release("held")
    table.drop_idle()
    assert table._locks == {}


def test_len_counts_the_ids_locked_now_not_idle_entries() -> None:
    table = LockTable()
    for key in ("a", "b"):
        assert table.acquire(key, 0)
    assert (len(table), bool(table)) == (2, True)
    table.release("a")
    assert len(table) == 1
    table.release("b")
    assert (len(table), bool(table)) == (0, False)
    assert sorted(table._locks) == ["a", "b"]  # kept for speed, idle
