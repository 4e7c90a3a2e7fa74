"""``tools.sessions`` on every store: the mapping API, ids, cookies, life cycle, locking."""

from __future__ import annotations

import datetime
import io
import os
import pickle
import re
import time
from pathlib import Path
from typing import Any

import pytest
from session_apps import STORES, Counter, store_config

import framework
from framework.lib import sessions
from framework.lib.sessions import FileSession, RamSession, Session
from framework.testing import Client, TestResponse


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> dict[str, Any]:
    return store_config(request.param, request)


def client(conf: dict[str, Any], **extra: Any) -> Client:
    return Client(Counter(), config={"/": {**conf, **extra}})


def set_cookie(response: TestResponse) -> str:
    (header,) = [h for h in response.headers.get_all("Set-Cookie") if h.startswith("session_id=")]
    return header


def test_a_session_keeps_data_between_requests(store: dict[str, Any]) -> None:
    c = client(store)
    assert [c.get("/").text for _ in range(3)] == ["1", "2", "3"]
    assert client(store).get("/").text == "1"  # another browser, another session


def test_ids_are_40_hex_characters_from_secrets(store: dict[str, Any]) -> None:
    ids = {client(store).get("/whoami").text for _ in range(5)}
    assert len(ids) == 5
    assert all(re.fullmatch(r"[0-9a-f]{40}", i) for i in ids)


def test_the_cookie_is_httponly_samesite_lax_and_lasts_the_timeout(store: dict[str, Any]) -> None:
    header = set_cookie(client(store).get("/"))
    assert re.fullmatch(r"session_id=[0-9a-f]{40}; .*", header)
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600", "expires="):
        assert attribute in header
    assert "Secure" not in header


def test_cookie_options(store: dict[str, Any]) -> None:
    options = {
        "tools.sessions.name": "sid",
        "tools.sessions.path": "/app",
        "tools.sessions.domain": "example.com",
        "tools.sessions.secure": True,
        "tools.sessions.httponly": False,
        "tools.sessions.samesite": "Strict",
        "tools.sessions.timeout": 5,
    }
    response = client(store, **options).get("/")
    (header,) = response.headers.get_all("Set-Cookie")
    assert header.startswith("sid=")
    for attribute in (
        "Path=/app",
        "Domain=example.com",
        "Secure",
        "SameSite=Strict",
        "Max-Age=300",
    ):
        assert attribute in header
    assert "HttpOnly" not in header


def test_the_session_cookie_can_be_changed_through_response_cookie() -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            # As in CherryPy, the tool has put the cookie there before the handler runs.
            morsel = framework.response.cookie["session_id"]
            assert morsel.value == sessions.current().id and morsel["path"] == "/"
            morsel["secure"] = True
            return "ok"

    header = set_cookie(client_for_root(Root(), sessions_on=True).get("/"))
    assert "Secure" in header and "HttpOnly" in header and "Path=/" in header


def test_non_persistent_cookie_ends_with_the_browser(store: dict[str, Any]) -> None:
    header = set_cookie(client(store, **{"tools.sessions.persistent": False}).get("/"))
    assert "Max-Age" not in header and "expires" not in header.lower()


def test_path_header_sets_the_cookie_path(store: dict[str, Any]) -> None:
    c = client(store, **{"tools.sessions.path_header": "X-Script-Path"})
    assert "Path=/mounted" in set_cookie(c.get("/", headers={"X-Script-Path": "/mounted"}))
    # The formatted attributes are kept per path: the next path gets its own.
    assert "Path=/other" in set_cookie(c.get("/", headers={"X-Script-Path": "/other"}))
    assert "Path=/;" in set_cookie(c.get("/"))


@pytest.mark.parametrize(
    "bad_id",
    [
        "0" * 40,  # well formed, never issued
        "deadbeef",  # too short
        "../../../../etc/passwd",
        "..%2f..%2fsecret",
        "A" * 40,  # upper case: not what we issue
        "0" * 39 + "g",
        "0" * 200,
    ],
)
def test_ids_the_server_did_not_issue_are_never_adopted(
    store: dict[str, Any], bad_id: str, tmp_path: Path
) -> None:
    c = client(store)
    c.cookies.set("session_id", bad_id)
    response = c.get("/whoami")
    assert response.status_code == 200
    assert response.text != bad_id
    assert re.fullmatch(r"[0-9a-f]{40}", response.text)
    # Nothing named after the id was created anywhere under the test's directory.
    assert not [p for p in tmp_path.rglob("*") if "passwd" in p.name or "secret" in p.name]


