"""An app for cherry serve --workers: its version, the serving process, a slow page."""

import os
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
    def pid(self, delay="0"):
        time.sleep(float(delay))
        return str(os.getpid())

    @framework.expose
    def slow(self, seconds="2"):
        (HERE / "started").write_text(VERSION)
        time.sleep(float(seconds))
        return f"slow {VERSION}"
