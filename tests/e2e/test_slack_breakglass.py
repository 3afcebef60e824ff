"""Break-glass end to end: `/token breakglass` and its form as signed Slack requests to
`tokenbot run`, the GitLab simulator, and `tokenbot breakglass-sweep` run beside it in a
process whose clock freezegun moved (as tests/e2e/test_slack_handoff.py does for `sync`).

acme/oncall is the break-glass group: alice (Maintainer of acme/platform) is a member, and
olga and omar (Owners of acme) are members through its parent; dan (Developer of
acme/platform) is not. GitLab ends a token at the start of its expiry date (00:00 UTC;
https://gitlab.com/gitlab-org/gitlab/-/merge_requests/93504 "personal access tokens expire
at the beginning of the day"), which the simulator models (`AccessToken.is_expired`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.breakglass import expiry_date_at_or_after
from bot.sandbox import AccessLevel, GitlabSimulator
from bot.sandbox.token_models import AccessToken
from tests.cli_runner import run_tokenbot
from tests.support.request_world import (
    ACK_WITHIN_S,
    ALICE,
    APPROVALS,
    DAN,
    OLGA,
    OMAR,
    SLOW_GITLAB_MS,
    FormOutcome,
    World,
    card_in,
    dm_with_button,
    send_form,
    start_world,
    timed_send,
)

NAME = "incident-4711"
ANSWERS: dict[str, Any] = {
    "target": "acme/platform/api",
    "token_type": "project_access_token",
    "name": NAME,
    "scopes": ["read_api"],
    "role": "20",
    "reason": "INC-4711: the deploy pipeline is down and we must read its API now",
}
BREAKGLASS = {
    "TOKENBOT_BREAKGLASS_GROUPS": "acme/oncall",
    "TOKENBOT_APPROVERS": OMAR,
}


def _oncall(sim: GitlabSimulator) -> None:
    state = sim.state
    acme = state.group_by_full_path("acme")
    alice = state.user_by_username("alice")
    assert acme is not None
    assert alice is not None
    oncall = state.add_group("oncall", parent=acme)
    state.add_member(alice, oncall, AccessLevel.DEVELOPER)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with start_world(tmp_path, extra_env=BREAKGLASS, setup=_oncall) as started:
        yield started


def _open_form(world: World, user: str) -> dict[str, Any]:
    """`/token breakglass`: a modal opens at once ("Checking…"), then becomes the form."""
    opens, updates = (len(world.slack.calls_to(m)) for m in ("views.open", "views.update"))
    assert world.driver.command(user, "breakglass").status_code == 200
    opened = world.slack.wait_for("views.open", opens + 1)[opens]
    assert "Checking with GitLab" in json.dumps(opened.args["view"])
    update = world.slack.wait_for("views.update", updates + 1)[updates]
    assert update.args["view_id"] == opened.answer["view"]["id"]
    view: dict[str, Any] = update.args["view"]
    assert view.get("submit"), "the form, not a refusal"
    return view


def _break_glass(world: World, user: str = ALICE, **answers: Any) -> FormOutcome:
    """Submit the form; how it ends (the ack answers "Checking with GitLab…", then the
    modal becomes the confirmation, the form with its problems, or the refusal)."""
    return send_form(world, user, _open_form(world, user), {**ANSWERS, **answers})


def _in_channel(world: World, channel: str = APPROVALS) -> list[Any]:
    return [c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == channel]


def _wait(condition: Any, what: str) -> None:
    for _ in range(200):
        if condition():
            return
        threading.Event().wait(0.05)
    raise AssertionError(f"never: {what}")


def _made(world: World) -> list[AccessToken]:
    return [t for t in world.sim.state.tokens.values() if t.name == NAME]


def _sweep(world: World, at: datetime) -> str:
    """`tokenbot breakglass-sweep` in a process whose clock freezegun moved to `at`."""
    script = (
        "import sys; from datetime import datetime; from freezegun import freeze_time;"
        f" freeze_time(datetime.fromisoformat({at.isoformat()!r}), tick=True,"
        " ignore=['bot.gitlab.http', 'bot.gitlab.server_pace']).start();"
        " from bot.cli import main; sys.exit(main(['breakglass-sweep']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **world.env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _audit(world: World) -> list[str]:
    exported = run_tokenbot("audit", "export", env=world.env)
    assert exported.code == 0, exported.err
    return [json.loads(line)["action"] for line in exported.out.splitlines()]


def _review_card(world: World) -> dict[str, Any]:
    """The review card (the second message in the approvals channel) as Slack holds it."""
    return card_in(world, 2)


def test_break_glass_provisions_at_once_announces_and_posts_the_review_card(
    world: World,
) -> None:
    started = datetime.now(UTC)
    made = _break_glass(world)
    assert made.sent
    assert "Breaking glass" in json.dumps(made.view)
    reveal = dm_with_button(world, ALICE)  # the secret waits behind Reveal, as for any request
    (token,) = _made(world)
    assert not token.revoked
    assert token.scopes == ["read_api"]
    # Lifetime: TOKENBOT_BREAKGLASS_HOURS (24) from now; GitLab's date is the backstop.
    ends = started + timedelta(hours=24)
    # (the bot read its clock a moment after `started`: the date of either moment)
    assert token.expires_at in {
        expiry_date_at_or_after(ends),
        expiry_date_at_or_after(ends + timedelta(seconds=30)),
    }
    _wait(lambda: len(_in_channel(world)) >= 2, "the announcement and the review card")
    loud, card = _in_channel(world)[:2]
    said = json.dumps(loud.args)
    assert "<!here>" in said
    assert f"<@{ALICE}>" in said
    assert "Break-glass token" in said
    assert "INC-4711" in said
    assert NAME in said
    assert "Acknowledge" in json.dumps(card.args["blocks"])
    assert "glpat-" not in said + json.dumps(card.args)  # the secret is never in the channel
    revealed = world.driver.click(ALICE, reveal, "request.reveal")
    assert revealed.status_code == 200
    view = json.dumps(world.slack.wait_for("views.open", 2)[1].args["view"])  # after the form
    assert "glpat-" in view
    _wait(lambda: world.slack.calls_to("chat.update"), "the DM after the reveal")
    after = json.dumps(world.slack.calls_to("chat.update")[-1].args)
    assert "request.rotate" not in after  # never rotated: break glass again instead
    actions = _audit(world)
    assert actions[:3] == ["break_glass_requested", "provisioning", "provisioned"]
    assert "approved" not in actions


def test_only_an_approver_may_acknowledge_the_review_and_it_updates_the_card(
    world: World,
) -> None:
    assert _break_glass(world).sent
    card = _review_card(world)
    for refused in (ALICE, DAN):  # the requester; a Developer, who could not approve it
        assert world.driver.click(refused, card, "breakglass.acknowledge").status_code == 200
    _wait(lambda: len(world.slack.calls_to("chat.postEphemeral")) >= 2, "two refusals")
    refusals = json.dumps([c.args for c in world.slack.calls_to("chat.postEphemeral")])
    assert "Not acknowledged" in refusals
    assert "needs Maintainer or higher" in refusals
    assert "break_glass_acknowledged" not in _audit(world)
    assert world.driver.click(OLGA, card, "breakglass.acknowledge").status_code == 200
    _wait(lambda: world.slack.calls_to("chat.update"), "the card redrawn")
    redrawn = json.dumps(world.slack.calls_to("chat.update")[-1].args)
    assert f"Acknowledged by <@{OLGA}>" in redrawn
    assert "breakglass.acknowledge" not in redrawn  # no button left
    assert _audit(world).count("break_glass_acknowledged") == 1
    # A second click (an old copy of the card) acknowledges nothing again.
    world.driver.click(OMAR, card, "breakglass.acknowledge")
    _wait(lambda: len(world.slack.calls_to("chat.postEphemeral")) >= 3, "a third answer")
    assert "already acknowledged" in json.dumps(world.slack.calls_to("chat.postEphemeral")[-1].args)
    assert _audit(world).count("break_glass_acknowledged") == 1


def test_an_overdue_review_escalates_once_and_the_token_ends_on_time(world: World) -> None:
    started = datetime.now(UTC)
    assert _break_glass(world).sent
    dm_with_button(world, ALICE)
    _wait(lambda: len(_in_channel(world)) >= 2, "the review card")
    assert "0 escalated" in _sweep(world, started + timedelta(hours=3))  # not due yet
    assert "1 escalated" in _sweep(world, started + timedelta(hours=5))
    assert "0 escalated" in _sweep(world, started + timedelta(hours=6))  # exactly once
    escalations = [c for c in _in_channel(world) if "overdue" in json.dumps(c.args)]
    assert len(escalations) == 1
    assert f"<@{OMAR}>" in escalations[0].args["text"]  # TOKENBOT_APPROVERS are mentioned
    assert "Overdue" in json.dumps(world.slack.calls_to("chat.update")[-1].args)
    assert [t.revoked for t in _made(world)] == [False]
    assert "1 ended" in _sweep(world, started + timedelta(hours=24, minutes=2))
    assert [t.revoked for t in _made(world)] == [True]  # tokenbot revoked it at its end
    assert "0 ended" in _sweep(world, started + timedelta(hours=25))
    assert "reached the end of its lifetime" in json.dumps(
        [c.args for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == ALICE]
    )
    actions = _audit(world)
    assert actions.count("break_glass_escalated") == 1
    assert actions.count("break_glass_ended") == 1


def test_break_glass_is_refused_for_someone_the_policy_does_not_allow(world: World) -> None:
    assert world.driver.command(DAN, "breakglass").status_code == 200
    answer = world.slack.wait_for("response_url")[-1].args
    assert "Break-glass is not for you" in answer["text"]
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    refusal = world.slack.wait_for("views.update")[-1].args["view"]
    assert "Break-glass is not for you" in json.dumps(refusal)
    assert "submit" not in refusal  # no form for dan: nothing to submit
    # A forged submit of the form (dan never got one) is refused too, and stores nothing.
    view = _open_form(world, ALICE)
    refused = send_form(world, DAN, view, {**ANSWERS, "name": "dan-forged"})
    assert refused.view is not None
    assert "break-glass groups" in json.dumps(refused.view)  # after the gate, in the modal
    assert "submit" not in refused.view  # the refusal, not the form
    assert not [t for t in world.sim.state.tokens.values() if t.name == "dan-forged"]
    assert not _in_channel(world)
    assert _audit(world) == []


def test_break_glass_never_gives_more_than_the_person_holds(world: World) -> None:
    """alice is Maintainer: an Owner-role break-glass is refused by field, nothing made."""
    refused = _break_glass(world, role="50")
    assert not refused.in_ack  # the gate knows it, after the ack
    assert "a token cannot get more than you have" in json.dumps(refused.errors)
    assert not _made(world)
    assert _audit(world) == []


@pytest.mark.parametrize("command", ["run", "settings"])
def test_a_lifetime_over_a_day_is_refused_at_start(tmp_path: Path, command: str) -> None:
    env = {"TOKENBOT_BREAKGLASS_HOURS": "25", "TOKENBOT_DATA_DIR": str(tmp_path)}
    checked = run_tokenbot(command, env=env)
    assert checked.code == 2
    assert "TOKENBOT_BREAKGLASS_HOURS: must be 1 to 24" in checked.err
    assert "at most one day" in checked.err


def test_with_slow_gitlab_break_glass_acks_at_once_and_breaks_glass_once(world: World) -> None:
    """Issue 15: the submit asked GitLab (the gate's groups and roles, the path) before its
    ack. Now it acks with "Checking with GitLab…"; the gate's refusal comes back in the
    form, the break-glass in a confirmation; the same submit again (same view id and hash)
    makes no second token and no second announcement."""
    form = _open_form(world, ALICE)
    world.sim.faults.latency(SLOW_GITLAB_MS)
    refused, acked_in = timed_send(world, ALICE, form, {**ANSWERS, "role": "50"}, timeout=120)
    assert acked_in < ACK_WITHIN_S, acked_in
    assert "a token cannot get more than you have" in json.dumps(refused.errors)
    assert refused.view is not None
    assert refused.view["submit"]["text"] == "Make it now"

    same = "1700000800.000004"
    made, acked_in = timed_send(world, ALICE, form, ANSWERS, view_hash=same, timeout=120)
    assert acked_in < ACK_WITHIN_S, acked_in
    assert made.sent, made.errors
    assert "Breaking glass" in json.dumps(made.view)
    world.sim.faults.clear()
    dm_with_button(world, ALICE)
    _wait(lambda: len(_in_channel(world)) >= 2, "the announcement and the review card")
    again = send_form(world, ALICE, form, ANSWERS, view_hash=same)
    assert again.sent, again.errors  # not "you have an open request there already"
    assert len(_made(world)) == 1
    assert _audit(world).count("break_glass_requested") == 1
    assert len(_in_channel(world)) == 2