def test_an_expired_session_is_never_adopted(store: dict[str, Any]) -> None:
    c = client(store, **{"tools.sessions.timeout": 1 / 60})  # one second
    assert c.get("/").text == "1"
    first = c.cookies["session_id"]
    assert c.get("/").text == "2"
    deadline = time.monotonic() + 10
    while c.get("/whoami").text == first:
        assert time.monotonic() < deadline, "the session never expired"
        time.sleep(0.1)
    assert c.get("/").text == "1"


def test_regenerate_keeps_the_data_under_a_new_id(store: dict[str, Any]) -> None:
    c = client(store)
    c.get("/remember", params={"user": "alice"})
    old = c.cookies["session_id"]
    new = c.get("/regenerate").text
    assert new != old and c.cookies["session_id"] == new
    assert c.get("/show").text == "user=alice"
    # The old id is dead everywhere: presenting it starts a new, empty session.
    thief = client(store)
    thief.cookies.set("session_id", old)
    assert thief.get("/show").text == ""
    assert thief.cookies["session_id"] != old


def test_expire_ends_the_session_in_the_browser_and_on_the_server(store: dict[str, Any]) -> None:
    c = client(store)
    c.get("/remember", params={"user": "alice"})
    old = c.cookies["session_id"]
    response = c.get("/logout")
    header = set_cookie(response)
    assert "Max-Age=0" in header
    thief = client(store)
    thief.cookies.set("session_id", old)
    assert thief.get("/show").text == ""


def test_delete_drops_the_data_and_the_id(store: dict[str, Any]) -> None:
    c = client(store)
    c.get("/remember", params={"user": "alice"})
    old = c.cookies["session_id"]
    c.get("/delete")
    assert c.get("/show").text == ""
    assert c.cookies["session_id"] != old


def test_a_page_that_does_not_touch_the_session_does_not_store_it(store: dict[str, Any]) -> None:
    c = client(store)
    c.get("/plain")
    first = c.cookies["session_id"]
    c.get("/plain")
    # Never stored, so never adopted: CherryPy does the same.
    assert c.cookies["session_id"] != first


# -- the mapping API and explicit locking ----------------------------------------------
class Api:
    @framework.expose
    def index(self) -> str:
        s = sessions.current()
        s["a"] = 1
        s.update({"b": 2}, c=3)
        assert s.setdefault("d", 4) == 4 and s.setdefault("a", 9) == 1
        assert s.pop("d") == 4 and s.pop("zz", None) is None
        del s["c"]
        assert "a" in s and "c" not in s
        assert sorted(s.keys()) == ["a", "b"] and sorted(s.values()) == [1, 2]
        assert sorted(s.items()) == [("a", 1), ("b", 2)] and sorted(s) == ["a", "b"]
        with pytest.raises(KeyError):
            s.pop("missing")
        return repr(sorted(s.items()))

    @framework.expose
    def clear(self) -> str:
        s = sessions.current()
        s.clear()
        return str(len(list(s)))

    @framework.expose
    def explicit(self) -> str:
        s = sessions.current()
        assert not s.locked
        s.acquire_lock()
        assert s.locked
        s["n"] = s.get("n", 0) + 1
        s.release_lock()
        assert not s.locked
        return str(s["n"])


def test_the_mapping_api(store: dict[str, Any]) -> None:
    c = Client(Api(), config={"/": store})
    assert c.get("/").text == "[('a', 1), ('b', 2)]"
    assert c.get("/clear").text == "0"


def test_explicit_locking(store: dict[str, Any]) -> None:
    c = Client(Api(), config={"/": {**store, "tools.sessions.locking": "explicit"}})
    assert [c.get("/explicit").text for _ in range(2)] == ["1", "2"]


def test_an_unknown_locking_mode_is_refused() -> None:
    c = Client(Api(), config={"/": {"tools.sessions.on": True, "tools.sessions.locking": "lazy"}})
    response = c.get("/explicit")
    assert response.status_code == 500
    assert "locking must be" in response.text


