"""A session counter site for the multi-process tests, configured from the environment.

``SESSION_STORE`` picks the store (``redis`` by default, with ``REDIS_URL`` and
``SESSION_PREFIX``). Run as a script it serves on cheroot at ``PORT``; gunicorn
imports ``application``.
"""

from __future__ import annotations

import os

import framework


class Site:
    @framework.expose
    def start(self) -> str:
        framework.session["count"] = 0
        return framework.session.id

    @framework.expose
    def incr(self) -> str:
        framework.session["count"] += 1
        return str(framework.session["count"])

    @framework.expose
    def peek(self) -> str:
        return str(framework.session.get("count"))

    @framework.expose
    def pid(self) -> str:
        return str(os.getpid())


CONFIG = {
    "/": {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": os.environ.get("SESSION_STORE", "redis"),
        "tools.sessions.url": os.environ.get("REDIS_URL"),
        "tools.sessions.prefix": os.environ.get("SESSION_PREFIX", "session:"),
        "tools.sessions.socket_timeout": 5,
    }
}
application = framework.tree.mount(Site(), "", CONFIG)

if __name__ == "__main__":
    framework.config.update(
        {
            "environment": "production",
            "server.socket_port": int(os.environ["PORT"]),
            "server.thread_pool": 10,
            "log.screen": False,
        }
    )
    framework.quickstart(Site(), "", CONFIG)
