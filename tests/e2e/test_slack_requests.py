"""Requesting a token in Slack, end to end: `tokenbot run`, the GitLab simulator, a recorder.

The whole flow runs through signed requests; afterwards the secret is searched for in every
Slack call, the bot's logs and its database files: it may appear in the reveal modal only.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from tests.support.request_world import (
    ACK_WITHIN_S,
    ALICE,
    APPROVALS,
    DAN,
    OLGA,
    OMAR,
    SLOW_GITLAB_MS,
    World,
    audit_actions,
    card_in,
    dm_with_button,
    request_token,
    send_form,
    timed_send,
    world,
)

__all__ = ["world"]  # the fixture


def test_request_approve_reveal_and_the_secret_appears_only_in_the_reveal_modal(
    world: World,
) -> None:
    outcome = request_token(world)
    assert outcome.sent  # acked at once, then the confirmation
    card = card_in(world)
    assert "release-notes" in json.dumps(card["blocks"])
    assert world.driver.click(OLGA, card, "request.approve").status_code == 200
    dm = dm_with_button(world, ALICE)
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
    request_token(world)
    world.driver.click(OLGA, card_in(world), "request.approve")
    dm = dm_with_button(world, ALICE)
    world.driver.click(ALICE, dm, "request.reveal")
    world.slack.wait_for("views.open", 2)
    world.driver.click(ALICE, dm, "request.reveal")
    note = world.slack.wait_for("chat.postEphemeral")[-1]
    assert "already revealed" in note.args["text"]
    assert len(world.slack.calls_to("views.open")) == 2


def test_the_requester_cannot_approve_and_a_developer_may_not(world: World) -> None:
    request_token(world)
    card = card_in(world)
    world.driver.click(ALICE, card, "request.approve")
    world.driver.click(DAN, card, "request.approve")
    notes = world.slack.wait_for("chat.postEphemeral", 2)
    texts = {c.args["user"]: c.args["text"] for c in notes}
    assert "your own request" in texts[ALICE]
    assert "needs Maintainer or higher on acme/platform/api" in texts[DAN]
    assert world.slack.calls_to("chat.update") == []
    assert not [t for t in world.sim.state.tokens.values() if t.name == "release-notes"]


def test_a_role_above_the_requesters_own_is_a_field_error(world: World) -> None:
    outcome = request_token(world, DAN, role="40")
    assert "you are Developer on acme/platform/api" in outcome.errors["role"]
    assert [
        c for c in world.slack.calls_to("chat.postMessage") if c.args.get("channel") == APPROVALS
    ] == []


def test_a_scope_outside_policy_is_a_field_error(world: World) -> None:
    outcome = request_token(world, scopes=["read_user"])
    assert outcome.in_ack  # the policy needs no GitLab: said in the ack
    assert "not allowed here: read_user" in outcome.errors["scopes"]


def test_two_approvals_at_the_same_moment_make_one_token(world: World) -> None:
    request_token(world)
    card = card_in(world)
    barrier = threading.Barrier(2)

    def approve(user: str) -> None:
        barrier.wait()
        world.driver.click(user, card, "request.approve")

    threads = [threading.Thread(target=approve, args=(u,)) for u in (OLGA, OMAR)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    dm_with_button(world, ALICE)
    threading.Event().wait(0.5)
    assert len([t for t in world.sim.state.tokens.values() if t.name == "release-notes"]) == 1


def test_deny_asks_for_a_reason_and_tells_the_requester(world: World) -> None:
    request_token(world)
    card = card_in(world)
    world.driver.click(OLGA, card, "request.deny")
    view = world.slack.wait_for("views.open", 2)[-1].args["view"]
    denied = send_form(world, OLGA, view, {"deny_reason": "use a CI job token"})
    assert denied.sent
    assert "Denied" in json.dumps(denied.view)
    told = world.slack.wait_for_message(ALICE, "denied")
    assert "use a CI job token" in told.args["text"]


WORK_WITHIN_S = 120.0  # the checks after the ack, at SLOW_GITLAB_MS per GitLab answer


def _deny_form(world: World, user: str, card: dict[str, Any]) -> dict[str, Any]:
    before = len(world.slack.calls_to("views.open"))
    assert world.driver.click(user, card, "request.deny").status_code == 200
    return world.slack.wait_for("views.open", before + 1)[-1].args["view"]


def _denial_notes(world: World) -> list[str]:
    said = [str(c.args.get("text")) for c in world.slack.calls_to("chat.postMessage")]
    return [words for words in said if "was denied by" in words]


def test_with_slow_gitlab_a_denial_acks_at_once_refuses_in_the_form_and_denies_once(
    world: World,
) -> None:
    """Issue 15: the deny form's submit asked GitLab (who the approver is, their role) before
    its ack. Now: an empty reason in the ack; the gate's refusal and the denial after it, in
    the modal; the same submit again (Slack's retry: same view id and hash) denies nothing
    more: the request's state machine denies once, and the second arrival shows the outcome."""
    request_token(world)
    card = card_in(world)
    dan_form = _deny_form(world, DAN, card)  # a Developer: no approver of this request
    empty = send_form(world, DAN, dan_form, {"deny_reason": "   "})
    assert empty.in_ack
    assert "say why" in empty.errors["deny_reason"]

    world.sim.faults.latency(SLOW_GITLAB_MS)
    answers = {"deny_reason": "use a CI job token"}
    refused, acked_in = timed_send(world, DAN, dan_form, answers, timeout=WORK_WITHIN_S)
    assert acked_in < ACK_WITHIN_S, acked_in
    assert "Maintainer" in refused.errors["deny_reason"], refused.errors
    assert refused.view is not None
    kept = [b for b in refused.view["blocks"] if b.get("block_id") == "deny_reason"]
    assert kept[0]["element"]["initial_value"] == "use a CI job token"  # fix and resubmit
    assert _denial_notes(world) == []

    olga_form = _deny_form(world, OLGA, card)
    same = "1700000800.000001"
    denied, acked_in = timed_send(
        world, OLGA, olga_form, answers, view_hash=same, timeout=WORK_WITHIN_S
    )
    assert acked_in < ACK_WITHIN_S, acked_in
    assert denied.sent, denied.errors
    assert "Denied" in json.dumps(denied.view)
    world.sim.faults.clear()
    again = send_form(world, OLGA, olga_form, answers, view_hash=same)
    assert again.sent, again.errors  # the outcome again, not "this request is denied"
    assert "Denied" in json.dumps(again.view)
    assert len(_denial_notes(world)) == 1
    assert audit_actions(world).count("denied") == 1
