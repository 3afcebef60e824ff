"""The break-glass messages, fed hostile text (tests/integration/test_block_injection.py's
inputs and checks): inert and within Slack's limits. The announcement's one `<!here>` and
the escalation's one `<!channel>` (when no approver is set) are tokenbot's own; no other
broadcast, mention or link from the input survives."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.breakglass import BREAK_GLASS, BreakGlassPolicy, new_review
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope
from bot.slack.blocks import breakglass as blocks
from bot.slack.breakglass_form import breakglass_form
from tests.integration.test_block_injection import HOSTILE, NOW, Hostile, _draft, _problems

POLICY = BreakGlassPolicy(("acme/oncall",), hours=24, review_hours=4)


def _request(h: Hostile, state: RequestState) -> TokenRequest:
    return TokenRequest(
        id="bg1",
        requester=h.user,
        requester_gitlab_id=11,
        draft=_draft(h),
        state=state,
        created_at=NOW,
        pending_until=NOW + timedelta(hours=24),
        required_approvals=0,
        risk_flags=(BREAK_GLASS,),
        gitlab_token_id=42,
    )


def _reviews(h: Hostile) -> list[Any]:
    review = new_review("bg1", h.user, h.name, NOW, POLICY)
    later = NOW + timedelta(hours=5)
    return [
        review,
        replace(review, escalated_at=later),
        replace(review, acknowledged_by=h.user, acknowledged_at=later),
    ]


def _ours(payload: Any, broadcast: str) -> Any:
    """The payload with tokenbot's own broadcast taken out (it must be there exactly once
    in the message and once in its fallback text)."""
    said, text = payload
    assert json.dumps(said).count(broadcast) == 1
    assert text.count(broadcast) == 1
    return json.loads(json.dumps(said).replace(broadcast, "@here")), text.replace(broadcast, "")


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.label for h in HOSTILE])
@pytest.mark.parametrize("state", [RequestState.PROVISIONED, RequestState.FAILED])
def test_the_announcement_and_the_review_card_are_inert_and_fit(
    hostile: Hostile, state: RequestState
) -> None:
    request = _request(hostile, state)
    for review in _reviews(hostile):
        loud = _ours(blocks.announcement(request, review), "<!here>")
        assert not _problems(loud), "\n".join(_problems(loud)[:10])
        card = blocks.review_card(request, review)
        assert not _problems(card), "\n".join(_problems(card)[:10])


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.label for h in HOSTILE])
def test_the_escalation_and_the_end_are_inert_and_fit(hostile: Hostile) -> None:
    request = _request(hostile, RequestState.PROVISIONED)
    review = _reviews(hostile)[0]
    nobody = blocks.escalation(request, review, ())
    assert nobody.count("<!channel>") == 1
    assert not _problems(nobody.replace("<!channel>", "@channel"))
    named = blocks.escalation(request, review, {"U0ADA", hostile.user})
    assert not _problems(named)
    assert not _problems(blocks.ended(request))


def test_the_form_offers_no_type_gitlab_does_not_expire_and_fits() -> None:
    view = breakglass_form(RequestPolicy(), hours=24)
    assert not _problems(view)
    offered = json.dumps(view)
    assert "pipeline_trigger_token" not in offered
    assert "project_access_token" in offered
    assert '"expires_on"' not in offered  # break-glass sets the lifetime
    assert "works for 24 hours" in offered
    assert Scope.READ_API.value in offered
    assert str(int(AccessLevel.REPORTER)) in offered
