"""Expiry reminders end to end: `tokenbot sync` and `tokenbot remind` beside `tokenbot run`,
the GitLab simulator, and the reminder's buttons clicked through signed Slack requests."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from typing import Any

from tests.cli_runner import run_tokenbot
from tests.support.request_world import (
    ACK_WITHIN_S,
    ALICE,
    APPROVALS,
    DAN,
    OLGA,
    OMAR,
    REMINDERS,
    SLOW_GITLAB_MS,
    World,
    audit_actions,
    card_in,
    dm_with_button,
    send_form,
    timed_send,
    world,
)
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


def _claimed_by(world: World, user: str) -> dict[str, Any]:
    """Claim the reminder's token; the redrawn reminder, as Slack holds it."""
    reminder = _sync_and_remind(world)
    world.driver.click(user, reminder, "reminder.claim")
    update = _update(world, f"<@{user}>")
    return {**reminder, "blocks": update.args["blocks"]}


def _live(world: World, name: str) -> list[Any]:
    return [t for t in world.sim.state.tokens.values() if t.name == name and not t.revoked]


def _blocks(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if "block_id" in b}


def _renew_form(world: World, user: str, reminder: dict[str, Any]) -> dict[str, Any]:
    before = len(world.slack.calls_to("views.open"))
    assert world.driver.click(user, reminder, "reminder.renew").status_code == 200
    return world.slack.wait_for("views.open", before + 1)[-1].args["view"]


def test_rotate_hands_the_owner_a_successor_and_keeps_the_old_token_live(world: World) -> None:
    reminder = _claimed_by(world, OLGA)
    text = json.dumps(reminder["blocks"])
    assert '"Rotate"' in text
    assert '"Renew"' in text
    assert "The old one keeps working until GitLab sees the new one in use" in text
    (old,) = _live(world, "nightly-export")
    world.driver.click(DAN, reminder, "reminder.rotate")  # a Developer may not
    refusal = world.slack.wait_for("chat.postEphemeral")[-1].args["text"]
    assert refusal.startswith("Not rotated")
    assert "Maintainer or higher" in refusal
    assert _live(world, "nightly-export") == [old]

    world.driver.click(OLGA, reminder, "reminder.rotate")
    dm = dm_with_button(world, OLGA)
    handoff = dm_with_button(world, OLGA, "handoff.revoke_old")
    assert "Hand-off under way" in json.dumps(handoff["blocks"])
    live = _live(world, "nightly-export")
    assert len(live) == 2  # the old one stays live beside its successor
    (new,) = [t for t in live if t.id != old.id]
    assert not old.revoked
    assert new.expires_at > old.expires_at  # the policy's default lifetime from today
    world.driver.click(OLGA, dm, "request.reveal")
    modal = json.dumps(world.slack.wait_for("views.open")[-1].args["view"])
    assert "glpat-" in modal
    assert "went to <@U0OLGA>" in json.dumps(_update(world, "rotated it").args["blocks"])
    # The old token is no longer reminded of while the hand-off is under way.
    due = run_tokenbot("remind", "--dry-run", env=world.env).out
    assert "nightly-export" not in due


def test_renew_within_policy_rotates_at_once_with_the_new_date(world: World) -> None:
    reminder = _claimed_by(world, ALICE)  # Maintainer of acme/platform
    form = _renew_form(world, ALICE, reminder)
    labels = json.dumps(form)
    assert '"Expires on"' in labels
    assert '"Reason"' in labels
    today = date.fromisoformat(world.sim.state.today().isoformat())
    too_far = (today + timedelta(days=400)).isoformat()
    short = send_form(world, ALICE, form, {"expires_on": too_far, "reason": "short"})
    assert short.in_ack  # the reason needs no GitLab: said in the ack
    assert set(short.errors) == {"reason"}
    reason = "the nightly export still runs every night"
    far = send_form(world, ALICE, form, {"expires_on": too_far, "reason": reason})
    assert "at most" in far.errors["expires_on"]  # the policy for this token, after the ack
    assert far.view is not None
    assert _blocks(far.view)["reason"]["element"]["initial_value"] == reason  # kept
    assert len(_live(world, "nightly-export")) == 1  # nothing happened

    new_date = (today + timedelta(days=60)).isoformat()
    done = send_form(world, ALICE, form, {"expires_on": new_date, "reason": reason})
    assert done.sent
    assert "Renewing" in json.dumps(done.view)
    dm = dm_with_button(world, ALICE)
    assert new_date in json.dumps(dm["blocks"])
    (new,) = _live(world, "nightly-export")
    assert new.expires_at.isoformat() == new_date
    assert world.slack.calls_to("chat.postMessage")[-1].args["channel"] != APPROVALS
    assert run_tokenbot("remind", "--dry-run", env=world.env).out.strip() == "nothing is due today"


