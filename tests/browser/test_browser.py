"""Proof in a real browser: every scaffold kind, served by ``cherry serve``, used in Chromium.

For each kind, ``cherry new`` writes a project into a temporary directory and ``cherry
serve`` serves it on 127.0.0.1 as a real subprocess (the framework comes from this
checkout through PYTHONPATH). Headless Chromium, driven by Selenium, then loads the home
page, reads the heading as rendered, checks that the stylesheet was applied, fills in the
sample form with "Cherry", submits it and waits for the answer. A screenshot of the
answer is saved to ``$CHERRY_SCREENSHOT_DIR`` (CI keeps it) or to the test's temporary
directory.

Chromium and chromedriver are system packages (``scripts/services.sh`` installs them in
CI). Without them these tests skip locally but fail under ``CI=true``, so a CI machine
that lost its browser cannot pass silently. Selenium is pointed at both executables so
that Selenium Manager never downloads anything; the browser only talks to 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from serve_harness import cherry, poll, try_get

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.slow]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WAIT_SECONDS = 15.0
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--window-size=1280,800",
)


@dataclass(frozen=True)
class Expected:
    """What one scaffold kind's home page shows, and where its form's answer appears.

    Attributes:
        heading: the home page's ``<h1>`` (the title ``cherry new`` derives from the name).
        answer_css: CSS selector of the element that shows the form's answer.
        answer: the answer's text after submitting "Cherry".
    """

    heading: str
    answer_css: str
    answer: str


EXPECTED = {
    # basic: the form posts to /hello, a new page whose heading is the greeting.
    "basic": Expected("Demo Basic", "h1", "Hello, Cherry!"),
    # jinja/mako: the form posts to /greet, which re-renders the home page with a greeting.
    "jinja": Expected("Demo Jinja", "p.greeting", "Hello, Cherry!"),
    "mako": Expected("Demo Mako", "p.greeting", "Hello, Cherry!"),
    # rest: the page's script POSTs JSON to /items and reports the created item.
    "rest": Expected("Demo Rest", "#result", "Created item 1: Cherry"),
}


def unavailable(reason: str) -> NoReturn:
    """Skip for lack of a browser locally, but fail in CI, which must run these tests."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI must run the browser tests: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium for the module, with a fresh profile directory."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        unavailable("chromium and chromedriver must be on PATH (apt-get install chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[dev]')")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: ``$CHERRY_SCREENSHOT_DIR`` if set, else a temporary directory."""
    directory = Path(os.environ.get("CHERRY_SCREENSHOT_DIR") or tmp_path / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def new_project(kind: str, parent: Path) -> Path:
    """Run ``cherry new demo_<kind> --template <kind> --no-git`` in ``parent``."""
    name = f"demo_{kind}"
    with cherry(["new", name, "--template", kind, "--no-git"], parent) as process:
        assert process.finish() == 0, process.output
    return parent / name


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_scaffold_home_page_and_form_work_in_chromium(
    kind: str, browser: WebDriver, tmp_path: Path, screenshot_dir: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    expected = EXPECTED[kind]
    project = new_project(kind, tmp_path)
    with cherry(["serve", "--host", "127.0.0.1", "--port", "0"], project) as server:
        url = server.url()
        poll(lambda: try_get(url + "/"), message=f"{url}/ never answered")

        browser.get(url + "/")
        heading = browser.find_element(By.TAG_NAME, "h1")
        assert heading.text == expected.heading
        # The stylesheet from /static was fetched and applied, not just linked.
        body_font = browser.find_element(By.TAG_NAME, "body").value_of_css_property("font-family")
        assert "system-ui" in body_font

        browser.find_element(By.CSS_SELECTOR, "form input[name='name']").send_keys("Cherry")
        browser.find_element(By.CSS_SELECTOR, "form button[type='submit']").click()
        answered = expected_conditions.text_to_be_present_in_element(
            (By.CSS_SELECTOR, expected.answer_css), expected.answer
        )
        WebDriverWait(browser, WAIT_SECONDS).until(
            answered, f"{kind}: no {expected.answer!r} in {expected.answer_css}"
        )
        assert browser.find_element(By.CSS_SELECTOR, expected.answer_css).text == expected.answer

        shot = screenshot_dir / f"{kind}.png"
        assert browser.save_screenshot(str(shot))
        assert server.stop(signal.SIGINT) == 0, server.output
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 1000


BROKEN_HANDLER = """
import framework


class Root:
    @framework.expose
    def index(self):
        raise ValueError("broken on purpose")
"""

FIXED = """
import framework


class Root:
    @framework.expose
    def index(self):
        return "<html><body><h1>Fixed</h1></body></html>"
"""


@pytest.mark.parametrize(
    ("broken", "shown"),
    [
        (BROKEN_HANDLER, "ValueError: broken on purpose"),
        (FIXED.replace("class Root:", "1 / 0\n\n\nclass Root:"), "ZeroDivisionError"),
    ],
    ids=["handler-error", "load-error"],
)
def test_an_error_page_refreshes_itself_when_the_next_reload_succeeds(
    broken: str, shown: str, browser: WebDriver, tmp_path: Path, screenshot_dir: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    app = tmp_path / "app.py"
    app.write_text(broken)
    with cherry(["serve", "app.py", "--port", "0", "--reload"], tmp_path) as server:
        url = server.url()
        server.wait_watching()
        browser.get(url + "/")
        body = browser.find_element(By.TAG_NAME, "body")
        assert shown in body.text
        assert browser.save_screenshot(str(screenshot_dir / f"error-{shown[:4]}.png"))
        app.write_text(FIXED)  # the fix is saved; nobody touches the browser
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda driver: driver.find_element(By.TAG_NAME, "body").text == "Fixed",
            "the error page did not reload itself after the fix",
        )
        assert browser.current_url == url + "/"
        assert server.stop(signal.SIGINT) == 0, server.output
