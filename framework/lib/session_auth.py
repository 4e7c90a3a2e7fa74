"""``tools.session_auth``: a login form backed by the session (CherryPy's ``SessionAuth``).

Switch it on together with sessions and give it a password check::

    def check(username, password):
        if not known_user(username, password):
            return "Wrong login or password"       # an error message refuses the login

    class Root:
        _cp_config = {
            "tools.sessions.on": True,
            "tools.session_auth.on": True,
            "tools.session_auth.check_username_and_password": check,
        }

Every page of the path then needs a logged-in session: without one the login form is
shown (``login_screen``); it posts to ``do_login``, and ``do_logout`` ends the login.
Both accept POST only (405 with ``Allow: POST`` otherwise), so a link or an image on
another site can neither log a user in nor out. After a successful login the
session gets a new id (so an id planted before the login is worthless) and the user is
sent back to ``from_page`` when it is on this site (else to the site root). On every
request ``request.login`` is the user name. Any :class:`SessionAuth` attribute is a
config argument: ``on_login``, ``on_logout``, ``on_check``, ``anonymous``,
``login_screen``, ``session_key``...

Where CherryPy is unsafe, this differs: without a ``check_username_and_password`` every
login is refused (CherryPy accepts any), values shown in the form are HTML-escaped,
``from_page`` cannot send the user to another site, and the id is regenerated at login
and logout.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from framework.context import current
from framework.core.tools import HandlerTool
from framework.errors import HTTPError, HTTPRedirect
from framework.helpers import url

if TYPE_CHECKING:
    from framework.core.plan import Plan
    from framework.core.request import Request
    from framework.core.response import Response

__all__ = ["SessionAuth", "SessionAuthTool", "session_auth"]

_NO_CHECK = "Logging in is not possible: no check_username_and_password is configured."

_LOGIN_SCREEN = """<html><body>
Message: {error_msg}
<form method="post" action="do_login">
    Login: <input type="text" name="username" value="{username}" size="10" />
    <br />
    Password: <input type="password" name="password" size="10" />
    <br />
    <input type="hidden" name="from_page" value="{from_page}" />
    <br />
    <input type="submit" />
</form>
</body></html>"""


def _pair() -> tuple[Request, Response]:
    pair = current()
    assert pair is not None
    return pair


def _session() -> Any:
    session = _pair()[0].session
    if session is None:
        raise RuntimeError(
            "tools.session_auth needs sessions: switch tools.sessions on for this path."
        )
    return session


class SessionAuth:
    """Assert that the user is logged in; serve the login and logout pages.

    Every attribute may be replaced by a ``tools.session_auth.<name>`` config entry.
    """

    session_key = "username"
    debug = False

    def check_username_and_password(self, username: str, password: str) -> str | None:
        """Return an error message to refuse the login, or None to accept it.

        # COMPAT: CherryPy's default accepts every login; this one refuses all until
        a check is configured.
        """
        return _NO_CHECK

    def anonymous(self) -> str | None:
        """A user name for visitors who did not log in (None: they must log in)."""
        return None

    def on_login(self, username: str) -> None:
        """Called after a successful login."""

    def on_logout(self, username: str) -> None:
        """Called after a logout."""

    def on_check(self, username: str) -> None:
        """Called on every request of a logged-in user."""

    def login_screen(
        self,
        from_page: str | None = "..",
        username: str = "",
        error_msg: str = "",
        **kwargs: Any,
    ) -> bytes:
        """The login form (every value HTML-escaped); no ``from_page`` means ``..``."""
        if from_page is None:
            from_page = ".."
        return _LOGIN_SCREEN.format(
            error_msg=html.escape(error_msg),
            username=html.escape(username, quote=True),
            from_page=html.escape(from_page, quote=True),
        ).encode("utf-8")

    def do_login(
        self, username: str = "", password: str = "", from_page: str = "..", **kwargs: Any
    ) -> bool:
        """Check the credentials: show the form again, or log in and redirect.

        Raises:
            HTTPRedirect: to ``from_page`` (on this site) after a successful login.
        """
        error_msg = self.check_username_and_password(username, password)
        if error_msg:
            self._show(self.login_screen(from_page, username, error_msg))
            return True
        session = _session()
        session.regenerate()  # an id planted before the login must not carry it
        _pair()[0].login = username
        session[self.session_key] = username
        self.on_login(username)
        raise HTTPRedirect(_same_site(from_page))

    def do_logout(self, from_page: str = "..", **kwargs: Any) -> bool:
        """Log out and redirect.

        Raises:
            HTTPRedirect: to ``from_page`` (on this site).
        """
        session = _session()
        username = session.get(self.session_key)
        session[self.session_key] = None
        session.regenerate()
        if username:
            _pair()[0].login = None
            self.on_logout(username)
        raise HTTPRedirect(_same_site(from_page))

    def do_check(self) -> bool | None:
        """Let a logged-in user through (``request.login`` set); else show the form."""
        request = _pair()[0]
        session = _session()
        username = session.get(self.session_key)
        if not username:
            username = self.anonymous()
            session[self.session_key] = username
        if not username:
            self._show(self.login_screen(url(qs=request.query_string)))
            return True
        request.login = username
        self.on_check(username)
        return None

    def _show(self, body: bytes) -> None:
        response = _pair()[1]
        response.body = body
        response.headers.pop("Content-Length", None)

    def run(self) -> bool | None:
        """Serve the login/logout paths or check the login; True when answered here.

        Raises:
            HTTPError: 405 for a login or logout that is not a POST.
        """
        request, response = _pair()
        path = request.path_info
        if path.endswith("login_screen"):
            self._show(self.login_screen())
            return True
        for suffix, action in (("do_login", self.do_login), ("do_logout", self.do_logout)):
            if path.endswith(suffix):
                if request.method != "POST":
                    response.headers["Allow"] = "POST"
                    raise HTTPError(405)
                return action(**request.params)
        return self.do_check()


def _same_site(target: str) -> str:
    """``target`` resolved against the current page, or the site root if it leaves the site."""
    request = _pair()[0]
    here = request.base + request.script_name + request.path_info
    resolved = urljoin(here, target or "/")
    parts, site = urlsplit(resolved), urlsplit(request.base)
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc) or "\\" in target:
        return request.base + (request.script_name or "") + "/"
    return resolved


def session_auth(**kwargs: Any) -> bool | None:
    """Run :class:`SessionAuth` with ``kwargs`` as attributes (CherryPy's tool callable).

    Returns:
        True when the login form or page answered the request (the handler is skipped).
    """
    auth = SessionAuth()
    for name, value in kwargs.items():
        setattr(auth, name, value)
    return auth.run()


class SessionAuthTool(HandlerTool):
    """``tools.session_auth``: its arguments are :class:`SessionAuth`'s attributes."""

    def __init__(self, callable: Callable[..., Any] = session_auth) -> None:
        super().__init__(callable)

    def arguments(self) -> frozenset[str]:
        """Every public attribute of :class:`SessionAuth`."""
        return frozenset(name for name in dir(SessionAuth) if not name.startswith("_"))

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Prepare one :class:`SessionAuth` for the path; run it before the handler.

        # PERF: CherryPy builds a SessionAuth per request; it keeps no request state,
        so one per path serves every request of it.
        """
        priority = self.priority_for(conf)
        auth = SessionAuth()
        for name, value in conf.items():
            setattr(auth, name, value)

        def check() -> None:
            if auth.run():
                _pair()[0].handler = None

        plan.hooks.attach(self._point, check, priority=priority)
