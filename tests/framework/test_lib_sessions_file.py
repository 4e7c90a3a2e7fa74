"""FileSession: atomic writes, a full disk, lock files and the clean-up sweep."""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from session_apps import Counter

import framework
from framework.lib import sessions
from framework.lib.sessions import FileSession
from framework.testing import Client

ROOT = Path(__file__).resolve().parents[2]


def file_client(path: Path, **extra: Any) -> Client:
    conf = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "file",
        "tools.sessions.storage_path": str(path),
        **extra,
    }
    return Client(Counter(), config={"/": conf})


def stored(path: Path, sid: str) -> Any:
    with open(path / f"session-{sid}", "rb") as f:
        return pickle.load(f)[0]


def test_sessions_are_files_named_after_the_id(tmp_path: Path) -> None:
    c = file_client(tmp_path)
    c.get("/remember", params={"user": "alice"})
    sid = c.cookies["session_id"]
    assert stored(tmp_path, sid) == {"user": "alice"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"session-{sid}"]
    assert (tmp_path / f"session-{sid}").stat().st_mode & 0o077 == 0


def test_the_storage_directory_is_created_private(tmp_path: Path) -> None:
    file_client(tmp_path / "new" / "dir").get("/")
    assert (tmp_path / "new" / "dir").stat().st_mode & 0o777 == 0o700


def test_no_lock_file_is_left_for_sessions_never_stored(tmp_path: Path) -> None:
    c = file_client(tmp_path)
    for _ in range(3):
        c.get("/plain")
    assert list(tmp_path.iterdir()) == []


class Unpicklable:
    def __reduce__(self) -> Any:
        raise RuntimeError("cannot pickle this")


class Breaker:
    @framework.expose
    def index(self) -> str:
        session = sessions.current()
        session["user"] = "alice"
        session["padding"] = "x" * 100_000
        return "ok"

    @framework.expose
    def fail(self) -> str:
        session = sessions.current()
        session["user"] = "mallory"
        session["bad"] = Unpicklable()  # pickling fails half way through the file
        return "too late"


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    conf = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "file",
        "tools.sessions.storage_path": str(tmp_path),
    }
    c = Client(Breaker(), config={"/": conf})
    c.get("/")
    sid = c.cookies["session_id"]
    assert c.get("/fail").status_code == 500
    assert stored(tmp_path, sid)["user"] == "alice"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"session-{sid}"]


WRITER = """
import os, sys
from framework.lib.sessions import FileSession

path, sid = sys.argv[1], sys.argv[2]
n = 0
print("ready", flush=True)
while True:
    n += 1
    session = FileSession(sid, storage_path=path, clean_freq=0)
    session.acquire_lock()
    session["n"] = n
    session["blob"] = os.urandom(4_000_000)
    session.save()
"""


def test_a_crash_mid_write_never_leaves_a_torn_or_empty_file(tmp_path: Path) -> None:
    c = file_client(tmp_path)
    c.get("/")
    sid = c.cookies["session_id"]
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(WRITER))
    store = tmp_path
    for delay in (0.05, 0.13, 0.21, 0.34, 0.55):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(store), sid],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(delay)  # let it be somewhere in a write, then kill it there
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
        data = stored(store, sid)
        assert "count" in data or "n" in data  # a complete pickle, never a torn one
    # Killed writers may leave temporary files; the sweep removes them once stale.
    (store / ".tmp-session-orphan").write_bytes(b"half a pickle")
    FileSession(None, storage_path=str(store), stale_temp_age=0).clean_up()
    assert not list(store.glob(".tmp-*"))
    assert c.get("/show").status_code == 200


# -- a full disk -------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs of our own (root only: fails under CI if it cannot be made)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        message = f"cannot mount a small tmpfs to fill: {done.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (65536, 4096, 512, 64, 1):
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * size)
    with contextlib.suppress(OSError):
        (disk / "probe").write_bytes(b"x" * 4096)
    probe = disk / "probe"
    if probe.exists():
        assert probe.stat().st_size < 4096
        probe.unlink()
    return filler


def test_a_full_disk_answers_503_and_keeps_every_session(small_disk: Path) -> None:
    store = small_disk / "sessions"
    alice = file_client(store)
    alice.get("/remember", params={"user": "alice"})
    sid = alice.cookies["session_id"]

    filler = fill(small_disk)
    with pytest.raises(OSError) as full:
        (small_disk / "more").write_bytes(b"x" * 8192)
    assert full.value.errno == errno.ENOSPC

    response = alice.get("/remember", params={"note": "y" * 20_000})
    assert response.status_code == 503
    assert "session store is unavailable" in response.text
    newcomer = file_client(store)
    assert newcomer.get("/remember", params={"user": "bob", "x": "z" * 20_000}).status_code == 503
    # Alice's session is intact on disk, and no temporary file was left behind.
    assert stored(store, sid) == {"user": "alice"}
    assert [p.name for p in store.iterdir() if not p.name.endswith(".lock")] == [f"session-{sid}"]

    filler.unlink()
    assert alice.get("/show").text == "user=alice"
    assert alice.cookies["session_id"] == sid


# -- the sweep ---------------------------------------------------------------------------
def test_clean_up_removes_expired_files_and_their_locks(tmp_path: Path) -> None:
    old = file_client(tmp_path, **{"tools.sessions.timeout": 1 / 600})
    old.get("/")
    live = file_client(tmp_path)
    live.get("/")
    (tmp_path / "notes.txt").write_text("not a session")
    expired = tmp_path / f"session-{old.cookies['session_id']}"
    deadline = time.monotonic() + 5
    while expired.exists():
        FileSession(None, storage_path=str(tmp_path)).clean_up()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert f"session-{live.cookies['session_id']}" in names
    assert "notes.txt" in names
    assert not [n for n in names if n.endswith(".lock")]


def test_clean_up_skips_a_session_in_use(tmp_path: Path) -> None:
    c = file_client(tmp_path, **{"tools.sessions.timeout": 1 / 600})
    c.get("/")
    sid = c.cookies["session_id"]
    holder = FileSession(sid, storage_path=str(tmp_path))
    time.sleep(0.2)  # let it expire
    holder._id = sid  # it expired, but this request still holds it
    holder.acquire_lock()
    try:
        FileSession(None, storage_path=str(tmp_path)).clean_up()
        assert (tmp_path / f"session-{sid}").exists()
    finally:
        holder.release_lock()


def test_len_counts_session_files(tmp_path: Path) -> None:
    for _ in range(3):
        file_client(tmp_path).get("/")
    assert len(FileSession(None, storage_path=str(tmp_path))) == 3