def test_current_outside_the_tool_says_how_to_switch_it_on() -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            return sessions.current().id

    assert "tools.sessions.on" in Client(Root()).get("/").text


# -- the lock is released however the request ends ------------------------------------
class Endings:
    """A counter, and pages that end a session request in every way a request ends."""

    @framework.expose
    def index(self) -> str:
        count = framework.session.get("count", 0) + 1
        framework.session["count"] = count
        return str(count)

    @framework.expose
    def crash(self) -> str:
        framework.session["count"] = 100
        raise RuntimeError("boom")

    @framework.expose
    def missing(self) -> str:
        framework.session["count"] = 100
        raise framework.HTTPError(404)

    @framework.expose
    def redirect(self) -> str:
        framework.session["count"] = 100
        raise framework.InternalRedirect("/")

    @framework.expose
    def stream(self) -> Any:
        framework.response.stream = True

        def body() -> Any:
            yield self.index().encode()

        return body()


@pytest.mark.parametrize(
    ("page", "status", "then"),
    [
        ("crash", 500, "2"),  # an unexpected error: nothing saved
        ("missing", 404, "101"),  # an HTTP error still saves, as in CherryPy
        ("redirect", 200, "3"),  # the target locks the same session (no deadlock)
        ("stream", 200, "3"),  # saved and released once the body has been sent
    ],
)
def test_the_lock_is_released_however_the_request_ends(
    store: dict[str, Any], page: str, status: int, then: str
) -> None:
    # A lock left held would make the next request wait lock_timeout, then answer 503.
    c = Client(Endings(), config={"/": {**store, "tools.sessions.lock_timeout": 2}})
    assert c.get("/").text == "1"
    assert c.get(f"/{page}").status_code == status
    response = c.get("/")
    assert (response.status_code, response.text) == (200, then)


def test_the_lock_is_released_when_errors_are_thrown_to_the_server() -> None:
    conf = {"tools.sessions.on": True, "tools.sessions.lock_timeout": 2}
    c = Client(Endings(), config={"/": {**conf, "request.throw_errors": True}})
    assert c.get("/").text == "1"
    assert c.get("/crash").status_code == 500
    assert c.get("/").text == "2"


def test_a_normal_answer_releases_the_lock_before_the_body_is_sent() -> None:
    app = framework.Application(Endings(), "", {"/": {"tools.sessions.on": True}})
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.0",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    headers: list[tuple[str, str]] = []

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> Any:
        headers.extend(response_headers)
        return lambda data: None

    body = app(environ, start_response)
    (cookie,) = [v for k, v in headers if k == "Set-Cookie"]
    sid = cookie.split(";")[0].split("=")[1]
    # Another request on the session could lock it now, while this body is unsent.
    assert RamSession.locks.acquire(sid, 0)
    RamSession.locks.release(sid)
    assert b"".join(body) == b"1"
    getattr(body, "close", lambda: None)()


# -- store selection ----------------------------------------------------------------------
class Custom(RamSession):
    made: list[str] = []

    def _save(self, expiration_time: Any) -> None:
        Custom.made.append(self.id)
        super()._save(expiration_time)


@pytest.mark.parametrize("storage_class", [Custom, f"{__name__}.Custom"])
def test_a_custom_store_class(storage_class: Any) -> None:
    Custom.made.clear()
    c = client({"tools.sessions.on": True, "tools.sessions.storage_class": storage_class})
    assert [c.get("/").text for _ in range(2)] == ["1", "2"]
    assert Custom.made == [c.cookies["session_id"]] * 2


class OwnDefaults(RamSession):
    timeout = 5
    clean_freq = 5
    debug = 0  # falsy, but not the tool's default False


def test_the_tools_settings_reach_a_store_with_other_defaults() -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            s = sessions.current()
            return repr((s.timeout, s.clean_freq, s.debug, s.lock_timeout))

    conf = {"tools.sessions.on": True, "tools.sessions.storage_class": OwnDefaults}
    c = Client(Root(), config={"/": {**conf, "tools.sessions.lock_timeout": 7}})
    assert c.get("/").text == "(60, 5, False, 7)"


class Clocked(RamSession):
    ahead = datetime.timedelta(0)

    def now(self) -> datetime.datetime:
        return datetime.datetime.now() + self.ahead


