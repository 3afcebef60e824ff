"""Findings 1-3, 7 and 8 of issue 10 (an attack on tokenbot), replayed as they were found.

Each test runs `tokenbot run` with signed Slack requests, the GitLab simulator and `tokenbot
sync` / `tokenbot remind` beside it, does what the attacker did, and checks the outcome the
fix promises: nobody gets a secret above their role without approvers who could hold it,
tokenbot's own token is out of reach, a pipeline trigger is no way up to tokenbot's account,
targets are GitLab's canonical path however they are spelled, and a failed reveal keeps the
secret.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from bot.sandbox import AccessLevel, GitlabSimulator, add_resource_token
from tests.cli_runner import run_tokenbot
from tests.support.request_world import (
    ALICE,
    APPROVALS,
    IN_30,
    OLGA,
    OMAR,
    PAYMENTS,
    REMINDERS,
    USER_MAP,
    World,
    card_in,
    dm_with_button,
    open_form,
    request_token,
    send_form,
    start_world,
    world,
)
from tests.support.slack_api import Call

__all__ = ["world"]  # the fixture

MIA = "U0MIA"  # a second Maintainer of acme/platform
GUS = "U0GUS"  # a Guest of acme/platform/api
OTTO = "U0OTTO"  # a third Owner of acme


# --- looking at the world -------------------------------------------------------------------


def _until(found: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Poll until `found()` is truthy (the bot works after it acked) and return it."""
    for _ in range(int(timeout / 0.05)):
        value = found()
        if value:
            return value
        threading.Event().wait(0.05)
    raise AssertionError(f"never happened: {what}")


