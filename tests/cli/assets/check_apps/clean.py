"""An app with nothing to report."""

import framework


class Root:
    @framework.expose
    def index(self):
        return "home"
