"""Requesting a token in Slack, end to end: `tokenbot run`, the GitLab simulator, a recorder.

The whole flow runs through signed requests; afterwards the secret is searched for in every
Slack call, the bot's logs and its database files: it may appear in the reveal modal only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.sandbox import (
    AccessLevel,
    GitlabSimulator,
    SandboxServer,
    add_personal_token,
    add_service_account,
)
from tests.support.bot_process import BotProcess, start_bot
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SlackDriver, submit

ALICE, OLGA, OMAR, DAN = "U0ALICE", "U0OLGA", "U0OMAR", "U0DAN"
APPROVALS = "C0APPROVALS"
IN_30 = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()


@dataclass
class World:
    sim: GitlabSimulator
    slack: SlackRecorder
    bot: BotProcess
    driver: SlackDriver
    data_dir: Path


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    sim = GitlabSimulator()
    state = sim.state
    acme = state.add_group("acme")
    platform = state.add_group("platform", parent=acme)
    state.add_project("api", group=platform)
    bot_account = add_service_account(state, acme, "tokenbot", name="tokenbot")
    state.add_member(bot_account, acme, AccessLevel.OWNER)
    people = {
        "alice": AccessLevel.MAINTAINER,
        "olga": AccessLevel.OWNER,
        "omar": AccessLevel.OWNER,
        "dan": AccessLevel.DEVELOPER,
    }
    for username, role in people.items():
        user = state.add_user(username, name=username.title())
        state.add_member(user, acme if role is AccessLevel.OWNER else platform, role)
    _, bot_token = add_personal_token(
        state, bot_account, scopes=("api",), expires_at=state.today() + timedelta(days=60)
    )
    with SandboxServer(sim) as gitlab, SlackRecorder() as slack:
        bot = start_bot(
            slack_api_url=slack.url,
            data_dir=tmp_path,
            extra_env={
                "GITLAB_URL": gitlab.url,
                "GITLAB_TOKEN": bot_token,
                "TOKENBOT_APPROVALS_CHANNEL": APPROVALS,
                "TOKENBOT_SECRET_KEY": "test-only-key-0123456789-abcdefghijklmnop",
                "TOKENBOT_USER_MAP": f"{ALICE}=alice,{OLGA}=olga,{OMAR}=omar,{DAN}=dan",
                "TOKENBOT_LOG_LEVEL": "DEBUG",
            },
        )
        try:
            yield World(sim, slack, bot, SlackDriver(bot.url), tmp_path)
        finally:
            bot.stop()


ANSWERS = {
    "target": "acme/platform/api",
    "token_type": "project_access_token",
    "name": "release-notes",
    "scopes": ["read_api"],
    "role": "20",
    "expires_on": IN_30,
    "reason": "CI reads merged MRs to write release notes",
    "delivery": "reveal",
}


def _open_form(world: World, user: str) -> dict[str, Any]:
    before = len(world.slack.calls_to("views.open"))
    assert world.driver.command(user, "request").status_code == 200
    return world.slack.wait_for("views.open", before + 1)[-1].args["view"]


def _request(world: World, user: str = ALICE, **answers: Any) -> requests.Response:
    return submit(world.driver, user, _open_form(world, user), {**ANSWERS, **answers})


def _card(world: World, count: int = 1) -> dict[str, Any]:
    posted = [
        c for c in world.slack.wait_for("chat.postMessage") if c.args.get("channel") == APPROVALS
    ]
    assert len(posted) >= count
    call = posted[count - 1]
    return {"channel": APPROVALS, "ts": call.answer["ts"], "blocks": call.args["blocks"]}


def _wait_for_dm_with_button(world: World, user: str) -> dict[str, Any]:
    for _ in range(200):
        for call in world.slack.calls_to("chat.postMessage"):
            if call.args.get("channel") == user and call.args.get("blocks"):
                return {"channel": user, "ts": call.answer["ts"], "blocks": call.args["blocks"]}
        threading.Event().wait(0.05)
    raise AssertionError("no DM with a button")


def test_request_approve_reveal_and_the_secret_appears_only_in_the_reveal_modal(
    world: World,
) -> None:
    response = _request(world)
    assert response.status_code == 200
    assert response.text == ""  # the modal closes: accepted
    card = _card(world)
    assert "release-notes" in json.dumps(card["blocks"])
    assert world.driver.click(OLGA, card, "request.approve").status_code == 200
    dm = _wait_for_dm_with_button(world, ALICE)
    assert world.driver.click(ALICE, dm, "request.reveal").status_code == 200
    reveal = world.slack.wait_for("views.open", 2)[-1]
    modal = json.dumps(reveal.args["view"])
    created = [t for t in world.sim.state.tokens.values() if t.name == "release-notes"]
    assert len(created) == 1
    secret = next(part.strip("`") for part in modal.split('"') if part.startswith("```glpat-"))
    assert secret.startswith("glpat-")

    carrying = [c for c in world.slack.calls if secret in json.dumps(c.args)]
    assert carrying == [reveal]
    world.slack.wait_for("chat.update", 2)
    log = world.bot.stop()
    assert "DEBUG" in log  # the bot logged at its most talkative level...
    assert secret not in log  # ...and still never the secret
    files = list(world.data_dir.glob("tokenbot.db*"))
    assert files
    for file in files:
        assert secret.encode() not in file.read_bytes()


def test_a_second_reveal_is_refused(world: World) -> None:
    _request(world)
    world.driver.click(OLGA, _card(world), "request.approve")
    dm = _wait_for_dm_with_button(world, ALICE)
    world.driver.click(ALICE, dm, "request.reveal")
    world.slack.wait_for("views.open", 2)
    world.driver.click(ALICE, dm, "request.reveal")
    note = world.slack.wait_for("chat.postEphemeral")[-1]
    assert "already revealed" in note.args["text"]
    assert len(world.slack.calls_to("views.open")) == 2


def test_the_requester_cannot_approve_and_a_developer_may_not(world: World) -> None:
    _request(world)
    card = _card(world)
    world.driver.click(ALICE, card, "request.approve")
    world.driver.click(DAN, card, "request.approve")
    notes = world.slack.wait_for("chat.postEphemeral", 2)
    texts = {c.args["user"]: c.args["text"] for c in notes}
    assert "your own request" in texts[ALICE]
    assert "needs Maintainer or higher on acme/platform/api" in texts[DAN]
    assert world.slack.calls_to("chat.update") == []
    assert not [t for t in world.sim.state.tokens.values() if t.name == "release-notes"]


def test_a_role_above_the_requesters_own_is_a_field_error(world: World) -> None:
    response = _request(world, DAN, role="40")
    assert response.json()["response_action"] == "errors"
    assert "you are Developer on acme/platform/api" in response.json()["errors"]["role"]
    assert [
        c for c in world.slack.calls_to("chat.postMessage") if c.args.get("channel") == APPROVALS
    ] == []


def test_a_scope_outside_policy_is_a_field_error(world: World) -> None:
    response = _request(world, scopes=["read_user"])
    assert "not allowed here: read_user" in response.json()["errors"]["scopes"]


def test_two_approvals_at_the_same_moment_make_one_token(world: World) -> None:
    _request(world)
    card = _card(world)
    barrier = threading.Barrier(2)

    def approve(user: str) -> None:
        barrier.wait()
        world.driver.click(user, card, "request.approve")

    threads = [threading.Thread(target=approve, args=(u,)) for u in (OLGA, OMAR)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _wait_for_dm_with_button(world, ALICE)
    threading.Event().wait(0.5)
    assert len([t for t in world.sim.state.tokens.values() if t.name == "release-notes"]) == 1


def test_deny_asks_for_a_reason_and_tells_the_requester(world: World) -> None:
    _request(world)
    card = _card(world)
    world.driver.click(OLGA, card, "request.deny")
    view = world.slack.wait_for("views.open", 2)[-1].args["view"]
    assert submit(world.driver, OLGA, view, {"deny_reason": "use a CI job token"}).text == ""
    told = [
        c
        for c in world.slack.wait_for("chat.postMessage", 3)
        if c.args.get("channel") == ALICE and "denied" in str(c.args.get("text"))
    ]
    assert told
    assert "use a CI job token" in told[0].args["text"]