def _rows(world: World, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of the bot's own database (SQLite in its data directory), read-only."""
    uri = f"file:{world.data_dir / 'tokenbot.db'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql, args)]


def _requests(world: World) -> list[dict[str, Any]]:
    rows = _rows(world, "SELECT * FROM token_requests ORDER BY created_at")
    for row in rows:
        row["risk_flags"] = json.loads(row["risk_flags"])
        row["approvals"] = json.loads(row["approvals"])
    return rows


def _audit_actions(world: World) -> list[str]:
    return [row["action"] for row in _rows(world, "SELECT action FROM audit_events ORDER BY id")]


def _tracked(world: World, name: str) -> dict[str, Any]:
    (row,) = _rows(world, "SELECT * FROM tracked_tokens WHERE name = ? AND status = 'active'", name)
    return row


def _ephemerals(world: World, user: str) -> list[str]:
    return [
        str(c.args.get("text"))
        for c in world.slack.calls_to("chat.postEphemeral")
        if c.args.get("user") == user
    ]


def _told(world: World, user: str, nth: int = 1) -> str:
    """The `nth` note only `user` sees (an ephemeral beside the clicked message)."""
    return str(_until(lambda: _ephemerals(world, user)[nth - 1 : nth], f"note {nth} to {user}")[0])


def _reveal_dms(world: World, user: str) -> list[Call]:
    return [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == user and "request.reveal" in json.dumps(c.args.get("blocks"))
    ]


def _works(world: World, secret: str) -> bool:
    answer = requests.get(
        f"{world.gitlab_url}/api/v4/projects", headers={"PRIVATE-TOKEN": secret}, timeout=5
    )
    return answer.status_code == 200


def _secret_in(call: Call) -> str:
    """The secret a reveal modal shows (in a code block)."""
    text = json.dumps(call.args["view"])
    return next(part.strip("`") for part in text.split('"') if part.startswith("```"))


def _sync(world: World, **env: str) -> None:
    synced = run_tokenbot("sync", env={**world.env, **env})
    assert synced.code == 0, synced.err


def _reminder(world: World, name: str) -> dict[str, Any]:
    """`tokenbot remind` posts; the reminder of the token `name`, as Slack holds it."""
    posted = run_tokenbot("remind", env=world.env)
    assert posted.code == 0, posted.err
    (call,) = [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == REMINDERS and name in str(c.args.get("text"))
    ]
    return {"channel": REMINDERS, "ts": call.answer["ts"], "blocks": call.args["blocks"]}


def _approve(world: World, user: str, card: dict[str, Any]) -> None:
    assert world.driver.click(user, card, "request.approve").status_code == 200


# --- finding 1 ------------------------------------------------------------------------------


def _waits_for_owners(world: World, old_secret: str) -> dict[str, Any]:
    """alice's Rotate rotated nothing: a renewal request waits for Owners on its card."""
    card = card_in(world)
    (renewal,) = _requests(world)
    assert renewal["state"] == "pending"
    assert renewal["requester"] == ALICE
    assert renewal["renews_key"] == _tracked(world, "owner-bot")["key"]
    assert renewal["required_approvals"] == 2  # as many as a new api, Owner-role token
    assert "above the requester's role" in renewal["risk_flags"]
    (token,) = [t for t in world.sim.state.tokens.values() if t.name == "owner-bot"]
    assert not token.revoked
    assert _works(world, old_secret)
    assert _reveal_dms(world, ALICE) == []
    return card


def test_a_maintainer_gets_an_owner_level_token_only_after_owners_approve(tmp_path: Path) -> None:
    """Finding 1: "Claim, then Rotate, hands a Maintainer an Owner-level token with no
    approval." A Maintainer may not claim a project's Owner-level token; her Rotate, unowned or
    even as its configured owner, makes a renewal request that waits for Owners, the old token
    keeps working, and the new secret reaches her only after Owners approved it."""
    old: dict[str, str] = {}

    def owner_bot(sim: GitlabSimulator) -> None:
        state = sim.state
        api = state.project_by_full_path("acme/platform/api")
        assert api is not None
        _, old["secret"] = add_resource_token(
            state,
            api,
            name="owner-bot",
            level=AccessLevel.OWNER,
            scopes=("api",),
            expires_at=state.today() + timedelta(days=5),
        )
        mia = state.add_user("mia", name="Mia")
        platform = state.group_by_full_path("acme/platform")
        assert platform is not None
        state.add_member(mia, platform, AccessLevel.MAINTAINER)

    # Nobody owns it yet: alice, Maintainer of acme/platform, clicks Claim, then Rotate.
    with start_world(tmp_path / "unowned", setup=owner_bot) as world:
        _sync(world)
        reminder = _reminder(world, "owner-bot")
        world.driver.click(ALICE, reminder, "reminder.claim")
        refusal = _told(world, ALICE)
        assert refusal.startswith("Nothing changed")
        assert "Owner or higher" in refusal
        assert _tracked(world, "owner-bot")["owner"] is None  # claiming was refused
        assert not [c for c in world.slack.calls_to("chat.update") if ALICE in json.dumps(c.args)]
        assert _works(world, old["secret"])
        # Rotate, which the reminder offers anyone: a request for Owners, not a secret.
        assert world.driver.click(ALICE, reminder, "reminder.rotate").status_code == 200
        _waits_for_owners(world, old["secret"])

    # TOKENBOT_OWNERS makes alice its owner: the reminder offers her Rotate.
    owned = {
        "TOKENBOT_OWNERS": f"acme/platform/api={ALICE}",
        "TOKENBOT_USER_MAP": f"{USER_MAP},{MIA}=mia",
    }
    with start_world(tmp_path / "owned", extra_env=owned, setup=owner_bot) as world:
        _sync(world)
        reminder = _reminder(world, "owner-bot")
        assert _tracked(world, "owner-bot")["owner"] == ALICE
        assert world.driver.click(ALICE, reminder, "reminder.rotate").status_code == 200

        card = _waits_for_owners(world, old["secret"])
        _until(
            lambda: [
                c
                for c in world.slack.calls_to("chat.postMessage")
                if c.args.get("channel") == ALICE and "waits for approval" in str(c.args)
            ],
            "alice is told her rotation waits for approval",
        )
        assert _reveal_dms(world, ALICE) == []

        # Neither she nor another Maintainer may approve it; Owners may.
        _approve(world, ALICE, card)
        assert "own request" in _told(world, ALICE)
        _approve(world, MIA, card)
        assert "Owner or higher" in _told(world, MIA)
        assert _requests(world)[0]["approvals"] == []

        _approve(world, OLGA, card)
        _until(lambda: len(_requests(world)[0]["approvals"]) == 1, "olga's approval")
        assert _requests(world)[0]["state"] == "pending"  # one Owner is not enough here
        assert _works(world, old["secret"])
        assert _reveal_dms(world, ALICE) == []

        _approve(world, OMAR, card)
        dm = dm_with_button(world, ALICE)  # approved by two Owners: the secret is hers now
        done = _requests(world)[0]
        assert done["state"] == "provisioned"
        assert [a[0] for a in done["approvals"]] == [OLGA, OMAR]
        world.driver.click(ALICE, dm, "request.reveal")
        fresh = _secret_in(world.slack.wait_for("views.open")[-1])
        assert _works(world, fresh)
        # Handed off, now that Owners agreed: the old secret works until the new one is used
        # (docs/handoff.md); alice's use of it, then the next sync, ends the old one.
        assert _works(world, old["secret"])
        _sync(world)
        assert not _works(world, old["secret"])


# --- finding 2 ------------------------------------------------------------------------------


def _stale_reminder(key: str) -> dict[str, Any]:
    """A reminder of `key` with every button a reminder ever carried, as a tokenbot before the
    fix posted it in the reminders channel: Slack still sends clicks on its buttons."""
    buttons = [
        {"type": "button", "action_id": f"reminder.{action}", "value": key, "text": label}
        for action, label in (
            ("claim", "Claim"),
            ("rotate", "Rotate"),
            ("renew", "Renew"),
            ("revoke", "Revoke now"),
        )
    ]
    blocks = [{"type": "actions", "block_id": "stale", "elements": buttons}]
    return {"channel": REMINDERS, "ts": "1699990000.000100", "blocks": blocks}


def test_nobody_can_claim_rotate_renew_or_revoke_tokenbots_own_token(world: World) -> None:
    """Finding 2: "Any group Owner can take over tokenbot's own GitLab token." The sync tracks
    the bot's own token like any service-account token; an Owner of acme clicks Claim, Rotate,
    Renew (form and submit) and Revoke now on a reminder of it: every one is refused, no
    secret reaches anyone, and the bot's configured token still works in GitLab."""
    account = world.sim.state.user_by_username("tokenbot")
    assert account is not None
    _sync(world)
    own = _rows(world, "SELECT * FROM tracked_tokens WHERE user_id = ?", account.id)
    (seeded,) = [row for row in own if row["status"] == "active"]  # tracked like any other
    clicks = _stale_reminder(seeded["key"])
    opened = len(world.slack.calls_to("views.open"))

    world.driver.click(OLGA, clicks, "reminder.claim")
    assert _told(world, OLGA, 1).startswith("Nothing changed")
    world.driver.click(OLGA, clicks, "reminder.rotate")
    assert _told(world, OLGA, 2).startswith("Not rotated")
    world.driver.click(OLGA, clicks, "reminder.revoke")
    assert _told(world, OLGA, 3).startswith("Nothing changed")
    for note in _ephemerals(world, OLGA):
        assert "tokenbot's own" in note, note

    # Renew: refused at the click, or the form opens and its submission is refused.
    world.driver.click(OLGA, clicks, "reminder.renew")
    _until(
        lambda: (
            len(world.slack.calls_to("views.open")) > opened or len(_ephemerals(world, OLGA)) > 3
        ),
        "Renew answers",
    )
    if len(world.slack.calls_to("views.open")) > opened:
        form = world.slack.calls_to("views.open")[-1].args["view"]
        later = (world.sim.state.today() + timedelta(days=60)).isoformat()
        answer = send_form(
            world,
            OLGA,
            form,
            {"expires_on": later, "reason": "tokenbot keeps working for everyone"},
        )
        errors = answer.errors  # the gate's refusal, in the form after the ack
        assert any("tokenbot's own" in message for message in errors.values()), errors
    else:
        assert "tokenbot's own" in _told(world, OLGA, 4)

    assert _requests(world) == []  # no rotation or renewal was even asked for
    after = _rows(world, "SELECT * FROM tracked_tokens WHERE key = ?", seeded["key"])
    assert after[0]["owner"] is None
    assert after[0]["status"] == "active"
    tokens = [t for t in world.sim.state.tokens.values() if t.user_id == account.id]
    assert [(t.id, t.revoked) for t in tokens] == [(seeded["gitlab_id"], False)]
    itself = requests.get(
        f"{world.gitlab_url}/api/v4/personal_access_tokens/self",
        headers={"PRIVATE-TOKEN": world.env["GITLAB_TOKEN"]},
        timeout=5,
    )
    assert itself.status_code == 200
    assert itself.json()["id"] == seeded["gitlab_id"]
    assert [c for c in world.slack.calls if "request.reveal" in json.dumps(c.args)] == []


# --- finding 3 ------------------------------------------------------------------------------


def _guest_and_owner(sim: GitlabSimulator) -> None:
    state = sim.state
    api = state.project_by_full_path("acme/platform/api")
    acme = state.group_by_full_path("acme")
    assert api is not None
    assert acme is not None
    state.add_member(state.add_user("gus", name="Gus"), api, AccessLevel.GUEST)
    state.add_member(state.add_user("otto", name="Otto"), acme, AccessLevel.OWNER)


def _trigger_form(world: World, user: str) -> dict[str, Any]:
    """The request form with "pipeline trigger token" chosen, as the bot redrew it."""
    form = open_form(world, user)
    before = len(world.slack.calls_to("views.update"))
    world.driver.click_in_view(
        user,
        form,
        "value",
        view_type="modal",
        answers={"token_type": "pipeline_trigger_token"},
        selected="pipeline_trigger_token",
        block_id="token_type",
    )
    return dict(world.slack.wait_for("views.update", before + 1)[-1].args["view"])


TRIGGER = {
    "target": "acme/platform/api",
    "token_type": "pipeline_trigger_token",
    "name": "deploy-trigger",
    "expires_on": IN_30,  # filled in only if the form asks for a date
    "reason": "the deploy repository starts this project's pipeline",
    "delivery": "reveal",
}


def test_only_someone_with_tokenbots_role_may_get_a_pipeline_trigger(tmp_path: Path) -> None:
    """Finding 3: "A Guest gets a pipeline trigger token owned by tokenbot's account." A
    trigger runs pipelines as tokenbot's account (Owner of acme), so a Guest and a Maintainer
    are refused at submit; an Owner's request is flagged risky, needs Owners to approve, and
    no expiry date GitLab never receives is asked or shown."""
    extra = {"TOKENBOT_USER_MAP": f"{USER_MAP},{GUS}=gus,{OTTO}=otto"}
    with start_world(tmp_path, extra_env=extra, setup=_guest_and_owner) as world:
        for user in (GUS, ALICE):  # a Guest of the project, a Maintainer of its group
            form = _trigger_form(world, user)
            refused = send_form(world, user, form, TRIGGER)
            assert refused.errors, f"{user} got a trigger running as tokenbot"
            assert any("Owner" in message for message in refused.errors.values()), refused
        assert _requests(world) == []
        assert not [
            c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == APPROVALS
        ]
        assert not world.sim.state.triggers

        form = _trigger_form(world, OLGA)
        asked_for_a_date = "expires_on" in {b.get("block_id") for b in form["blocks"]}
        assert send_form(world, OLGA, form, TRIGGER).sent
        card = card_in(world)
        (stored,) = _requests(world)
        assert stored["token_type"] == "pipeline_trigger_token"
        assert stored["risk_flags"], "a trigger running as tokenbot's account is risky"
        assert "Risk" in json.dumps(card["blocks"])

        _approve(world, ALICE, card)  # a Maintainer may not approve an Owner-level credential
        assert "Owner or higher" in _told(world, ALICE)
        assert _requests(world)[0]["approvals"] == []
        for owner in (OMAR, OTTO)[: stored["required_approvals"]]:
            _approve(world, owner, card)
        dm = dm_with_button(world, OLGA)
        (trigger,) = world.sim.state.triggers.values()
        assert world.sim.state.users[trigger.owner_id].username == "tokenbot"

        # GitLab is given no expiry date for a trigger, so none is asked or promised.
        assert not asked_for_a_date
        assert trigger.expires_at is None
        opened = len(world.slack.calls_to("views.open"))  # three request forms
        world.driver.click(OLGA, dm, "request.reveal")
        reveal = world.slack.wait_for("views.open", opened + 1)[-1]
        assert _secret_in(reveal) == trigger.token
        assert IN_30 not in json.dumps(dm["blocks"])
        assert IN_30 not in json.dumps(reveal.args["view"])


# --- finding 7 ------------------------------------------------------------------------------


def test_any_spelling_of_a_target_routes_and_counts_as_its_canonical_path(world: World) -> None:
    """Finding 7: "Routing and duplicates by spelling." `ACME/Payments/Checkout` and the
    project's numeric id go to the payments approvals channel, the cards show
    `acme/payments/checkout`, and the same name under another spelling is a duplicate."""
    checkout = world.sim.state.project_by_full_path("acme/payments/checkout")
    assert checkout is not None
    number = str(checkout.id)
    cased = request_token(world, OLGA, target="ACME/Payments/Checkout", name="checkout-reader")
    assert cased.sent
    by_id = request_token(world, OLGA, target=number, name="checkout-exporter")
    assert by_id.sent

    for nth in (1, 2):
        card = json.dumps(card_in(world, nth, channel=PAYMENTS)["blocks"])
        assert "acme/payments/checkout" in card
        assert "ACME/Payments/Checkout" not in card
        assert f"`{number}`" not in card
    assert not [
        c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == APPROVALS
    ]
    assert [r["target"] for r in _requests(world)] == ["acme/payments/checkout"] * 2
    for waiting in (1, 2):
        dm = dm_with_button(world, OLGA, "request.cancel", nth=waiting)
        assert f"<#{PAYMENTS}>" in json.dumps(dm["blocks"])

    for target, name in (
        ("acme/PAYMENTS/checkout", "checkout-reader"),
        (number, "checkout-reader"),
    ):
        again = request_token(world, OLGA, target=target, name=name)
        assert "open request" in again.errors["name"], (target, again.errors)
    assert len(_requests(world)) == 2
    cards = [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.args["channel"] in {PAYMENTS, APPROVALS}
    ]
    assert len(cards) == 2  # no card for either refused duplicate


# --- finding 8 ------------------------------------------------------------------------------


def _database_bytes(world: World) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(world.data_dir.glob("tokenbot.db*")))


