"""Requesting a token in Slack, end to end: `tokenbot run`, the GitLab simulator, a recorder.

The whole flow runs through signed requests; afterwards the secret is searched for in every
Slack call, the bot's logs and its database files: it may appear in the reveal modal only.
"""

from __future__ import annotations

import json
import threading

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
