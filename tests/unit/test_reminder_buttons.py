"""Which buttons a reminder offers: tokenbot's own token has none, Rotate is for whoever clicks."""

from __future__ import annotations

import json
from datetime import date

from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.reminders import Reminder, TrackedToken
from bot.domain.tokens import AccessLevel, TokenType
from bot.slack import ids
from bot.slack.blocks.reminders import reminder_message

ACME = Namespace(NamespaceKind.PROJECT, 7, "acme/api")


def _actions(token: TrackedToken) -> list[str]:
    blocks, _ = reminder_message(Reminder(token, 7, 7, "C0REMIND"), renewals=True)
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_tokenbots_own_token_is_reminded_of_without_buttons() -> None:
    own = TrackedToken(
        "own:501",
        TokenType.PERSONAL_ACCESS_TOKEN,
        501,
        "tokenbot",
        ACME,
        ("api",),
        expires_on=date(2026, 12, 10),
    )
    blocks, _ = reminder_message(Reminder(own, 7, 7, "C0REMIND"), renewals=True)
    assert _actions(own) == []
    assert "Nobody can act on it from Slack" in json.dumps(blocks)


def test_an_unowned_token_offers_rotate_and_renew_to_whoever_clicks() -> None:
    token = TrackedToken(
        "project_access_token:5",
        TokenType.PROJECT_ACCESS_TOKEN,
        5,
        "ci",
        ACME,
        ("read_api",),
        AccessLevel.REPORTER,
        date(2026, 12, 10),
    )
    assert _actions(token) == [
        ids.REMINDER_RENEW,
        ids.REMINDER_ROTATE,
        ids.REMINDER_LET_EXPIRE,
        ids.REMINDER_REVOKE,
        ids.REMINDER_CLAIM,
    ]
    blocks, _ = reminder_message(Reminder(token, 7, 7, "C0REMIND"), renewals=True)
    said = json.dumps(blocks)
    assert "The old one keeps working until GitLab sees the new one in use" in said
    assert "can only be rotated in place" not in said


def test_rotate_says_before_the_click_when_it_can_only_rotate_in_place() -> None:
    """A bot user's PAT has no second live token tokenbot can mint: GitLab's rotation."""
    token = TrackedToken(
        "bot_user_pat:6",
        TokenType.BOT_USER_PAT,
        6,
        "legacy-bot",
        ACME,
        ("read_api",),
        expires_on=date(2026, 12, 10),
        user_id=77,
    )
    blocks, _ = reminder_message(Reminder(token, 7, 7, "C0REMIND"), renewals=True)
    (rotate,) = [
        e
        for b in blocks
        for e in b.get("elements", [])
        if isinstance(e, dict) and e.get("action_id") == ids.REMINDER_ROTATE
    ]
    words = rotate["confirm"]["text"]["text"]
    assert "can only be rotated in place" in words
    assert "stops working at once" in words


def test_a_persons_pat_and_a_deploy_key_offer_let_it_expire_and_claim_only() -> None:
    for token_type in (TokenType.PERSONAL_ACCESS_TOKEN, TokenType.DEPLOY_KEY):
        token = TrackedToken(
            f"{token_type.value}:9",
            token_type,
            9,
            "laptop",
            ACME,
            ("api",),
            expires_on=date(2026, 12, 10),
            account="alice",
        )
        assert _actions(token) == [ids.REMINDER_LET_EXPIRE, ids.REMINDER_CLAIM]