def test_a_reveal_slack_does_not_show_keeps_the_secret_for_the_next_click(world: World) -> None:
    """Finding 8: "A failed reveal loses the secret." Slack answers the reveal's views.open
    with expired_trigger_id: the requester is told, nothing is audited as revealed, the secret
    waits, and the next click on the same Reveal button shows it; the secret is in no log, no
    database row and no Slack call but the two reveal attempts."""
    request_token(world)
    _approve(world, OLGA, card_in(world))
    dm = dm_with_button(world, ALICE)
    (request,) = _requests(world)
    opened = len(world.slack.calls_to("views.open"))  # the request form

    world.slack.fail_next("views.open", error="expired_trigger_id")
    assert world.driver.click(ALICE, dm, "request.reveal").status_code == 200
    (failed,) = world.slack.wait_for("views.open", opened + 1)[opened:]
    assert failed.answer == {"ok": False, "error": "expired_trigger_id"}
    note = _told(world, ALICE)
    assert "reveal" in note.lower()
    assert "revealed" not in _audit_actions(world)
    waiting = _rows(world, "SELECT * FROM pending_secrets WHERE request_id = ?", request["id"])
    assert len(waiting) == 1
    assert not [c for c in world.slack.calls_to("chat.update") if c.args.get("ts") == dm["ts"]]

    assert world.driver.click(ALICE, dm, "request.reveal").status_code == 200
    shown = world.slack.wait_for("views.open", opened + 2)[-1]
    assert shown.answer.get("ok") is True
    secret = _secret_in(shown)
    assert secret == _secret_in(failed)  # the same secret, kept
    assert _works(world, secret)
    _until(lambda: "revealed" in _audit_actions(world), "the reveal is audited")
    assert _audit_actions(world).count("revealed") == 1
    _until(
        lambda: not _rows(world, "SELECT * FROM pending_secrets"),
        "the secret leaves the database once shown",
    )

    carrying = [c for c in world.slack.calls if secret in json.dumps(c.args)]
    assert carrying == [failed, shown]
    assert secret.encode() not in _database_bytes(world)
    assert secret not in world.bot.stop()
