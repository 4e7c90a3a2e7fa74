"""An app whose engine start listener fails: the failure happens when serving starts."""

import framework


def connect():
    raise ConnectionError("cannot reach the <cache> server")


framework.engine.subscribe("start", connect)


class Root:
    @framework.expose
    def index(self):
        return "unreachable"
