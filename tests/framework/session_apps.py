"""Apps and store settings shared by the session tests."""

from __future__ import annotations

from typing import Any

import pytest

import framework
from framework.lib import sessions


class Counter:
    """Counts visits in the session; a few pages exercise the session API."""

    @framework.expose
    def index(self) -> str:
        count = framework.session.get("count", 0) + 1
        framework.session["count"] = count
        return str(count)

    @framework.expose
    def plain(self) -> str:
        return "no session used"

    @framework.expose
    def whoami(self) -> str:
        return sessions.current().id

    @framework.expose
    def remember(self, **values: str) -> str:
        sessions.current().update(values)
        return "ok"

    @framework.expose
    def show(self) -> str:
        session = sessions.current()
        return ",".join(f"{k}={session[k]}" for k in sorted(session.keys()))

    @framework.expose
    def regenerate(self) -> str:
        framework.tools.sessions.regenerate()
        return sessions.current().id

    @framework.expose
    def logout(self) -> str:
        sessions.expire()
        return "bye"

    @framework.expose
    def delete(self) -> str:
        sessions.current().delete()
        return "deleted"


def store_config(kind: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """``tools.sessions.*`` settings for one store, on this test's own keys or directory."""
    conf: dict[str, Any] = {"tools.sessions.on": True, "tools.sessions.storage_type": kind}
    if kind == "file":
        conf["tools.sessions.storage_path"] = str(request.getfixturevalue("tmp_path") / "s")
    elif kind == "redis":
        conf["tools.sessions.url"] = request.getfixturevalue("redis_url")
        conf["tools.sessions.prefix"] = request.getfixturevalue("key_prefix")
    elif kind == "memcached":
        conf["tools.sessions.servers"] = request.getfixturevalue("memcached_servers")
        conf["tools.sessions.prefix"] = request.getfixturevalue("key_prefix")
    return conf


STORES = ["ram", "file", "memcached", "redis"]
