"""Notices the bot sends on its own (no click to answer): a request that expired undecided."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from bot.domain.requests import MessageRef, RequestDraft, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.slack.app import create_client
from bot.slack.listeners.delivery import announce_expired
from tests.support.slack_api import SlackRecorder

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _expired(card: MessageRef | None) -> TokenRequest:
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        "ci-reader",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        date(2026, 12, 22),
        "release notes",
    )
    pending = TokenRequest(
        "r1", "U0ADA", 11, draft, RequestState.PENDING, NOW, NOW + timedelta(days=7), 1, card=card
    )
    return pending.expired(now=NOW + timedelta(days=7))


def test_an_expired_request_updates_its_card_and_tells_the_requester() -> None:
    with SlackRecorder() as slack:
        client = create_client(token="xoxb-test", api_url=slack.url)
        announce_expired(client, _expired(MessageRef("C0APPROVALS", "1700000000.000001")))
        (update,) = slack.calls_to("chat.update")
        assert (update.args["channel"], update.args["ts"]) == ("C0APPROVALS", "1700000000.000001")
        assert "Expired: nobody decided in time." in json.dumps(update.args["blocks"])
        assert "request.approve" not in json.dumps(update.args["blocks"])
        (dm,) = slack.calls_to("chat.postMessage")
        assert dm.args["channel"] == "U0ADA"
        assert "expired" in dm.args["text"]
        assert "/token request" in dm.args["text"]


def test_without_a_card_only_the_requester_is_told() -> None:
    with SlackRecorder() as slack:
        client = create_client(token="xoxb-test", api_url=slack.url)
        announce_expired(client, _expired(None))
        assert slack.calls_to("chat.update") == []
        assert len(slack.calls_to("chat.postMessage")) == 1
