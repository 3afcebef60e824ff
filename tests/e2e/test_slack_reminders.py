"""Expiry reminders end to end: `tokenbot sync` and `tokenbot remind` beside `tokenbot run`,
the GitLab simulator, and the reminder's buttons clicked through signed Slack requests."""

from __future__ import annotations

import json
import threading
from typing import Any

from tests.cli_runner import run_tokenbot
from tests.support.request_world import DAN, OLGA, REMINDERS, World, world
from tests.support.slack_api import Call

__all__ = ["world"]  # the fixture


def _sync_and_remind(world: World) -> dict[str, Any]:
    synced = run_tokenbot("sync", env=world.env)
    assert synced.code == 0, synced.err
    assert "synced" in synced.out
    dry = run_tokenbot("remind", "--dry-run", env=world.env)
    assert dry.code == 0, dry.err
    assert "nightly-export" in dry.out
    assert world.slack.calls_to("chat.postMessage") == []  # a dry run posts nothing
    posted = run_tokenbot("remind", env=world.env)
    assert posted.code == 0, posted.err
    assert "1 due, 1 posted" in posted.out
    again = run_tokenbot("remind", env=world.env)
    assert "0 due, 0 posted" in again.out  # once per threshold, across processes
    (call,) = [
        c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == REMINDERS
    ]
    return {"channel": REMINDERS, "ts": call.answer["ts"], "blocks": call.args["blocks"]}


def _update(world: World, needle: str) -> Call:
    for _ in range(200):
        found = [c for c in world.slack.calls_to("chat.update") if needle in json.dumps(c.args)]
        if found:
            return found[-1]
        threading.Event().wait(0.05)
    raise AssertionError(f"no chat.update with {needle!r}")


def test_a_reminder_is_posted_once_and_says_what_where_and_when(world: World) -> None:
    reminder = _sync_and_remind(world)
    text = json.dumps(reminder["blocks"])
    assert "nightly-export" in text
    assert "acme/platform/api" in text
    assert "expires in 5 days" in text
    assert "read_api" in text
    assert "no known owner" in text
    for label in ("Let it expire", "Revoke now", "Claim"):
        assert label in text


def test_claim_then_let_it_expire(world: World) -> None:
    reminder = _sync_and_remind(world)
    world.driver.click(DAN, reminder, "reminder.claim")  # a Developer may not claim
    assert "Maintainer or higher" in world.slack.wait_for("chat.postEphemeral")[-1].args["text"]
    world.driver.click(OLGA, reminder, "reminder.claim")
    claimed = _update(world, "<@U0OLGA>")
    assert "reminder.claim" not in json.dumps(claimed.args["blocks"])
    world.driver.click(OLGA, reminder, "reminder.let_expire")
    _update(world, "chose to let it expire")
    assert run_tokenbot("remind", "--dry-run", env=world.env).out.strip() == "nothing is due today"


def test_revoke_now_revokes_it_in_gitlab(world: World) -> None:
    reminder = _sync_and_remind(world)
    world.driver.click(OLGA, reminder, "reminder.revoke")
    _update(world, "revoked it")
    (token,) = [t for t in world.sim.state.tokens.values() if t.name == "nightly-export"]
    assert token.revoked
    synced = run_tokenbot("sync", env=world.env)
    assert synced.code == 0
    assert run_tokenbot("remind", "--dry-run", env=world.env).out.strip() == "nothing is due today"
