"""After the request: cancel, rotate, the Home tab, `/token mine` and `pending`, routing,
the type-aware form and delivery into a CI/CD variable; all through signed Slack requests."""

from __future__ import annotations

import json
import threading
from typing import Any

import requests

from tests.support.request_world import (
    ALICE,
    APPROVALS,
    DAN,
    OLGA,
    OMAR,
    PAYMENTS,
    World,
    card_in,
    dm_with_button,
    open_form,
    request_token,
    world,
)
from tests.support.slack_api import Call

__all__ = ["world"]  # the fixture


def _secret_in(call: Call) -> str:
    text = json.dumps(call.args["view"])
    return next(part.strip("`") for part in text.split('"') if part.startswith("```glpat-"))


def _works(world: World, secret: str) -> bool:
    answer = requests.get(
        f"{world.gitlab_url}/api/v4/projects", headers={"PRIVATE-TOKEN": secret}, timeout=5
    )
    return answer.status_code == 200


def _updates_with(
    world: World, needle: str, count: int = 1, channel: str | None = None
) -> list[Call]:
    for _ in range(200):
        found = [
            c
            for c in world.slack.calls_to("chat.update")
            if needle in json.dumps(c.args) and channel in (None, c.args.get("channel"))
        ]
        if len(found) >= count:
            return found
        threading.Event().wait(0.05)
    raise AssertionError(f"no chat.update with {needle!r}")


def _published(world: World, user: str, count: int = 1) -> dict[str, Any]:
    for _ in range(200):
        found = [c for c in world.slack.calls_to("views.publish") if c.args["user_id"] == user]
        if len(found) >= count:
            return dict(found[count - 1].args["view"])
        threading.Event().wait(0.05)
    raise AssertionError(f"no Home tab published for {user}")


def _approved_and_revealed(world: World) -> tuple[dict[str, Any], str]:
    request_token(world)
    world.driver.click(OLGA, card_in(world), "request.approve")
    dm = dm_with_button(world, ALICE)
    world.driver.click(ALICE, dm, "request.reveal")
    return dm, _secret_in(world.slack.wait_for("views.open", 2)[-1])


def test_the_requester_cancels_from_the_dm_and_the_card_says_so(world: World) -> None:
    request_token(world)
    card = card_in(world)
    waiting = dm_with_button(world, ALICE, "request.cancel")
    assert "waiting for approval" in json.dumps(waiting["blocks"])
    world.driver.click(DAN, waiting, "request.cancel")  # someone else's click changes nothing
    assert "only the requester" in world.slack.wait_for("chat.postEphemeral")[-1].args["text"]
    world.driver.click(ALICE, waiting, "request.cancel")
    card_update = _updates_with(world, "Cancelled by the requester", channel=APPROVALS)[-1]
    assert card_update.args["ts"] == card["ts"]
    assert card_update.args["channel"] == APPROVALS
    assert "request.approve" not in json.dumps(card_update.args["blocks"])
    dm_update = _updates_with(world, "You cancelled your request")[-1]
    assert dm_update.args["ts"] == waiting["ts"]
    world.driver.click(OLGA, card, "request.approve")  # a stale card cannot revive it
    assert "cancelled" in world.slack.wait_for("chat.postEphemeral", 2)[-1].args["text"]
    assert not [t for t in world.sim.state.tokens.values() if t.name == "release-notes"]


def test_rotating_in_place_after_the_reveal_gives_a_fresh_secret_and_kills_the_old(
    world: World,
) -> None:
    """Rotate in place (a leaked secret); plain Rotate token hands off (test_slack_handoff)."""
    _dm, first = _approved_and_revealed(world)
    assert _works(world, first)
    after_reveal = _updates_with(world, "request.rotate")[-1]
    offer = {"channel": ALICE, "ts": after_reveal.args["ts"], "blocks": after_reveal.args["blocks"]}
    labels = json.dumps(offer["blocks"])
    assert '"Rotate token"' in labels
    assert '"Rotate in place"' in labels
    world.driver.click(OLGA, offer, "request.rotate_in_place")
    assert "only the requester" in world.slack.wait_for("chat.postEphemeral")[-1].args["text"]
    world.driver.click(ALICE, offer, "request.rotate_in_place")
    fresh = dm_with_button(world, ALICE, "request.reveal", nth=2)
    assert "was rotated" in json.dumps(fresh["blocks"])
    world.driver.click(ALICE, fresh, "request.reveal")
    reveal = world.slack.wait_for("views.open", 3)[-1]
    second = _secret_in(reveal)
    assert second != first
    assert _works(world, second)
    assert not _works(world, first)
    live = [
        t for t in world.sim.state.tokens.values() if t.name == "release-notes" and not t.revoked
    ]
    assert len(live) == 1
    carrying = [c for c in world.slack.calls if second in json.dumps(c.args)]
    assert carrying == [reveal]
    log = world.bot.stop()
    assert first not in log
    assert second not in log


