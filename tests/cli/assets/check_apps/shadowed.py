"""Only a warning: an exposed method a MethodDispatcher section never calls."""

import framework


class Items:
    exposed = True

    def GET(self):
        return "items"

    @framework.expose
    def report(self):
        return "never reached"


class Root:
    _cp_config = {}
    items = Items()

    @framework.expose
    def index(self):
        return "home"


application = framework.Application(
    Root(), "", {"/items": {"request.dispatch": framework.dispatch.MethodDispatcher()}}
)
