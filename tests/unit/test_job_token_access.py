"""The job token access state machine and the draft's own checks (bot/domain/job_token_access)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain import job_token_access as jta
from bot.domain.job_token_access import (
    Allowlist,
    JobAccessDraft,
    JobAccessState,
    JobTokenAccess,
    Place,
    SourceKind,
)
from bot.domain.requests import RequestError

NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
S = JobAccessState


def _pending() -> JobTokenAccess:
    return JobTokenAccess(
        "a1",
        "U0DAN",
        4,
        SourceKind.PROJECT,
        Place("acme/platform/api", 1),
        Place("acme/payments/checkout", 2),
        "release job downloads packages",
        S.PENDING,
        NOW,
    )


def test_approval_records_adding_before_gitlab_then_allowed() -> None:
    adding = jta.approve(_pending(), "U0OLGA", NOW)
    assert adding.state is S.ADDING
    assert adding.decided_by == "U0OLGA"
    assert jta.added(adding, NOW).state is S.ALLOWED


def test_requester_cannot_approve_or_deny_own_request() -> None:
    with pytest.raises(RequestError, match="your own request"):
        jta.approve(_pending(), "U0DAN", NOW)
    with pytest.raises(RequestError, match="your own request"):
        jta.deny(_pending(), "U0DAN", NOW)


def test_removal_goes_through_removing_and_a_refusal_keeps_the_entry() -> None:
    allowed = jta.added(jta.approve(_pending(), "U0OLGA", NOW), NOW)
    removing = jta.start_removal(allowed, "U0OLGA")
    assert removing.state is S.REMOVING
    assert jta.removed(removing, NOW).state is S.REMOVED
    kept = jta.removal_refused(removing, "403 Forbidden")
    assert (kept.state, kept.failure) == (S.ALLOWED, "403 Forbidden")


def test_a_refusal_by_gitlab_fails_the_entry_with_a_bounded_reason() -> None:
    failed = jta.refused(jta.approve(_pending(), "U0OLGA", NOW), "x" * 2000, NOW)
    assert failed.state is S.FAILED
    assert len(failed.failure or "") == jta.FAILURE_MAX_LENGTH


@pytest.mark.parametrize(
    ("step", "state"),
    [
        (lambda a: jta.approve(a, "U0OLGA", NOW), S.ALLOWED),
        (lambda a: jta.deny(a, "U0OLGA", NOW), S.DENIED),
        (lambda a: jta.start_removal(a, "U0OLGA"), S.PENDING),
        (lambda a: jta.added(a, NOW), S.PENDING),
        (lambda a: jta.removed(a, NOW), S.ALLOWED),
    ],
)
def test_a_step_from_the_wrong_state_is_refused(step: object, state: JobAccessState) -> None:
    from dataclasses import replace

    with pytest.raises(RequestError, match=f"is {state.value}"):
        step(replace(_pending(), state=state))  # type: ignore[operator]


def test_live_states_hold_the_entry_and_the_key_names_it() -> None:
    assert {s for s in S if s.live} == {S.PENDING, S.ADDING, S.ALLOWED, S.REMOVING}
    assert _pending().entry_key == "2:project:1"


def test_draft_problems_name_their_fields() -> None:
    ok = JobAccessDraft(SourceKind.PROJECT, "acme/a", "acme/b", "the deploy job reads it")
    assert jta.draft_problems(ok) == {}
    bad = JobAccessDraft(SourceKind.PROJECT, "", "acme b", "short")
    assert set(jta.draft_problems(bad)) == {"source", "target", "reason"}
    same = JobAccessDraft(SourceKind.PROJECT, "acme/A", "acme/a", "the deploy job reads it")
    assert "target" in jta.draft_problems(same)
    long = JobAccessDraft(SourceKind.PROJECT, "a/" * 200, "acme/b", "r" * 501)
    assert set(jta.draft_problems(long)) == {"source", "reason"}


def test_allowlist_holds_by_kind() -> None:
    listed = Allowlist(frozenset({1}), frozenset({7}))
    assert listed.holds(SourceKind.PROJECT, 1)
    assert not listed.holds(SourceKind.GROUP, 1)
    assert listed.holds(SourceKind.GROUP, 7)
