"""GitLab sign-in end to end: `tokenbot run` (non-administrator GITLAB_TOKEN, no user map),
the simulator as GitLab's OAuth provider, and a browser following the link button.

An unknown person gets the "Link your GitLab account" button, signs in on GitLab, allows
tokenbot to read their user, confirms on tokenbot's page, and their next request is accepted
as them. No OAuth token is left anywhere: not in the database, the logs or any Slack call.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.blocks.links import LINK_BUTTON
from tests.support.form_browser import FormBrowser, Page
from tests.support.request_world import APPROVALS, card_in, request_token
from tests.support.sign_in_world import (
    DEMO_PASSWORD,
    SignInWorld,
    oauth_tokens_in,
    start_sign_in_world,
)

ALICE = "U0ALICE"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SignInWorld]:
    with start_sign_in_world(tmp_path) as started:
        yield started


def link_button_url(world: SignInWorld, user: str, nth: int = 1) -> str:
    """The URL of the `nth` "Link your GitLab account" button sent to `user`."""
    for _ in range(200):
        urls = [
            element["url"]
            for call in world.slack.calls_to("chat.postMessage")
            if call.args.get("channel") == user
            for block in call.args.get("blocks") or []
            for element in block.get("elements", [])
            if element.get("text", {}).get("text") == LINK_BUTTON
        ]
        if len(urls) >= nth:
            return str(urls[nth - 1])
        threading.Event().wait(0.05)
    raise AssertionError(f"no link button sent to {user}")


def sign_in_at_gitlab(browser: FormBrowser, url: str, username: str) -> Page:
    """The person's part at GitLab: sign in, then authorize tokenbot; back at tokenbot."""
    page = browser.open(url)
    assert "sign-in" in page.ids, page.html[:400]
    page = browser.click(
        page, "sign-in", **{"user[login]": username, "user[password]": DEMO_PASSWORD}
    )
    assert "authorize" in page.ids, page.html[:400]
    return browser.click(page, "authorize")


def test_an_unknown_person_signs_in_and_their_next_request_is_theirs(world: SignInWorld) -> None:
    refused = request_token(world, ALICE)
    assert refused.response.status_code == 200
    assert refused.errors  # not accepted: tokenbot does not know who this is
    url = link_button_url(world, ALICE)
    assert url.startswith(f"{world.gitlab_url}/oauth/authorize?")
    browser = FormBrowser()
    asked = sign_in_at_gitlab(browser, url, "alice")
    assert asked.url.startswith(f"{world.public_url}/gitlab/oauth/callback?")
    assert "Link these accounts?" in asked.html
    assert "@alice" in asked.html
    assert ALICE in asked.html
    done = browser.click(asked, "link")
    assert done.status == 200
    assert "Your GitLab account is linked" in done.html
    accepted = request_token(world, ALICE, name="linked-release-notes")
    assert accepted.response.status_code == 200
    assert accepted.sent, accepted.errors
    card = card_in(world, 1, APPROVALS)
    assert f"<@{ALICE}>" in json.dumps(card["blocks"])
    _no_oauth_token_anywhere(world)


def test_a_second_visit_to_the_same_callback_links_nothing(world: SignInWorld) -> None:
    url = _link_url(world)
    browser = FormBrowser()
    asked = sign_in_at_gitlab(browser, url, "alice")
    replayed = browser.open(asked.url)  # the same code and state again
    assert replayed.status == 400
    assert "Nothing was linked" in replayed.html
    browser.click(asked, "link")  # the first page still works once
    again = browser.click(asked, "link")
    assert again.status == 400


def test_cancelling_on_tokenbots_page_or_denying_at_gitlab_links_nothing(
    world: SignInWorld,
) -> None:
    browser = FormBrowser()
    asked = sign_in_at_gitlab(browser, _link_url(world), "alice")
    cancelled = browser.click(asked, "cancel")
    assert "Nothing was linked" in cancelled.html
    page = browser.open(_link_url(world))  # still signed in at GitLab: straight to consent
    denied = browser.click(page, "deny")
    assert denied.url.startswith(f"{world.public_url}/gitlab/oauth/callback?")
    assert denied.status == 400
    assert "cancelled" in denied.html
    refused = request_token(world, ALICE)
    assert refused.errors


def _link_url(world: SignInWorld) -> str:
    """`/token link`: Slack shows the command's answer, the button, to the person."""
    answer = world.driver.command(ALICE, "link")
    assert answer.status_code == 200
    return _button_url(answer.json())


def _button_url(message: dict[str, Any]) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("text", {}).get("text") == LINK_BUTTON:
                return str(element["url"])
    raise AssertionError(f"no link button in {message}")


def _no_oauth_token_anywhere(world: SignInWorld) -> None:
    registry = world.sim.state.oauth
    assert registry.tokens, "no OAuth token was issued: the flow did not run"
    assert all(token.revoked_at is not None for token in registry.tokens.values())
    log = world.bot.stop().encode()
    calls = json.dumps([[c.method, c.args, c.answer] for c in world.slack.calls]).encode()
    files = b"".join(p.read_bytes() for p in world.data_dir.rglob("*") if p.is_file())
    for where, blob in (("log", log), ("Slack calls", calls), ("data dir", files)):
        assert oauth_tokens_in(world, blob) == [], where
