"""Break-glass with fakes: the lifetime, what submit stores (or not), provisioning through
the one exactly-once path, acknowledgement, and the sweep (escalate once, end once)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.audit import AuditAction
from bot.domain.breakglass import (
    BREAK_GLASS,
    BreakGlassPolicy,
    BreakGlassReview,
    ReviewError,
    expiry_date_at_or_after,
)
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import RequestDraft, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.breakglass import acknowledge_review, submit_break_glass
from bot.services.breakglass_sweep import sweep_break_glass
from bot.services.provisioning import provision_request
from bot.services.request_rotation import rotate_request_token
from bot.services.token_requests import (
    NotAllowedError,
    Person,
    RequestDeps,
    RequestRejected,
    approve_request,
)
from tests.fake_gitlab import FakeGitLab
from tests.fakes import FakeRequestUnitOfWork

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
ADA = Person("U0ADA", 11)  # developer, on call: may break glass
MEI = Person("U0MEI", 12)  # maintainer, not on call
DEV = Person("U0DEV", 14)  # developer, not on call
PROJECT, ONCALL = "acme/api", "acme/oncall"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Notices:
    def __init__(self) -> None:
        self.escalations: list[str] = []
        self.endings: list[str] = []

    def escalate(self, review: BreakGlassReview, request: TokenRequest) -> None:
        self.escalations.append(request.id)

    def ended(self, review: BreakGlassReview, request: TokenRequest) -> None:
        self.endings.append(request.id)


@pytest.fixture
def gitlab() -> FakeGitLab:
    fake = FakeGitLab()
    fake.project(PROJECT)
    fake.group(ONCALL)
    fake.member(ADA.gitlab_id, PROJECT, AccessLevel.DEVELOPER)
    fake.member(MEI.gitlab_id, PROJECT, AccessLevel.MAINTAINER)
    fake.member(DEV.gitlab_id, PROJECT, AccessLevel.DEVELOPER)
    fake.member(ADA.gitlab_id, ONCALL, AccessLevel.DEVELOPER)
    return fake


@pytest.fixture
def uow() -> FakeRequestUnitOfWork:
    return FakeRequestUnitOfWork()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(uow: FakeRequestUnitOfWork, gitlab: FakeGitLab, clock: Clock) -> RequestDeps:
    ids = (f"bg{n}" for n in itertools.count(1))
    return RequestDeps(
        uow=uow,
        gitlab=gitlab,
        policy=RequestPolicy(),
        clock=clock,
        new_id=lambda: next(ids),
        breakglass=BreakGlassPolicy((ONCALL,), hours=24, review_hours=4),
    )


def _draft(**changes: object) -> RequestDraft:
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        PROJECT,
        "incident-1",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        date(2027, 6, 1),  # what the person typed: break-glass sets its own
        "INC-1: the deploy is down and we must read the API",
    )
    return replace(draft, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 23, 9, 30, tzinfo=UTC), date(2026, 11, 24)),
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), date(2026, 11, 23)),  # midnight itself
        (datetime(2026, 11, 23, 0, 0, 1, tzinfo=UTC), date(2026, 11, 24)),
    ],
)
def test_gitlab_ends_it_at_the_first_midnight_at_or_after_its_end(
    moment: datetime, expected: date
) -> None:
    assert expiry_date_at_or_after(moment) == expected


@pytest.mark.parametrize("hours", [0, 25, 48])
def test_a_lifetime_outside_one_to_24_hours_is_refused(hours: int) -> None:
    with pytest.raises(ValueError, match="1 to 24 hours"):
        BreakGlassPolicy(("acme",), hours=hours)


def test_break_glass_is_stored_approved_with_its_review_and_audited_as_break_glass(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    request = submit_break_glass(ADA, _draft(), deps=deps)
    assert request.state is RequestState.APPROVED
    assert request.break_glass
    assert request.risk_flags[0] == BREAK_GLASS
    assert request.required_approvals == 0
    assert request.draft.expires_on == date(2026, 11, 24)  # ends 2026-11-23 09:30
    review = uow.reviews.get(request.id)
    assert review is not None
    assert review.review_due == NOW + timedelta(hours=4)
    assert review.ends_at == NOW + timedelta(hours=24)
    assert [e.action for e in uow.store.audit] == [AuditAction.BREAK_GLASS_REQUESTED]


def test_someone_outside_the_break_glass_groups_is_refused_and_nothing_is_stored(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    with pytest.raises(NotAllowedError, match="break-glass groups"):
        submit_break_glass(MEI, _draft(), deps=deps)  # a Maintainer, but not on call
    assert uow.store.requests == {}
    assert uow.reviews.rows == {}
    assert uow.store.audit == []


def test_with_no_group_configured_nobody_may(deps: RequestDeps) -> None:
    off = replace(deps, breakglass=BreakGlassPolicy(), gate=None)
    with pytest.raises(NotAllowedError, match="off"):
        submit_break_glass(ADA, _draft(), deps=off)


def test_break_glass_never_reaches_above_the_persons_role(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    with pytest.raises(RequestRejected) as refused:
        submit_break_glass(ADA, _draft(access_level=AccessLevel.MAINTAINER), deps=deps)
    assert refused.value.problems[0].field == "role"
    assert uow.store.requests == {}


def test_the_reason_is_mandatory(deps: RequestDeps) -> None:
    with pytest.raises(RequestRejected) as refused:
        submit_break_glass(ADA, _draft(reason=" "), deps=deps)
    assert [p.field for p in refused.value.problems] == ["reason"]


def test_it_is_provisioned_through_the_usual_claim_once_and_never_waits_for_approval(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    request = submit_break_glass(ADA, _draft(), deps=deps)
    first = provision_request(request.id, deps=deps)
    assert first.request.state is RequestState.PROVISIONED
    assert provision_request(request.id, deps=deps).started is False  # claimed once
    assert len(gitlab.created) == 1
    assert gitlab.created[0].expires_on == date(2026, 11, 24)
    with pytest.raises(ValueError, match="provisioned"):
        approve_request(request.id, MEI, deps=deps)  # nothing to approve


def test_someone_who_left_the_group_before_provisioning_gets_nothing(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    request = submit_break_glass(ADA, _draft(), deps=deps)
    del gitlab.roles[(ADA.gitlab_id, ONCALL)]
    outcome = provision_request(request.id, deps=deps)
    assert outcome.request.state is RequestState.FAILED
    assert "break-glass groups" in (outcome.request.failure or "")
    assert gitlab.created == []


def test_an_approver_acknowledges_once_never_the_requester_or_a_developer(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    request = submit_break_glass(ADA, _draft(), deps=deps)
    with pytest.raises(NotAllowedError):
        acknowledge_review(request.id, ADA, deps=deps)
    with pytest.raises(NotAllowedError, match="Maintainer"):
        acknowledge_review(request.id, DEV, deps=deps)
    review = acknowledge_review(request.id, MEI, deps=deps)
    assert review.acknowledged_by == MEI.chat_id
    with pytest.raises(ReviewError, match="already"):
        acknowledge_review(request.id, MEI, deps=deps)
    actions = [e.action for e in uow.store.audit]
    assert actions.count(AuditAction.BREAK_GLASS_ACKNOWLEDGED) == 1


def test_an_overdue_review_escalates_once_and_an_acknowledged_one_never(
    deps: RequestDeps, clock: Clock
) -> None:
    late = submit_break_glass(ADA, _draft(), deps=deps)
    seen = submit_break_glass(ADA, _draft(name="incident-2"), deps=deps)
    acknowledge_review(seen.id, MEI, deps=deps)
    notices = Notices()
    clock.now = NOW + timedelta(hours=3, minutes=59)
    assert sweep_break_glass(deps=deps, notify=notices).escalated == []
    clock.now = NOW + timedelta(hours=4)
    assert sweep_break_glass(deps=deps, notify=notices).escalated == [late.id]
    clock.now = NOW + timedelta(hours=5)
    assert sweep_break_glass(deps=deps, notify=notices).escalated == []
    assert notices.escalations == [late.id]


def test_at_the_end_of_its_lifetime_tokenbot_revokes_it_once(
    deps: RequestDeps, clock: Clock, gitlab: FakeGitLab
) -> None:
    request = submit_break_glass(ADA, _draft(), deps=deps)
    made = provision_request(request.id, deps=deps).request
    notices = Notices()
    clock.now = NOW + timedelta(hours=23, minutes=59)
    assert sweep_break_glass(deps=deps, notify=notices).ended == []
    assert gitlab.revoked == []
    clock.now = NOW + timedelta(hours=24)
    assert sweep_break_glass(deps=deps, notify=notices).ended == [request.id]
    assert [r.gitlab_id for r in gitlab.revoked] == [made.gitlab_token_id]
    clock.now = NOW + timedelta(hours=25)
    assert sweep_break_glass(deps=deps, notify=notices).ended == []
    assert len(gitlab.revoked) == 1
    assert notices.endings == [request.id]


def test_a_break_glass_still_being_made_is_ended_only_once_it_settles(
    deps: RequestDeps, clock: Clock, gitlab: FakeGitLab
) -> None:
    request = submit_break_glass(ADA, _draft(), deps=deps)  # APPROVED, not provisioned yet
    clock.now = NOW + timedelta(hours=24)
    assert sweep_break_glass(deps=deps, notify=Notices()).ended == []
    provision_request(request.id, deps=deps)
    assert sweep_break_glass(deps=deps, notify=Notices()).ended == [request.id]
    assert len(gitlab.revoked) == 1


def test_a_break_glass_token_is_not_rotated_from_its_dm(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    """A rotation would give it a life past its day (a reminder's Rotate and Renew: in
    tests/integration/test_breakglass_storage.py)."""
    request = submit_break_glass(ADA, _draft(), deps=deps)
    provision_request(request.id, deps=deps)
    with pytest.raises(NotAllowedError, match="Break glass again"):
        rotate_request_token(request.id, ADA, deps=deps)
    assert gitlab.rotated == []
    assert len(gitlab.created) == 1
