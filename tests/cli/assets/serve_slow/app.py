"""A page that takes its time: /slow writes ``started`` when it begins, then sleeps."""

import pathlib
import time

import framework

VERSION = "v1"
HERE = pathlib.Path(__file__).parent


class Root:
    @framework.expose
    def index(self):
        return VERSION

    @framework.expose
    def slow(self, seconds="3"):
        (HERE / "started").write_text(VERSION)
        time.sleep(float(seconds))
        return f"slow {VERSION}"
