"""Approvers hear about a request: the card names them, each gets a direct message with
Approve and Deny (decided by the same gate as the card), a reminder after
TOKENBOT_APPROVAL_REMINDER_HOURS, then escalation to TOKENBOT_FALLBACK_APPROVERS, once each;
and a request only its requester could approve says so and asks the fallback approvers.

`tokenbot run` with the GitLab simulator and a Slack recorder (tests/support/request_world.py):
alice is Maintainer of acme/platform, olga and omar Owners of acme, dan a Developer.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import AccessLevel, GitlabSimulator
from tests.support.request_world import (
    ALICE,
    APPROVALS,
    DAN,
    OLGA,
    OMAR,
    World,
    card_in,
    dm_with_button,
    request_token,
    send_form,
    start_world,
)

FALLBACK = f"{OMAR},{DAN},U0FRED"  # omar may approve; dan may not; fred tokenbot cannot place
SETTINGS = {
    "TOKENBOT_APPROVER_GROUPS": "acme/platform=S0PLATFORM",
    "TOKENBOT_FALLBACK_APPROVERS": FALLBACK,
    "TOKENBOT_APPROVAL_REMINDER_HOURS": "24",
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with start_world(tmp_path, extra_env=SETTINGS, setup=_solo) as started:
        yield started


def _solo(sim: GitlabSimulator) -> None:
    """`solo/app`, where alice alone is Maintainer (tokenbot's account is Owner)."""
    state = sim.state
    solo = state.add_group("solo")
    state.add_project("app", group=solo)
    alice = next(u for u in state.users.values() if u.username == "alice")
    bot = next(u for u in state.users.values() if u.username == "tokenbot")
    state.add_member(alice, solo, AccessLevel.MAINTAINER)
    state.add_member(bot, solo, AccessLevel.OWNER)


def _posts_to(world: World, channel: str, containing: str = "") -> list[Any]:
    return [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel
        and containing in json.dumps([c.args.get("text"), c.args.get("blocks")])
    ]


def test_the_card_names_the_approvers_and_each_gets_a_dm_that_approves_through_the_gate(
    world: World,
) -> None:
    request_token(world)
    card = card_in(world)
    shown = json.dumps(card["blocks"])
    assert "Can approve:" in shown
    for named in (f"<@{OLGA}>", f"<@{OMAR}>", "<!subteam^S0PLATFORM>"):
        assert named in shown
    assert f"<@{DAN}>" not in shown  # a Developer may not approve
    assert shown.count(f"<@{ALICE}>") == 1  # only as the requester, never as an approver
    olga_dm = dm_with_button(world, OLGA, "request.approve")
    omar_dm = dm_with_button(world, OMAR, "request.approve")
    assert "request.deny" in json.dumps(olga_dm["blocks"])
    assert not _posts_to(world, DAN, "request.approve")

    # dan clicks a DM someone forwarded him: the same gate refuses him
    world.driver.click(DAN, olga_dm, "request.approve")
    refusal = world.slack.wait_for("chat.postEphemeral")[-1].args
    assert refusal["user"] == DAN
    assert "Not approved: deciding on this request needs Maintainer" in refusal["text"]
    assert not [t for t in world.sim.state.tokens.values() if t.name == "release-notes"]

    world.driver.click(OLGA, olga_dm, "request.approve")
    dm_with_button(world, ALICE, "request.reveal")  # created, and alice told
    card_now = world.slack.wait_for_update(APPROVALS, card["ts"], "token created")
    assert "Can approve:" not in json.dumps(card_now.args["blocks"])
    omar_now = world.slack.wait_for_update(OMAR, omar_dm["ts"], "token created")
    assert "request.approve" not in json.dumps(omar_now.args["blocks"])  # decided: no buttons


def test_the_deny_button_in_a_dm_asks_for_a_reason_and_tells_the_requester(
    world: World,
) -> None:
    request_token(world)
    omar_dm = dm_with_button(world, OMAR, "request.deny")
    world.driver.click(OMAR, omar_dm, "request.deny")
    view = world.slack.wait_for("views.open", 2)[-1].args["view"]
    assert send_form(world, OMAR, view, {"deny_reason": "use a job token"}).sent
    assert "use a job token" in world.slack.wait_for_message(ALICE, "denied").args["text"]


def test_a_reminder_after_the_hours_then_escalation_to_the_fallback_each_once(
    world: World,
) -> None:
    request_token(world)
    card = card_in(world)
    now = datetime.now(UTC)
    assert "0 approval reminders, 0 escalations" in _remind(world, now + timedelta(hours=23))
    assert "1 approval reminders, 0 escalations" in _remind(world, now + timedelta(hours=25))
    for approver in (OLGA, OMAR):
        assert len(_posts_to(world, approver, "Reminder:")) == 1
    assert "0 approval reminders, 0 escalations" in _remind(world, now + timedelta(hours=26))

    assert "0 approval reminders, 1 escalations" in _remind(world, now + timedelta(hours=49))
    assert "0 approval reminders, 0 escalations" in _remind(world, now + timedelta(hours=50))
    (escalation,) = [c for c in _posts_to(world, APPROVALS, "Escalated") if c.args.get("thread_ts")]
    assert escalation.args["thread_ts"] == card["ts"]
    assert f"<@{OMAR}>" in escalation.args["text"]
    fallback_dm = dm_with_button(world, OMAR, "request.approve", nth=3)  # ask, reminder, this
    assert "fallback approver" in json.dumps(fallback_dm["blocks"])
    (told,) = _posts_to(world, DAN, "you cannot approve it")
    assert "Ask someone with Maintainer or higher" in told.args["text"]
    assert len(_posts_to(world, "U0FRED", "request.approve")) == 1  # decided when he clicks
    for approver in (OLGA, OMAR):
        assert len(_posts_to(world, approver, "Reminder:")) == 1  # still once


def test_a_request_only_its_requester_could_approve_says_so_and_asks_the_fallback(
    world: World,
) -> None:
    request_token(world, target="solo/app")
    card = card_in(world)
    nobody = world.slack.wait_for_message(ALICE, "Nobody but you can approve")
    assert "Maintainer or higher" in nobody.args["text"]
    assert "<@U0FRED>" in nobody.args["text"]
    shown = json.dumps(card["blocks"])
    assert "<@U0FRED>" in shown
    assert f"<@{OLGA}>" not in shown
    # omar and dan are no members of solo: the gate would refuse them, so they are told whom
    # to ask, with no buttons
    for refused in (OMAR, DAN):
        (told,) = _posts_to(world, refused, "you cannot approve it")
        assert "Maintainer or higher on `solo/app`" in told.args["text"]
        assert not _posts_to(world, refused, "request.approve")
    fred_dm = dm_with_button(world, "U0FRED", "request.approve")
    world.driver.click("U0FRED", fred_dm, "request.approve")  # still decided by the gate
    assert "Not approved" in world.slack.wait_for("chat.postEphemeral")[-1].args["text"]
    assert not [t for t in world.sim.state.tokens.values() if t.name == "release-notes"]


def _remind(world: World, at: datetime) -> str:
    """`tokenbot remind` in a process whose clock freezegun moved to `at` (as in
    tests/e2e/test_slack_handoff.py: the GitLab client's pacing keeps the real clock)."""
    script = (
        "import sys; from datetime import datetime; from freezegun import freeze_time;"
        f" freeze_time(datetime.fromisoformat({at.isoformat()!r}), tick=True,"
        " ignore=['bot.gitlab.http', 'bot.gitlab.server_pace']).start();"
        " from bot.cli import main; sys.exit(main(['remind']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **world.env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"\d+ approval reminders", done.stdout), done.stdout
    return done.stdout