def test_the_home_tab_shows_mine_and_what_waits_for_me_and_approves(world: World) -> None:
    request_token(world)
    card = card_in(world)
    world.driver.home_opened(ALICE)
    mine = json.dumps(_published(world, ALICE)["blocks"])
    assert "Which token should I use?" in mine
    assert "Request a token" in mine
    assert "release-notes" in mine
    assert "Waiting for approval (0 of 1 approvals)" in mine
    assert "Cancel request" in mine

    world.driver.home_opened(DAN)  # a Developer decides on nothing
    assert "release-notes" not in json.dumps(_published(world, DAN)["blocks"])

    world.driver.home_opened(OLGA)
    home = _published(world, OLGA)
    assert "<@U0ALICE> asks for *`release-notes`*" in json.dumps(home["blocks"])
    world.driver.click_in_view(OLGA, home, "request.approve")
    dm_with_button(world, ALICE)  # provisioned and delivered
    assert _updates_with(world, "token created", channel=APPROVALS)[-1].args["ts"] == card["ts"]
    refreshed = json.dumps(_published(world, OLGA, 2)["blocks"])
    assert "release-notes" not in refreshed  # nothing waits for her any more

    world.driver.home_opened(ALICE, ts="1700000301.000301")
    tokens = json.dumps(_published(world, ALICE, 2)["blocks"])
    assert "Your tokens" in tokens
    assert "Rotate token" in tokens


def test_token_mine_answers_at_once_and_pending_through_the_response_url(world: World) -> None:
    request_token(world)
    card_in(world)
    mine = world.driver.command(ALICE, "mine")
    assert mine.status_code == 200
    assert "1 open request" in mine.json()["text"]
    assert "release-notes" in json.dumps(mine.json()["blocks"])

    assert world.driver.command(OMAR, "pending").status_code == 200
    answer = world.slack.wait_for("response_url")[-1]
    assert answer.args["text"] == "1 request waiting for you."
    listed = {"channel": "C0GENERAL", "ts": "1700000500.000500", "blocks": answer.args["blocks"]}
    world.driver.click(OMAR, listed, "request.approve", ephemeral=True)
    dm_with_button(world, ALICE)

    world.driver.command(DAN, "pending")
    assert world.slack.wait_for("response_url", 2)[-1].args["text"] == "0 requests waiting for you."


def test_requests_under_a_routed_namespace_go_to_its_channel(world: World) -> None:
    response = request_token(
        world, OLGA, target="acme/payments/checkout", name="checkout-reader", role="20"
    )
    assert response.sent
    card = card_in(world, channel=PAYMENTS)
    assert "checkout-reader" in json.dumps(card["blocks"])
    assert not [
        c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == APPROVALS
    ]
    waiting = dm_with_button(world, OLGA, "request.cancel")
    assert f"<#{PAYMENTS}>" in json.dumps(waiting["blocks"])


def test_choosing_a_type_narrows_the_scopes_and_drops_the_role(world: World) -> None:
    form = open_form(world, ALICE)
    assert {"api", "read_user"} <= {
        o["value"]
        for b in form["blocks"]
        if b["block_id"] == "scopes"
        for o in b["element"]["options"]
    }
    world.driver.click_in_view(
        ALICE,
        form,
        "value",
        view_type="modal",
        answers={"token_type": "deploy_token", "scopes": ["read_repository", "api"]},
        selected="deploy_token",
        block_id="token_type",
    )
    update = world.slack.wait_for("views.update")[-1]
    assert update.args["view_id"] == "V0VIEW"
    blocks = {b["block_id"]: b for b in update.args["view"]["blocks"]}
    options = {o["value"] for o in blocks["scopes"]["element"]["options"]}
    assert "api" not in options
    assert "read_repository" in options
    assert "role" not in blocks  # deploy tokens have no role
    kept = [o["value"] for o in blocks["scopes"]["element"].get("initial_options", [])]
    assert kept == ["read_repository"]  # still valid, so still chosen


def test_delivery_into_a_masked_protected_ci_variable(world: World) -> None:
    request_token(
        world,
        delivery="ci_variable",
        variable_project="acme/platform/api",
        variable_key="RELEASE_TOKEN",
    )
    world.driver.click(OLGA, card_in(world), "request.approve")
    for _ in range(200):
        told = [
            c
            for c in world.slack.calls_to("chat.postMessage")
            if c.args["channel"] == ALICE and "RELEASE_TOKEN" in str(c.args.get("text"))
        ]
        if told:
            break
        threading.Event().wait(0.05)
    assert told
    assert "masked, protected CI/CD variable" in told[0].args["text"]
    assert not [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.args["channel"] == ALICE and "request.reveal" in json.dumps(c.args.get("blocks"))
    ]
    (variable,) = [v for v in world.sim.state.variables if v.key == "RELEASE_TOKEN"]
    assert variable.masked
    assert variable.protected
    assert _works(world, variable.value)
    assert [c for c in world.slack.calls if variable.value in json.dumps(c.args)] == []


def test_a_ci_variable_in_a_project_the_requester_does_not_maintain_is_refused(
    world: World,
) -> None:
    response = request_token(
        world,
        DAN,
        role="20",
        delivery="ci_variable",
        variable_project="acme/platform/api",
        variable_key="RELEASE_TOKEN",
    )
    assert "Maintainer" in response.errors["variable_project"]
