"""GitLab sign-in in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by selenium) follows the link button, signs in on the simulator,
authorizes tokenbot, and confirms on tokenbot's page; the next request is accepted as the
person. `.ci/run` installs the browser and sets TOKENBOT_REQUIRE_BROWSER=1, so there a
missing browser fails instead of skipping."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_gitlab_sign_in import ALICE, link_button_url
from tests.support.request_world import APPROVALS, card_in, request_token
from tests.support.sign_in_world import DEMO_PASSWORD, SignInWorld, start_sign_in_world

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not (Path(CHROMEDRIVER).exists() and Path(CHROMIUM).exists()):
    if os.environ.get("TOKENBOT_REQUIRE_BROWSER") == "1":
        raise RuntimeError("chromium and chromium-driver are required here (apt-get install)")
    pytest.skip("no chromium/chromedriver on this machine", allow_module_level=True)

from selenium import webdriver  # noqa: E402 - only once the browser is known to be there
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--no-proxy-server",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SignInWorld]:
    with start_sign_in_world(tmp_path) as started:
        yield started


def _wait_for(browser: WebDriver, element_id: str) -> None:
    WebDriverWait(browser, 15).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )


def test_signing_in_with_a_real_browser_links_the_person(
    world: SignInWorld, browser: WebDriver
) -> None:
    assert request_token(world, ALICE).errors
    browser.get(link_button_url(world, ALICE))
    _wait_for(browser, "sign-in")
    # Every input has a label a screen reader reads out.
    for field in ("username", "password"):
        labels = browser.find_elements(By.CSS_SELECTOR, f'label[for="{field}"]')
        assert labels, field
        assert labels[0].text.strip(), field
    browser.find_element(By.ID, "username").send_keys("alice")
    browser.find_element(By.ID, "password").send_keys(DEMO_PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    _wait_for(browser, "authorize")
    assert "tokenbot" in browser.find_element(By.ID, "consent-title").text
    browser.find_element(By.ID, "authorize").click()
    _wait_for(browser, "link")
    assert browser.current_url.startswith(f"{world.public_url}/gitlab/oauth/callback?")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Link these accounts?" in page
    assert "@alice" in page
    browser.find_element(By.ID, "link").click()
    # Both pages have an h1: wait for the next page, then for its heading (an h1 read while
    # the browser swaps pages goes stale, which the wait takes as "not yet").
    WebDriverWait(browser, 15).until(expected_conditions.url_contains("/gitlab/oauth/confirm"))
    WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        expected_conditions.text_to_be_present_in_element(
            (By.TAG_NAME, "h1"), "Your GitLab account is linked"
        )
    )
    assert browser.find_element(By.LINK_TEXT, "Back to Slack")
    accepted = request_token(world, ALICE, name="browser-linked")
    assert accepted.sent  # accepted as alice
    assert f"<@{ALICE}>" in json.dumps(card_in(world, 1, APPROVALS)["blocks"])
