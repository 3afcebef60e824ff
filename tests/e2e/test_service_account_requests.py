"""Service-account tokens through Slack: the new account can act on its target with exactly
the requested role, and a request GitLab would refuse is refused when it is submitted.

GitLab adds a new group service account to nothing (docs.gitlab.com/api/service_accounts/:
"create a group service account" makes the user; membership is `POST /groups/:id/members`,
docs.gitlab.com/api/members/#add-a-member-to-a-group-or-project), so without tokenbot's
membership step the token answers 404 everywhere. Who may create one: administrators, and
top-level group Owners where `allow_top_level_group_owners_to_create_service_accounts` is on
(docs.gitlab.com/administration/settings/account_and_limit_settings/, off by default on
Self-Managed).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.sandbox import GitlabSimulator
from tests.support.request_world import (
    ALICE,
    IN_30,
    OLGA,
    OMAR,
    World,
    card_in,
    dm_with_button,
    request_token,
    start_world,
)

SERVICE_ACCOUNT = {
    "target": "acme",
    "token_type": "service_account_pat",
    "name": "release-bot",
    "scopes": ["read_api"],
    "role": "20",  # Reporter
    "expires_on": IN_30,
    "reason": "The release job reads merge requests across acme",
}


def _owners_may_create(sim: GitlabSimulator) -> None:
    sim.state.settings.allow_top_level_group_owners_to_create_service_accounts = True


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with start_world(tmp_path, setup=_owners_may_create) as started:
        yield started


def _approve_and_reveal(world: World, requester: str, approver: str) -> str:
    card = card_in(world)
    assert world.driver.click(approver, card, "request.approve").status_code == 200
    dm = dm_with_button(world, requester)
    opened = len(world.slack.calls_to("views.open"))
    assert world.driver.click(requester, dm, "request.reveal").status_code == 200
    modal = json.dumps(world.slack.wait_for("views.open", opened + 1)[-1].args["view"])
    return next(part.strip("`") for part in modal.split('"') if part.startswith("```glpat-"))


def _get(world: World, secret: str, path: str) -> requests.Response:
    return requests.get(
        f"{world.gitlab_url}/api/v4/{path}", headers={"PRIVATE-TOKEN": secret}, timeout=10
    )


def test_a_service_account_token_acts_on_its_target_with_the_requested_role(
    world: World,
) -> None:
    assert request_token(world, OLGA, **SERVICE_ACCOUNT).sent
    secret = _approve_and_reveal(world, OLGA, OMAR)
    me = _get(world, secret, "user").json()
    assert me["username"] == "release-bot"
    assert _get(world, secret, "groups/acme").status_code == 200
    assert _get(world, secret, "projects/acme%2Fplatform%2Fapi").status_code == 200
    member = _get(world, secret, f"groups/acme/members/all/{me['id']}").json()
    assert member["access_level"] == 20  # exactly the role asked for, not more
    reveal = json.dumps(world.slack.calls_to("views.open")[-1].args["view"])
    assert "is a member of" in reveal
    assert "Reporter" in reveal


def test_a_role_above_the_requesters_own_is_refused_at_submit(world: World) -> None:
    # alice is Maintainer of acme/platform only; dan is Developer there
    answer = request_token(world, ALICE, **{**SERVICE_ACCOUNT, "role": "50"})
    assert answer.errors


def test_where_owners_may_not_create_service_accounts_the_request_fails_then_is_refused(
    tmp_path: Path,
) -> None:
    with start_world(tmp_path) as world:  # the instance setting is off, as by default
        # tokenbot is an Owner but may not read the setting: the first request goes ahead...
        assert request_token(world, OLGA, **SERVICE_ACCOUNT).sent
        card = card_in(world)
        assert world.driver.click(OMAR, card, "request.approve").status_code == 200
        failed = _wait_for_text(world, "GitLab refused tokenbot a service account in acme")
        assert "Allow top-level group owners to create service accounts" in failed
        # ...and once GitLab has refused, the next one is refused at once, with the fix.
        again = request_token(world, OLGA, **{**SERVICE_ACCOUNT, "name": "release-bot-2"})
        errors = again.errors
        assert "Allow top-level group owners to create service accounts" in json.dumps(errors)
        assert not [u for u in world.sim.state.users.values() if u.username.startswith("release")]


def _wait_for_text(world: World, text: str) -> str:
    """The first Slack call that shows `text` (the bot tells people after the ack)."""
    for _ in range(200):
        for call in list(world.slack.calls):
            shown = json.dumps(call.args)
            if text in shown:
                return shown
        threading.Event().wait(0.05)
    raise AssertionError(f"nobody was told {text!r}")
