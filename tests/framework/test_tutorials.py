"""CherryPy's own tutorials, unchanged, answer on the framework as they do on CherryPy 18.

Each tutorial module is loaded from the installed CherryPy distribution (never copied
into this repository) with ``framework.compat`` installed, so its ``import cherrypy``
gets the framework; it is mounted the way CherryPy's ``test_tutorials.py`` mounts it.
The same requests are sent, in the same order, to the REAL CherryPy serving the same
tutorial in a subprocess (``compat_apps/cherrypy_driver.py``), and every answer is
compared: status, Content-Type, Location and body. Error pages rendered from the
default template differ by design, so for those the status line and the message are
compared; a custom error page (tut10's 403) is compared whole, traceback aside.

tut07 (sessions) is replayed like a browser: both sides send back the cookies they
were given. tut09 (file serving) needs features from a later issue.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from compat_apps.side_by_side import Req, assert_same_answers, real_cherrypy_answers, replay

import framework
from framework import compat
from framework.testing import Client, TestResponse

try:
    # Located BEFORE compat.install(), from the distribution's metadata: no import.
    TUTORIAL_DIR = Path(str(importlib.metadata.distribution("CherryPy").locate_file(""))) / (
        "cherrypy/tutorial"
    )
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - dev dependency
    pytest.skip("CherryPy 18 is not installed", allow_module_level=True)


@dataclass(frozen=True)
class Tutorial:
    """A tutorial module, the name of its root, and the session to replay."""

    module: str
    root: str
    requests: tuple[Req, ...]
    traceback_setting: bool = False


EXTRA_LINKS = """
            <p>Here are some extra useful links:</p>

            <ul>
                <li><a href="http://del.icio.us">del.icio.us</a></li>
                <li><a href="http://www.cherrypy.dev">CherryPy</a></li>
            </ul>

            <p>[<a href="../">Return to links page</a>]</p>"""

ANOTHER_PAGE = """
            <html>
            <head>
                <title>Another Page</title>
            <head>
            <body>
            <h2>Another Page</h2>
        \n            <p>
            And this is the amazing second page!
            </p>
        \n            </body>
            </html>
        """

ENTER_NAME = 'Please enter your name <a href="./">here</a>.'
REALLY_ENTER = 'No, really, enter your name <a href="./">here</a>.'
SERVER_ERROR = (
    "The server encountered an unexpected condition which prevented it from fulfilling the request."
)

TUTORIALS: dict[str, Tutorial] = {
    "tut01": Tutorial(
        "tut01_helloworld",
        "HelloWorld",
        (
            Req("GET", "/", status=200, expect_body="Hello world!"),
            Req("HEAD", "/", status=200, expect_body=""),
            Req("GET", "/index"),
            Req("GET", "/nothing/here", page="default", status=404),
        ),
    ),
    "tut02": Tutorial(
        "tut02_expose_methods",
        "HelloWorld",
        (
            Req("GET", "/"),
            Req("GET", "/show_msg", status=200, expect_body="Hello world!"),
            Req("GET", "/show_msg/extra", page="default"),
        ),
    ),
    "tut03": Tutorial(
        "tut03_get_and_post",
        "WelcomePage",
        (
            Req("GET", "/"),
            Req("GET", "/greetUser", "name=Bob", expect_body="Hey Bob, what's up?"),
            Req("GET", "/greetUser", expect_body=ENTER_NAME),
            Req("GET", "/greetUser", "name=", expect_body=REALLY_ENTER),
            Req("POST", "/greetUser", body="name=Bob", expect_body="Hey Bob, what's up?"),
            Req("POST", "/greetUser", body="name=", expect_body=REALLY_ENTER),
            Req("GET", "/greetUser", "nom=Bob", page="default"),
            Req("POST", "/greetUser", body="nom=Bob", page="default"),
        ),
    ),
    "tut04": Tutorial(
        "tut04_complex_site",
        "root",
        (
            Req("GET", "/links/extra/", status=200, expect_body=EXTRA_LINKS),
            Req("GET", "/"),
            Req("GET", "/joke/"),
            Req("GET", "/links/"),
            Req("GET", "/links", status=301),
            Req("GET", "/links/extra", "a=1", status=301),
            Req("GET", "/links/nowhere/", page="default", status=404),
        ),
    ),
    "tut05": Tutorial(
        "tut05_derived_objects",
        "HomePage",
        (
            Req("GET", "/another/", status=200, expect_body=ANOTHER_PAGE),
            Req("GET", "/"),
            Req("GET", "/header", page="default", status=404),
        ),
    ),
    "tut06": Tutorial(
        "tut06_default_method",
        "UsersPage",
        (
            Req(
                "GET",
                "/hendrik",
                expect_body="Hendrik Mans, CherryPy co-developer & crazy German "
                '(<a href="./">back</a>)',
            ),
            Req("GET", "/"),
            Req("GET", "/remi"),
            Req("GET", "/somebody.else"),
            Req("GET", "/a/b", page="default"),
        ),
    ),
    "tut07": Tutorial(
        "tut07_sessions",
        "HitCounter",
        (
            Req("GET", "/", status=200, expect_in="viewed this\n            page 1 times!"),
            Req("GET", "/", expect_in="page 2 times!"),
            Req("GET", "/index", expect_in="page 3 times!"),
            Req("GET", "/nowhere", page="default", status=404),
            Req("GET", "/", expect_in="page 4 times!"),
        ),
    ),
    "tut08": Tutorial(
        "tut08_generators_and_yield",
        "GeneratorDemo",
        (
            Req(
                "GET",
                "/",
                status=200,
                expect_body="<html><body><h2>Generators rule!</h2><h3>List of users:</h3>"
                "Remi<br/>Carlos<br/>Hendrik<br/>Lorenzo Lamas<br/></body></html>",
            ),
        ),
    ),
    "tut10": Tutorial(
        "tut10_http_errors",
        "HTTPErrorDemo",
        (
            Req("GET", "/", expect_in='<a href="/error?code=403">'),
            Req("GET", "/traceback_setting", expect_body="True"),
            Req("GET", "/error", "code=403", page="custom", status=403),
            Req("GET", "/toggleTracebacks", page="redirect"),
            Req("GET", "/traceback_setting", expect_body="False"),
            Req("GET", "/", expect_in='<a href="toggleTracebacks">on</a>'),
            Req("GET", "/error", "code=500", page="default", status=500, expect_in=SERVER_ERROR),
            Req(
                "GET",
                "/error",
                "code=403",
                page="custom",
                status=403,
                expect_in="<h2>You can't do that!</h2>",
            ),
            Req("GET", "/error", "code=400", page="default", status=400),
            Req("GET", "/error", "code=401", page="default", status=401),
            Req("GET", "/error", "code=402", page="default", status=402),
            Req(
                "GET",
                "/messageArg",
                page="default",
                status=500,
                expect_in="If you construct an HTTPError with a 'message'",
            ),
            # Tracebacks are off here: Cherry's page does not show the path back.
            Req(
                "GET",
                "/doesNotExist",
                page="private",
                status=404,
                expect_in="Nothing matches the given URI",
            ),
            Req("GET", "/error", page="default", status=404),
        ),
        traceback_setting=True,
    ),
}


# -- the framework side ------------------------------------------------------------------
def load_tutorial(module: str) -> ModuleType:
    """Execute the tutorial file from the CherryPy distribution under the compat aliases."""
    path = TUTORIAL_DIR / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"compat_tutorial_{module}", path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def framework_answers(tutorial: Tutorial) -> list[TestResponse]:
    """Mount the tutorial as CherryPy's test_tutorials does and replay the session."""
    import cherrypy  # the compat alias: the framework_under_compat fixture installed it

    module = load_tutorial(tutorial.module)
    cherrypy.config.reset()
    root = getattr(module, tutorial.root)
    if isinstance(root, type):
        root = root()
    cherrypy.tree.mount(root, config=module.tutconf)
    cherrypy.config.update({})
    if tutorial.traceback_setting:

        def traceback_setting() -> str:
            return repr(cherrypy.request.show_tracebacks)

        cherrypy.tree.mount(cherrypy.expose(traceback_setting), "/traceback_setting")
    return replay(Client(framework.tree), tutorial.requests)


@pytest.fixture
def framework_under_compat() -> Iterator[None]:
    """Install the ``cherrypy`` aliases for one test; remove them afterwards."""
    compat.install()
    try:
        yield
    finally:
        compat.uninstall()


@pytest.mark.parametrize("name", sorted(TUTORIALS))
@pytest.mark.usefixtures("framework_under_compat")
def test_tutorial_answers_as_on_cherrypy(name: str) -> None:
    tutorial = TUTORIALS[name]
    job = {
        "tutorial": tutorial.module,
        "root": tutorial.root,
        "traceback_setting": tutorial.traceback_setting,
    }
    real = real_cherrypy_answers(job, tutorial.requests)
    assert_same_answers(name, tutorial.requests, real, framework_answers(tutorial))


def test_tutorials_are_read_from_the_cherrypy_distribution() -> None:
    # The tutorials are not copied into this repository: they come from CherryPy.
    assert (TUTORIAL_DIR / "tut01_helloworld.py").is_file()
    assert not list(Path(__file__).parent.rglob("tut0*.py"))
