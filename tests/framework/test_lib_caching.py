"""The ``caching`` tool (:mod:`framework.lib.caching`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.lib import caching
from framework.lib.compression import decompress
from framework.testing import Client


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    yield
    caching._caches.clear()
    caching.default_cache.clear()


class Site:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.go = threading.Event()
        self.go.set()

    def count(self, name: str) -> int:
        self.calls[name] = self.calls.get(name, 0) + 1
        return self.calls[name]

    @framework.expose
    def index(self, **params: str) -> str:
        return f"index call {self.count('index')}"

    @framework.expose
    def language(self) -> str:
        framework.response.headers["Vary"] = "Accept-Language"
        lang = framework.request.headers.get("Accept-Language", "none")
        return f"{lang} call {self.count('language')}"

    @framework.expose
    def cookie(self) -> str:
        framework.response.cookie["who"] = "me"
        return f"cookie call {self.count('cookie')}"

    @framework.expose
    def private(self) -> str:
        framework.response.headers["Cache-Control"] = "private"
        return f"private call {self.count('private')}"

    @framework.expose
    def big(self) -> str:
        return "x" * 2000 + str(self.count("big"))

    @framework.expose
    def dated(self) -> str:
        framework.response.headers["Last-Modified"] = "Tue, 15 Nov 1994 12:45:26 GMT"
        return f"dated call {self.count('dated')}"

    @framework.expose
    def missing(self) -> str:
        self.count("missing")
        raise framework.HTTPError(500)

    @framework.expose
    def slow(self) -> str:
        n = self.count("slow")
        assert self.go.wait(10)
        return f"slow call {n}"

    @framework.expose
    def streamed(self) -> Iterator[str]:
        n = self.count("streamed")
        yield "part one, "
        yield f"part two {n}"

    streamed._cp_config = {"response.stream": True}  # type: ignore[attr-defined]


def client(site: Site, **conf: Any) -> Client:
    config = {"tools.caching.on": True, **{f"tools.caching.{k}": v for k, v in conf.items()}}
    return Client(site, config={"/": config})


def test_second_get_is_served_from_the_cache_with_an_age() -> None:
    site = Site()
    c = client(site)
    first = c.get("/")
    second = c.get("/")
    assert first.text == second.text == "index call 1"
    assert second.headers["Age"] == "0"
    assert "Age" not in first.headers


def test_the_query_string_is_part_of_the_key() -> None:
    site = Site()
    c = client(site)
    assert c.get("/?a=1").text == "index call 1"
    assert c.get("/?a=2").text == "index call 2"
    assert c.get("/?a=1").text == "index call 1"


def test_responses_vary_by_the_headers_vary_names() -> None:
    site = Site()
    c = client(site)
    fr = {"Accept-Language": "fr"}
    assert c.get("/language", headers=fr).text == "fr call 1"
    assert c.get("/language", headers={"Accept-Language": "de"}).text == "de call 2"
    assert c.get("/language", headers=fr).text == "fr call 1"
    assert c.get("/language").text == "none call 3"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_methods_invalidate_the_url(method: str) -> None:
    site = Site()
    c = client(site)
    c.get("/")
    c.request(method, "/")
    assert c.get("/").text == "index call 3"


@pytest.mark.parametrize(
    "headers",
    [
        {"Cache-Control": "no-cache"},
        {"Pragma": "no-cache"},
        {"Cache-Control": "max-age=0, no-cache"},
    ],
)
def test_client_no_cache_runs_the_handler(headers: dict[str, str]) -> None:
    site = Site()
    c = client(site)
    c.get("/")
    assert c.get("/", headers=headers).text == "index call 2"


def test_client_max_age_older_than_the_copy_runs_the_handler() -> None:
    site = Site()
    c = client(site)
    c.get("/")
    assert c.get("/", headers={"Cache-Control": "max-age=5"}).text == "index call 1"
    time.sleep(1.05)  # the copy must be at least one whole second old
    assert c.get("/", headers={"Cache-Control": "max-age=0"}).text == "index call 2"


def test_malformed_max_age_is_400() -> None:
    site = Site()
    c = client(site)
    c.get("/")
    assert c.get("/", headers={"Cache-Control": "max-age=soon"}).status_code == 400


def test_copies_expire_after_delay() -> None:
    site = Site()
    c = client(site, delay=0.2)
    assert c.get("/").text == "index call 1"
    assert c.get("/").text == "index call 1"
    deadline = time.monotonic() + 5
    while c.get("/").text == "index call 1":
        assert time.monotonic() < deadline, "the copy never expired"
        time.sleep(0.02)


@pytest.mark.parametrize("path", ["/cookie", "/private", "/missing"])
def test_responses_that_may_not_be_shared_are_not_stored(path: str) -> None:
    site = Site()
    c = client(site)
    c.get(path)
    c.get(path)
    assert site.calls[path[1:]] == 2


def test_requests_with_authorization_are_not_stored() -> None:
    site = Site()
    c = client(site)
    c.get("/", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert c.get("/").text == "index call 2"


def test_request_no_store_is_not_stored() -> None:
    site = Site()
    c = client(site)
    c.get("/", headers={"Cache-Control": "no-store"})
    assert c.get("/").text == "index call 2"


def test_bodies_over_maxobj_size_are_not_stored() -> None:
    site = Site()
    c = client(site, maxobj_size=1000)
    c.get("/big")
    c.get("/big")
    assert site.calls["big"] == 2


def test_maxobjects_evicts_the_oldest() -> None:
    site = Site()
    c = client(site, maxobjects=2)
    for query in ("a", "b", "c"):
        c.get(f"/?{query}=1")
    assert c.get("/?c=1").text == "index call 3"
    assert c.get("/?b=1").text == "index call 2"
    assert c.get("/?a=1").text == "index call 4"


def test_maxsize_counts_bytes_and_forgets_dropped_ones() -> None:
    site = Site()
    c = client(site, maxsize=5000)
    c.get("/big")
    cache = next(iter(caching._caches.values()))
    assert isinstance(cache, caching.MemoryCache)
    assert cache.cursize == 2001
    c.post("/big")
    assert cache.cursize == 0


def test_cached_copy_answers_if_modified_since_with_304() -> None:
    site = Site()
    c = client(site)
    c.get("/dated")
    response = c.get("/dated", headers={"If-Modified-Since": "Tue, 15 Nov 1994 12:45:26 GMT"})
    assert response.status_code == 304
    assert site.calls["dated"] == 1


def test_streamed_bodies_are_stored_once_sent() -> None:
    site = Site()
    c = client(site)
    assert c.get("/streamed").text == "part one, part two 1"
    assert c.get("/streamed").text == "part one, part two 1"


def test_gzipped_and_plain_copies_are_separate_variants() -> None:
    site = Site()
    c = Client(site, config={"/": {"tools.caching.on": True, "tools.gzip.on": True}})
    zipped = c.get("/", headers={"Accept-Encoding": "gzip"})
    plain = c.get("/")
    again = c.get("/", headers={"Accept-Encoding": "gzip"})
    assert decompress(zipped.body) == b"index call 1"
    assert plain.text == "index call 2"
    assert again.body == zipped.body
    assert again.headers["Content-Encoding"] == "gzip"


def test_a_cached_gzipped_static_file_keeps_its_length_and_closes_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "page.html").write_text("<p>" + "static words " * 100 + "</p>")
    conf = {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.dir": str(tmp_path),
            "tools.caching.on": True,
            "tools.gzip.on": True,
        }
    }
    c = Client(Site(), config=conf)
    gzip = {"Accept-Encoding": "gzip"}
    # Warnings are errors here: a file left open on a hit would fail the test.
    first, hit = (c.get("/static/page.html", headers=gzip) for _ in range(2))
    assert "Age" in hit.headers
    assert hit.body == first.body
    assert hit.headers["Content-Length"] == first.headers["Content-Length"] == str(len(hit.body))
    plain = c.get("/static/page.html")
    length = plain.headers["Content-Length"]
    assert length == str(len(plain.body)) != first.headers["Content-Length"]


def test_paths_with_default_settings_share_the_default_cache() -> None:
    c = client(Site())
    c.get("/")
    assert len(caching.default_cache) == 1
    assert caching.cache_for() is caching.default_cache
    assert caching.cache_for(delay=5) is not caching.default_cache


def test_store_clears_the_copies_of_one_url() -> None:
    site = Site()
    c = client(site)
    for path in ("/", "/?x=1", "/", "/?x=1"):
        c.get(path)
    store = caching.default_cache.store
    assert sorted(store) == ["http://127.0.0.1/", "http://127.0.0.1/?x=1"]
    assert len(store["http://127.0.0.1/"]) == 1
    store["http://127.0.0.1/"].clear()
    assert "http://127.0.0.1/" not in store and len(store) == 1
    assert c.get("/").text == "index call 3"  # run again; /?x=1 still cached
    assert c.get("/?x=1").text == "index call 2"
    with pytest.raises(KeyError):
        store["http://127.0.0.1/nothing"]


def test_a_custom_cache_class_by_name() -> None:
    site = Site()
    c = client(site, cache_class="framework.lib.caching.MemoryCache", delay=60)
    c.get("/")
    cache = next(iter(caching._caches.values()))
    assert cache.delay == 60  # type: ignore[attr-defined]


# -- anti-stampede ------------------------------------------------------------------------
class CountingCache(caching.MemoryCache):
    entered = 0
    lock = threading.Lock()

    def get(self) -> Any:
        with CountingCache.lock:
            CountingCache.entered += 1
        return super().get()


def stampede(site: Site, path: str, clients: int, **conf: Any) -> list[str]:
    CountingCache.entered = 0
    app = client(site, cache_class=CountingCache, **conf).app
    site.go.clear()
    results: list[str] = []

    def fetch() -> None:
        results.append(Client(app).get(path).text)

    threads = [threading.Thread(target=fetch) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while CountingCache.entered < clients:
        assert time.monotonic() < deadline, "the requests never reached the cache"
        time.sleep(0.005)
    site.go.set()
    for thread in threads:
        thread.join(10)
    return results


def test_concurrent_misses_run_the_handler_once() -> None:
    site = Site()
    results = stampede(site, "/slow", 10)
    assert site.calls["slow"] == 1
    assert results == ["slow call 1"] * 10


def test_waiters_go_at_once_when_the_first_response_is_not_stored() -> None:
    site = Site()

    class Uncacheable(Site):
        @framework.expose
        def slow(self) -> str:
            framework.response.headers["Cache-Control"] = "no-store"
            return super().slow()  # type: ignore[no-any-return]

    site = Uncacheable()
    started = time.monotonic()
    results = stampede(site, "/slow", 5, antistampede_timeout=30)
    assert time.monotonic() - started < 10
    assert sorted(results) == [f"slow call {n}" for n in range(1, 6)]


# -- never one user's page for another ------------------------------------------------
class Account:
    @framework.expose
    def index(self, user: str = "") -> str:
        if user:
            framework.session["user"] = user
        return f"Hello {framework.session.get('user', 'stranger')}"


def test_session_pages_are_never_served_to_another_user() -> None:
    conf = {"/": {"tools.caching.on": True, "tools.sessions.on": True}}
    app = Client(Account(), config=conf).app
    alice, bob = Client(app), Client(app)
    assert alice.get("/", params={"user": "alice"}).text == "Hello alice"
    assert alice.get("/").text == "Hello alice"
    assert bob.get("/").text == "Hello stranger"
    assert bob.get("/", params={"user": "bob"}).text == "Hello bob"
    assert alice.get("/").text == "Hello alice"
    assert bob.get("/").text == "Hello bob"
    assert len(caching.default_cache) == 0