def test_a_store_can_define_its_own_now(monkeypatch: pytest.MonkeyPatch) -> None:
    c = client({"tools.sessions.on": True, "tools.sessions.storage_class": Clocked})
    assert c.get("/").text == "1"
    first = c.cookies["session_id"]
    monkeypatch.setattr(Clocked, "ahead", datetime.timedelta(minutes=61))
    assert c.get("/").text == "1"  # expired by the store's clock: a new session
    assert c.cookies["session_id"] != first


def test_an_unknown_storage_type_is_refused() -> None:
    response = client({"tools.sessions.on": True, "tools.sessions.storage_type": "disk"}).get("/")
    assert response.status_code == 500
    assert "Unknown tools.sessions.storage_type 'disk'" in response.text


@pytest.mark.parametrize(
    ("store", "extra"),
    [("framework.lib.sessions.redis", "redis"), ("framework.lib.sessions.memcached", "memcached")],
)
def test_a_missing_client_library_names_the_extra(
    store: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    library = "redis" if extra == "redis" else "pymemcache"
    for name in [n for n in list(os.sys.modules) if n == library or n.startswith(library + ".")]:
        monkeypatch.delitem(os.sys.modules, name)
    monkeypatch.setitem(os.sys.modules, library, None)
    module = importlib.import_module(store)
    with pytest.raises(ImportError, match=rf"pip install 'cherrycli\[{extra}\]'"):
        getattr(module, "RedisSession" if extra == "redis" else "MemcachedSession").setup()


def test_storage_types_map_to_the_stores() -> None:
    from framework.lib.sessions.memcached import MemcachedSession
    from framework.lib.sessions.redis import RedisSession

    assert sessions.store_class(None, "RAM") is RamSession
    assert sessions.store_class(None, "file") is FileSession
    assert sessions.store_class(None, "memcached") is MemcachedSession
    assert sessions.store_class(None, "redis") is RedisSession
    assert sessions.store_class() is RamSession
    assert issubclass(RedisSession, Session)


# -- memcached's coarse clock, len() -----------------------------------------------------
def test_memcached_holds_a_session_a_second_beyond_its_timeout() -> None:
    from framework.lib.sessions.memcached import MemcachedSession

    # memcached's clock ticks per second: n seconds may last only n - 1.
    session = MemcachedSession.__new__(MemcachedSession)
    now = datetime.datetime.now()
    assert session._expire(now + datetime.timedelta(seconds=0.5)) == 2
    assert session._expire(now + datetime.timedelta(seconds=60)) == 61


def test_memcached_never_adopts_a_session_whose_stored_expiry_passed(
    memcached_servers: list[str], key_prefix: str
) -> None:
    from framework.lib.sessions.memcached import MemcachedSession

    settings = {"servers": memcached_servers, "prefix": key_prefix}
    sid = MemcachedSession(None, **settings).id
    client = MemcachedSession(None, **settings).client
    past = datetime.datetime.now() - datetime.timedelta(seconds=5)
    client.set(key_prefix + sid, pickle.dumps(({"a": 1}, past)), expire=60)
    assert MemcachedSession(sid, **settings).id != sid
    future = datetime.datetime.now() + datetime.timedelta(seconds=60)
    client.set(key_prefix + sid, pickle.dumps(({"a": 1}, future)), expire=60)
    assert MemcachedSession(sid, **settings).id == sid


@pytest.mark.parametrize("module", ["memcached", "redis"])
def test_len_of_a_store_that_cannot_count_is_not_implemented(module: str) -> None:
    # COMPAT: CherryPy's memcached store raises NotImplementedError too.
    cls = getattr(sessions, {"memcached": "MemcachedSession", "redis": "RedisSession"}[module])
    session = cls.__new__(cls)
    with pytest.raises(NotImplementedError, match="cannot count"):
        len(session)
    session._data, session.loaded = {"a": 1}, True
    assert list(session) == ["a"]  # list() asks len() for a size hint first


# -- clean-up ----------------------------------------------------------------------------
def test_ram_clean_up_drops_expired_sessions() -> None:
    c = client({"tools.sessions.on": True, "tools.sessions.timeout": 1 / 600})
    c.get("/")
    sid = c.cookies["session_id"]
    assert sid in RamSession.cache
    deadline = time.monotonic() + 5
    while sid in RamSession.cache:
        RamSession(None).clean_up()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_ram_clean_up_drops_the_locks_of_sessions_gone_only() -> None:
    c = client({"tools.sessions.on": True, "tools.sessions.timeout": 1 / 600})
    c.get("/")
    gone = c.cookies["session_id"]
    live = client({"tools.sessions.on": True})
    live.get("/")
    kept = live.cookies["session_id"]
    assert {gone, kept} <= set(RamSession.locks._locks)
    deadline = time.monotonic() + 5
    while gone in RamSession.cache:
        assert time.monotonic() < deadline
        time.sleep(0.02)
        RamSession(None).clean_up()
    RamSession(None).clean_up()  # the background sweep may have dropped it from the cache
    assert gone not in RamSession.locks._locks
    assert kept in RamSession.locks._locks


def test_the_background_sweep_starts_with_the_first_session() -> None:
    client({"tools.sessions.on": True}).get("/")
    monitor = RamSession.clean_thread
    assert monitor is not None
    assert monitor.frequency == 5 * 60
    assert monitor.callback.__self__.__class__ is RamSession


# -- framework.session and the CherryPy names --------------------------------------------
def test_framework_session_is_the_current_requests_session() -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            framework.session["x"] = 1
            assert framework.session.id == sessions.current().id
            assert "x" in framework.session and framework.session["x"] == 1
            del framework.session["x"]
            return repr(bool(framework.session))

    assert client_for_root(Root(), sessions_on=True).get("/").text == "True"


def client_for_root(root: Any, sessions_on: bool) -> Client:
    return Client(root, config={"/": {"tools.sessions.on": sessions_on}})


def test_framework_session_where_the_tool_is_off_says_how_to_switch_it_on() -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            assert not framework.session
            return framework.session.get("x")  # type: ignore[no-any-return]

    response = client_for_root(Root(), sessions_on=False).get("/")
    assert response.status_code == 500
    assert "switch tools.sessions on" in response.text


def test_framework_session_outside_a_request() -> None:
    from framework.context import OutsideRequestError

    with pytest.raises(OutsideRequestError, match="outside a request"):
        framework.session["x"] = 1
    assert repr(framework.session) == "<framework.session (no session here)>"


def test_framework_session_forwards_the_mapping_methods_and_id() -> None:
    class Root:
        @framework.expose
        def index(self) -> str:
            s = framework.session
            assert s.setdefault("a", 1) == 1 and s.get("a") == 1 and s.get("b", 2) == 2
            s.update({"b": 2}, c=3)
            assert s.pop("c") == 3 and s.pop("c", None) is None
            assert s.id == sessions.current().id
            return repr(sorted(sessions.current().items()))

    assert client_for_root(Root(), sessions_on=True).get("/").text == "[('a', 1), ('b', 2)]"


@pytest.mark.parametrize(
    "use",
    [
        lambda: framework.session.get("x"),
        lambda: framework.session.setdefault("x"),
        lambda: framework.session.pop("x", None),
        lambda: framework.session.update(x=1),
        lambda: framework.session.id,
        lambda: framework.session.keys(),
    ],
)
def test_framework_session_methods_name_the_missing_tool(use: Any) -> None:
    from framework.context import OutsideRequestError

    with pytest.raises(OutsideRequestError, match="outside a request"):
        use()

    class Root:
        @framework.expose
        def index(self) -> str:
            try:
                use()
            except OutsideRequestError as exc:
                return str(exc)
            return "no error"

    assert "switch tools.sessions on" in client_for_root(Root(), sessions_on=False).get("/").text


def test_cherrypy_names_for_sessions_and_caching() -> None:
    from framework import compat

    compat.install()
    try:
        import cherrypy
        import cherrypy.lib.caching
        import cherrypy.lib.sessions

        assert cherrypy.session is framework.session
        assert cherrypy.lib.sessions.RamSession is RamSession
        assert cherrypy.lib.sessions.expire is sessions.expire
        assert cherrypy.lib.caching.MemoryCache is __import__("framework").lib.caching.MemoryCache
        assert callable(cherrypy.tools.sessions.regenerate)
        assert cherrypy.lib.encoding.gzip is framework.lib.compression.gzip
        assert cherrypy.lib.cptools.validate_etags is framework.lib.conditional.validate_etags
        assert callable(cherrypy.lib.static.serve_fileobj)
    finally:
        compat.uninstall()
