"""A framework root class for the serve tests; tests rewrite VERSION."""

import framework

VERSION = "v1"


class Root:
    @framework.expose
    def index(self):
        return VERSION

    @framework.expose
    def setting(self):
        return str(framework.request.config.get("app.greeting", "unset"))
