"""Pipeline trigger tokens: no expiry date is asked or shown, and whose rights they run with.

GitLab's "Trigger pipelines by using the API" (docs.gitlab.com/ee/ci/triggers/): a trigger
token "impersonates a user's project access and permissions", and creating one needs at least
Maintainer. tokenbot's gateway creates triggers with its own account and sends no expiry date.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from bot.domain.credentials import Secret
from bot.domain.request_policy import TRIGGER_RUNS_AS_BOT, RequestPolicy
from bot.domain.requests import RequestDraft, RequestState, TokenRequest
from bot.domain.tokens import TokenType
from bot.slack.blocks.request_forms import request_modal
from bot.slack.blocks.requests import approval_card, reveal_modal
from bot.slack.request_form import read_draft

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _draft(expires_on: date | None = None) -> RequestDraft:
    return RequestDraft(
        TokenType.PIPELINE_TRIGGER_TOKEN,
        "acme/api",
        "deploy-downstream",
        (),
        None,
        expires_on,
        "the release pipeline triggers the downstream deploy",
    )


def _request(draft: RequestDraft) -> TokenRequest:
    flags = RequestPolicy().risk_flags(draft, today=TODAY)
    return TokenRequest(
        "r1", "U0OLGA", 3, draft, RequestState.PENDING, NOW, NOW + timedelta(days=7), 2, flags
    )


def test_a_trigger_takes_no_date_and_is_flagged_as_running_as_tokenbot() -> None:
    policy = RequestPolicy()
    assert policy.check(_draft(), today=TODAY) == []
    dated = policy.check(_draft(TODAY + timedelta(days=30)), today=TODAY)
    assert [p.field for p in dated] == ["expires_on"]
    assert TRIGGER_RUNS_AS_BOT in policy.risk_flags(_draft(), today=TODAY)


def test_the_form_asks_no_date_for_a_trigger_and_reads_none() -> None:
    form = request_modal(today=TODAY, token_type=TokenType.PIPELINE_TRIGGER_TOKEN)
    assert "expires_on" not in [b.get("block_id") for b in form["blocks"]]
    dated = request_modal(today=TODAY, token_type=TokenType.PROJECT_ACCESS_TOKEN)
    assert "expires_on" in [b.get("block_id") for b in dated["blocks"]]
    values = {
        "token_type": {
            "value": {
                "type": "static_select",
                "selected_option": {"value": "pipeline_trigger_token"},
            }
        },
        "target": {"value": {"type": "plain_text_input", "value": "acme/api"}},
    }
    draft = read_draft({"state": {"values": values}})
    assert isinstance(draft, RequestDraft)
    assert draft.expires_on is None


def test_the_card_and_the_reveal_say_whose_rights_the_pipelines_run_with() -> None:
    request = _request(_draft())
    blocks, _ = approval_card(request)
    card = json.dumps(blocks)
    assert "Pipelines run as" in card
    assert "Expires on" not in card
    assert TRIGGER_RUNS_AS_BOT in card
    modal = json.dumps(reveal_modal(request, Secret("glptt-0123456789abcdefghij")))
    assert "rights of tokenbot's GitLab account" in modal
    assert "no expiry date" in modal