def test_a_risky_renewal_waits_for_two_approvals(world: World) -> None:
    reminder = _claimed_by(world, ALICE)
    form = _renew_form(world, ALICE, reminder)
    today = date.fromisoformat(world.sim.state.today().isoformat())
    long_date = (today + timedelta(days=200)).isoformat()  # over 90 days: "long lifetime"
    reason = "the nightly export runs until the data warehouse moves"
    asked = send_form(world, ALICE, form, {"expires_on": long_date, "reason": reason})
    assert asked.sent
    assert "waits for approval" in json.dumps(asked.view)
    card = card_in(world)
    text = json.dumps(card["blocks"])
    assert "GitLab token renewal" in text
    assert "long lifetime" in text
    assert "waiting for approval" in json.dumps(_update(world, "asked to renew").args["blocks"])
    assert len(_live(world, "nightly-export")) == 1  # not rotated before approval
    (old,) = _live(world, "nightly-export")

    world.driver.click(ALICE, card, "request.approve")  # not her own renewal
    assert "own request" in world.slack.wait_for("chat.postEphemeral")[-1].args["text"]
    world.driver.click(OLGA, card, "request.approve")
    world.driver.click(OMAR, card, "request.approve")
    dm = dm_with_button(world, ALICE)
    assert long_date in json.dumps(dm["blocks"])
    (new,) = _live(world, "nightly-export")
    assert new.id != old.id
    assert new.expires_at.isoformat() == long_date


def test_with_slow_gitlab_renew_acks_at_once_and_renews_once(world: World) -> None:
    """Issue 15: the Renew form's submit asked GitLab (who the clicker is, their role) before
    its ack. Now it acks with "Checking with GitLab…"; a date past the policy comes back in
    the form, the renewal in a confirmation; the same submit again (same view id and hash)
    renews nothing more, even once the first renewal is done and no longer "under way"."""
    reminder = _claimed_by(world, ALICE)
    form = _renew_form(world, ALICE, reminder)
    today = date.fromisoformat(world.sim.state.today().isoformat())
    reason = "the nightly export still runs every night"
    world.sim.faults.latency(SLOW_GITLAB_MS)
    too_far = {"expires_on": (today + timedelta(days=400)).isoformat(), "reason": reason}
    refused, acked_in = timed_send(world, ALICE, form, too_far, timeout=120)
    assert acked_in < ACK_WITHIN_S, acked_in
    assert "at most" in refused.errors["expires_on"]
    assert len(_live(world, "nightly-export")) == 1

    new_date = (today + timedelta(days=60)).isoformat()
    answers, same = {"expires_on": new_date, "reason": reason}, "1700000800.000003"
    done, acked_in = timed_send(world, ALICE, form, answers, view_hash=same, timeout=120)
    assert acked_in < ACK_WITHIN_S, acked_in
    assert done.sent, done.errors
    assert "Renewing" in json.dumps(done.view)
    world.sim.faults.clear()
    dm_with_button(world, ALICE)
    (new,) = _live(world, "nightly-export")
    assert new.expires_at.isoformat() == new_date
    again = send_form(world, ALICE, form, answers, view_hash=same)
    assert again.sent, again.errors
    assert "Renewing" in json.dumps(again.view)
    assert audit_actions(world).count("renewal_requested") == 1
    assert _live(world, "nightly-export") == [new]
