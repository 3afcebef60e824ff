"""A rotation records when it started and when its rotate was sent, as provisioning does."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.requests import Delivery, RequestDraft, RequestError, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)


def _provisioned(**changes: object) -> TokenRequest:
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        "release-notes",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        date(2026, 12, 22),
        "release notes",
    )
    request = TokenRequest(
        "r1", "U0ADA", 11, draft, RequestState.PROVISIONED, EARLIER, NOW, 1, gitlab_token_id=7
    )
    return replace(request, **changes)  # type: ignore[arg-type]


def test_rotating_records_its_claim_and_sending_marks_it_unsure() -> None:
    rotating = _provisioned(claimed_at=EARLIER).rotating("U0ADA", today=NOW.date(), now=NOW)
    assert rotating.state is RequestState.ROTATING
    assert rotating.claimed_at == NOW
    assert rotating.unsure_since is None  # nothing sent yet
    sent = rotating.sending(NOW + timedelta(seconds=1))
    assert sent.unsure_since == NOW + timedelta(seconds=1)
    assert sent.claimed_at == NOW


def test_a_clean_answer_settles_and_a_failure_restores_what_was_unsure_before() -> None:
    sent = _provisioned().rotating("U0ADA", today=NOW.date(), now=NOW).sending(NOW)
    done = sent.rotated(8).settled()
    assert (done.state, done.gitlab_token_id, done.unsure_since) == (
        RequestState.PROVISIONED,
        8,
        None,
    )
    back = sent.rotation_failed(unsure_since=None)
    assert (back.state, back.gitlab_token_id, back.unsure_since) == (
        RequestState.PROVISIONED,
        7,
        None,
    )
    # Unsure before the rotation (a create whose answer was lost): it stays unsure.
    assert sent.rotation_failed(unsure_since=EARLIER).unsure_since == EARLIER


def test_only_a_rotation_or_a_provisioning_is_sent() -> None:
    with pytest.raises(RequestError, match="this request is provisioned"):
        _provisioned().sending(NOW)
    with pytest.raises(RequestError, match="this request is provisioned"):
        _provisioned().rotation_failed(unsure_since=None)
    rotating = _provisioned().rotating("U0ADA", today=NOW.date(), now=NOW)
    with pytest.raises(RequestError, match="this request is rotating"):
        rotating.rotating("U0ADA", today=NOW.date(), now=NOW)


def test_the_requester_is_told_the_old_secret_is_dead_and_where_the_variable_stands() -> None:
    from bot.slack.blocks import notices

    revealed = notices.rotation_interrupted(_provisioned())
    assert "The old secret no longer works" in revealed
    assert "Rotate token" in revealed
    assert "CI/CD variable" not in revealed
    draft = replace(
        _provisioned().draft,
        delivery=Delivery.CI_VARIABLE,
        variable_project="acme/deploy",
        variable_key="API_TOKEN",
    )
    in_variable = notices.rotation_interrupted(_provisioned(draft=draft))
    assert "`API_TOKEN` of `acme/deploy` still holds the old secret" in in_variable
    assert "glpat-" not in revealed + in_variable
