"""CI/CD job token access in Slack, end to end: the advisor's CI job token leaf, the form, the
target Maintainers' card, GitLab's allowlist (the simulator's state), Remove, the list.

dan is Developer of acme/platform; olga Owner of acme; alice Maintainer of acme/platform only,
so no Maintainer of acme/payments/checkout.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from bot.sandbox import GitlabSimulator
from tests.cli_runner import run_tokenbot
from tests.support.request_world import (
    ACK_WITHIN_S,
    ALICE,
    DAN,
    OLGA,
    PAYMENTS,
    SLOW_GITLAB_MS,
    World,
    card_in,
    send_form,
    timed_send,
    world,
)

__all__ = ["world"]  # the fixture

ANSWERS = {
    "source_kind": "project",
    "source": "acme/platform/api",
    "target": "acme/payments/checkout",
    "reason": "the api's release job downloads checkout's packages",
}


def _project(sim: GitlabSimulator, path: str) -> Any:
    return sim.state.project_by_full_path(path)


def _wait(condition: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        threading.Event().wait(0.05)


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        e["text"]["text"]: e["action_id"]
        for b in blocks
        for e in [*b.get("elements", []), *([b["accessory"]] if "accessory" in b else [])]
        if e.get("type") == "button"
    }


def _advise_to_job_token(world: World, user: str) -> dict[str, Any]:
    """Walk the advisor in a DM to its CI job token leaf; the message as Slack holds it."""
    assert world.driver.direct_message(user, "which token should I use?").status_code == 200
    posted = world.slack.wait_for("chat.postMessage")[-1]
    message = {"channel": posted.answer["channel"], "ts": posted.answer["ts"]}
    message["blocks"] = posted.args["blocks"]
    labels = (
        "Automation that calls the GitLab API (bots, integrations, CI jobs)",
        "Yes",  # in CI
        "Yes",  # only the limited API a job token can use
    )
    for step, label in enumerate(labels, start=1):
        assert (
            world.driver.click(user, message, _buttons(message["blocks"])[label]).status_code == 200
        )
        message["blocks"] = world.slack.wait_for("chat.update", step)[-1].args["blocks"]
    assert "CI job token" in json.dumps(message["blocks"])
    return message


def _open_form_from_advice(world: World, user: str) -> dict[str, Any]:
    message = _advise_to_job_token(world, user)
    action = _buttons(message["blocks"])["Request job-token access"]
    before = len(world.slack.calls_to("views.open"))
    assert world.driver.click(user, message, action).status_code == 200
    return world.slack.wait_for("views.open", before + 1)[-1].args["view"]


def _dm_text(world: World, user: str, words: str) -> None:
    def said() -> bool:
        calls = world.slack.calls_to("chat.postMessage") + world.slack.calls_to(
            "chat.postEphemeral"
        )
        return any(
            c.args.get("channel") == user or c.args.get("user") == user
            for c in calls
            if words in str(c.args.get("text"))
        )

    _wait(said, f"{words!r} to {user}")


def test_advice_to_allowlist_entry_and_back_through_slack(world: World) -> None:
    view = _open_form_from_advice(world, DAN)
    # "Resources the jobs need" too, once tokenbot has read the simulator's version (18.6):
    # tests/e2e/test_slack_job_token_policies.py; left empty, the entry gets the defaults
    labels = [
        b["label"]["text"]
        for b in view["blocks"]
        if "label" in b and b.get("block_id") != "resources"
    ]
    assert labels == [
        "Whose jobs need access",
        "Project or group whose jobs need access",
        "Project the jobs need to reach",
        "Reason",
    ]
    assert send_form(world, DAN, view, ANSWERS).sent
    card = card_in(world, channel=PAYMENTS)
    checkout, api = (
        _project(world.sim, "acme/payments/checkout"),
        _project(world.sim, "acme/platform/api"),
    )

    world.driver.click(DAN, card, "job_access.approve")  # the requester
    _dm_text(world, DAN, "you cannot decide on your own request")
    world.driver.click(ALICE, card, "job_access.approve")  # no Maintainer of the target
    _dm_text(world, ALICE, "needs Maintainer or higher on acme/payments/checkout")
    assert api.id not in checkout.job_token_project_allowlist

    world.driver.click(OLGA, card, "job_access.approve")
    _wait(lambda: api.id in checkout.job_token_project_allowlist, "the allowlist entry")
    _dm_text(world, DAN, "Allowed")
    update = world.slack.wait_for("chat.update", 4)[-1]  # 3 advisor steps, then the card
    card["blocks"] = update.args["blocks"]
    assert "Remove access" in _buttons(card["blocks"])

    world.driver.click(ALICE, card, "job_access.remove")
    _dm_text(world, ALICE, "Not removed")
    assert api.id in checkout.job_token_project_allowlist
    world.driver.click(OLGA, card, "job_access.remove")
    _wait(lambda: api.id not in checkout.job_token_project_allowlist, "the entry removed")
    _dm_text(world, DAN, "Removed from GitLab's allowlist")
    actions = _audit_actions(world)
    assert actions == ["requested", "approved", "job_token_allowed", "job_token_removed"]


def test_the_list_offers_remove_and_removes_from_gitlab(world: World) -> None:
    assert send_form(world, DAN, _open_form_from_advice(world, DAN), ANSWERS).sent
    world.driver.click(OLGA, card_in(world, channel=PAYMENTS), "job_access.approve")
    checkout, api = (
        _project(world.sim, "acme/payments/checkout"),
        _project(world.sim, "acme/platform/api"),
    )
    _wait(lambda: api.id in checkout.job_token_project_allowlist, "the allowlist entry")

    assert world.driver.command(OLGA, "job-access").status_code == 200
    listing = world.slack.wait_for("response_url")[-1].args
    assert "acme/platform/api" in json.dumps(listing["blocks"])
    message = {"channel": "C0GENERAL", "ts": "1700000999.000100", "blocks": listing["blocks"]}
    world.driver.click(OLGA, message, "job_access.remove")
    _wait(lambda: api.id not in checkout.job_token_project_allowlist, "the entry removed")


def test_a_group_source_goes_to_the_groups_allowlist(world: World) -> None:
    answers = {**ANSWERS, "source_kind": "group", "source": "acme/platform"}
    assert send_form(world, DAN, _open_form_from_advice(world, DAN), answers).sent
    world.driver.click(OLGA, card_in(world, channel=PAYMENTS), "job_access.approve")
    checkout = _project(world.sim, "acme/payments/checkout")
    platform = world.sim.state.group_by_full_path("acme/platform")
    _wait(lambda: platform.id in checkout.job_token_group_allowlist, "the group entry")


def test_forged_and_duplicate_submits_are_refused_by_field_and_store_nothing(world: World) -> None:
    view = _open_form_from_advice(world, ALICE)
    # alice is no member of checkout: she cannot speak for its jobs
    forged = {**ANSWERS, "source": "acme/payments/checkout", "target": "acme/platform/api"}
    errors = send_form(world, ALICE, view, forged).errors  # GitLab says: after the ack
    assert "not a member of acme/payments/checkout" in errors["source"]
    forged_view = json.loads(json.dumps(view))  # a client that offers a kind the form does not
    option = {"text": {"type": "plain_text", "text": "Admin"}, "value": "admin"}
    forged_view["blocks"][0]["element"]["options"].append(option)
    kind = send_form(world, ALICE, forged_view, {**ANSWERS, "source_kind": "admin"})
    assert kind.in_ack
    assert "source_kind" in kind.errors
    same = {**ANSWERS, "target": "acme/platform/api"}
    assert "target" in send_form(world, ALICE, view, same).errors
    assert _audit_actions(world) == []

    assert send_form(world, DAN, view, ANSWERS).sent
    again = send_form(world, DAN, view, ANSWERS).errors  # changed (a new hash): a new submit
    assert "requested or allowed already" in again["source"]
    assert _audit_actions(world) == ["requested"]


def _audit_actions(world: World) -> list[str]:
    result = run_tokenbot("audit", "export", env=world.env)
    assert result.code == 0, result.err
    events = [json.loads(line) for line in result.out.splitlines() if line.strip()]
    return [e["action"] for e in events if e.get("details", {}).get("kind") == "job_token_access"]


def test_a_card_slack_refuses_withdraws_the_request_so_it_can_be_asked_again(
    world: World,
) -> None:
    view = _open_form_from_advice(world, DAN)
    world.slack.fail_next("chat.postMessage", error="channel_not_found")
    assert send_form(world, DAN, view, ANSWERS).sent
    _dm_text(world, DAN, "its approval card could not be posted")
    assert send_form(world, DAN, view, ANSWERS).sent
    assert "job_access.approve" in json.dumps(card_in(world, 2, channel=PAYMENTS)["blocks"])
    assert _audit_actions(world) == ["requested", "cancelled", "requested"]


def test_with_slow_gitlab_the_submit_acks_at_once_and_asks_once(world: World) -> None:
    """Issue 15: the submit asked GitLab (paths, memberships, the allowlist) before its ack.
    Now it acks with "Checking with GitLab…"; GitLab's refusal comes back in the form, the
    request in a confirmation; the same submit again (same view id and hash) asks nothing
    more, where a second request for the same entry would be refused as a duplicate."""
    view = _open_form_from_advice(world, DAN)
    world.sim.faults.latency(SLOW_GITLAB_MS)
    forged = {**ANSWERS, "source": "acme/payments/checkout", "target": "acme/platform/api"}
    refused, acked_in = timed_send(world, DAN, view, forged, timeout=120)
    assert acked_in < ACK_WITHIN_S, acked_in
    assert "not a member of acme/payments/checkout" in refused.errors["source"]
    assert refused.view is not None
    assert refused.view["submit"]["text"] == "Request"  # the form again, to fix
    assert _audit_actions(world) == []

    same = "1700000800.000002"
    sent, acked_in = timed_send(world, DAN, view, ANSWERS, view_hash=same, timeout=120)
    assert acked_in < ACK_WITHIN_S, acked_in
    assert sent.sent, sent.errors
    assert "waiting for approval" in json.dumps(sent.view)
    world.sim.faults.clear()
    again = send_form(world, DAN, view, ANSWERS, view_hash=same)
    assert again.sent, again.errors  # not "requested or allowed already"
    assert "waiting for approval" in json.dumps(again.view)
    cards = [c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == PAYMENTS]
    assert len(cards) == 1
    assert _audit_actions(world) == ["requested"]
