"""Hand-off rotations on a real database: the old token stays live until the successor is
used or the deadline passes, each step exactly once, recoverable after a crash."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.db.secret_box import FernetBox
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.audit import AuditAction
from bot.domain.credentials import Namespace, NamespaceKind, TokenRecord, TokenRef
from bot.domain.handoff import Handoff, HandoffError, HandoffOutcome, HandoffState, can_hand_off
from bot.domain.minted import MintedStatus
from bot.domain.reminders import TrackedStatus, TrackedToken, token_key
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import Delivery, RequestDraft, RequestError, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.compensation import retry_revokes
from bot.services.gitlab_errors import UnavailableError
from bot.services.handoff_cancel import cancel_handoff
from bot.services.handoffs import (
    HandoffDeps,
    advance_handoffs,
    finish,
    revoke_old_now,
)
from bot.services.inventory_sync import SyncDeps, sync_inventory
from bot.services.people import NotAllowedError
from bot.services.provisioning import provision_request
from bot.services.reminder_actions import ActionDeps
from bot.services.reminder_actions import revoke_now as revoke_tracked
from bot.services.reminders import ReminderDeps, plan_reminders
from bot.services.renewals import RenewApproval, RenewDeps, rotate_tracked_token
from bot.services.request_handoff import hand_off_request_token
from bot.services.request_rotation import rotate_request_token
from bot.services.reveal import discard_unrevealed
from bot.services.token_requests import (
    Person,
    RequestDeps,
    approve_request,
    requests_of,
    submit_request,
)
from tests.fake_gitlab import FakeGitLab
from tests.fakes import reveal_now

OWNER = Person("U0OWNER", 7)
DEV = Person("U0DEV", 8)
APPROVER = Person("U0APPROVER", 9)
START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
KEY = token_key(TokenType.PROJECT_ACCESS_TOKEN, 1)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


class FlakyRevokes(FakeGitLab):
    """GitLab revokes, but its answer is lost `lost` times (the token is gone all the same)."""

    lost: int = 0

    def revoke_token(self, ref: TokenRef) -> None:
        super().revoke_token(ref)
        if self.lost:
            self.lost -= 1
            raise UnavailableError("GitLab answered 502 after revoking")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def uow(db: Engine) -> Callable[[], SqlUnitOfWork]:
    box = FernetBox("test-only-key-0123456789-abcdefghijklmnop")
    return lambda: SqlUnitOfWork(db, box)


@pytest.fixture
def gitlab() -> FlakyRevokes:
    fake = FlakyRevokes()
    fake.group("acme")
    fake.project("acme/api")
    fake.member(OWNER.gitlab_id, "acme/api", AccessLevel.MAINTAINER)
    fake.member(DEV.gitlab_id, "acme/api", AccessLevel.DEVELOPER)
    fake.member(APPROVER.gitlab_id, "acme/api", AccessLevel.MAINTAINER)
    fake.list_token(
        "acme/api",
        TokenRecord(
            TokenType.PROJECT_ACCESS_TOKEN,
            1,
            "nightly-export [tokenbot:r0]",
            fake.places["acme/api"],
            ("read_api",),
            AccessLevel.REPORTER,
            START.date() + timedelta(days=5),
        ),
    )
    return fake


def _deps(gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork], clock: Clock) -> RenewDeps:
    ids = itertools.count(1)
    requests = RequestDeps(
        uow=uow,
        gitlab=gitlab,
        policy=RequestPolicy(),
        clock=clock,
        new_id=lambda: f"r{next(ids)}",
    )
    return RenewDeps(ActionDeps(uow, gitlab, clock), requests, RenewApproval.RISKY)


def _started(
    gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> tuple[RenewDeps, Handoff]:
    owners = {"acme": OWNER.chat_id}
    sync_inventory(["acme"], deps=SyncDeps(uow=uow, gitlab=gitlab, clock=clock, owners=owners))
    deps = _deps(gitlab, uow, clock)
    request = rotate_tracked_token(KEY, OWNER, deps=deps)
    assert request.state is RequestState.APPROVED  # 90 days, read_api: nothing risky
    assert request.renews is not None
    assert request.renews.handoff
    done = provision_request(request.id, deps=deps.requests)
    assert done.request.state is RequestState.PROVISIONED
    with uow() as unit:
        handoff = unit.handoffs.get(request.id)
    assert handoff is not None
    return deps, handoff


def _use_successor(gitlab: FakeGitLab, handoff: Handoff, at: datetime) -> None:
    gitlab.minted = [
        replace(r, last_used_at=at) if r.gitlab_id == handoff.successor_gitlab_id else r
        for r in gitlab.minted
    ]


def test_the_successor_is_minted_beside_the_live_old_token(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    deps, handoff = _started(gitlab, uow, clock)
    assert gitlab.rotated == []  # GitLab's rotate would have revoked the old one at once
    assert gitlab.revoked == []
    (spec,) = gitlab.created
    assert spec.name == "nightly-export"  # the old request's mark does not travel
    assert spec.description.startswith(f"tokenbot:{handoff.request_id} ")
    assert spec.expires_on == START.date() + timedelta(days=90)  # the policy's default
    assert handoff.deadline == START + timedelta(hours=72)
    _, secret = reveal_now(handoff.request_id, OWNER, deps=deps.requests)
    assert secret.reveal().startswith("glpat-")
    with uow() as unit:
        old = unit.inventory.get(KEY)
        new = unit.inventory.get(handoff.successor_key)
        actions = [e.action for e in unit.audit.events()]
    assert old is not None
    assert old.status is TrackedStatus.ACTIVE
    assert new is not None
    assert new.owner == OWNER.chat_id
    assert AuditAction.HANDOFF_STARTED in actions
    # The old token is not reminded of while the hand-off is under way; the successor is.
    reminders = ReminderDeps(
        uow=uow,
        clock=lambda: START + timedelta(days=4),
        poster=None,  # type: ignore[arg-type]
        channel_of=lambda token: "C0REMIND",
    )
    assert KEY not in {r.token.key for r in plan_reminders(deps=reminders)}
    with pytest.raises(RequestError, match="hand-off of this token is under way"):
        rotate_tracked_token(KEY, OWNER, deps=deps)


def test_once_the_successor_is_used_the_next_run_revokes_the_old_one(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    deps, handoff = _started(gitlab, uow, clock)
    told: list[tuple[str, Handoff]] = []

    class Notes:
        def successor_used(self, h: Handoff) -> None:
            told.append(("used", h))

        def old_revoked(self, h: Handoff) -> None:
            told.append(("revoked", h))

    handoffs = HandoffDeps(deps.requests, Notes())
    _use_successor(gitlab, handoff, START)  # at its creation: not a use after minting
    assert advance_handoffs(deps=handoffs).completed == []
    assert gitlab.revoked == []
    clock.now = START + timedelta(hours=2)
    _use_successor(gitlab, handoff, START + timedelta(hours=1))
    progress = advance_handoffs(deps=handoffs)
    assert progress.seen_used == [handoff.request_id]
    assert progress.completed == [handoff.request_id]
    assert [r.gitlab_id for r in gitlab.revoked] == [1]
    assert [what for what, _ in told] == ["used", "revoked"]
    assert advance_handoffs(deps=handoffs).completed == []  # once
    assert len(gitlab.revoked) == 1
    with uow() as unit:
        done = unit.handoffs.get(handoff.request_id)
        old = unit.inventory.get(KEY)
        ledger = unit.minted.get(TokenType.PROJECT_ACCESS_TOKEN, 1)
    assert done is not None
    assert done.state is HandoffState.COMPLETED
    assert done.outcome is HandoffOutcome.USED
    assert old is not None
    assert old.status is TrackedStatus.REVOKED
    assert ledger is not None
    assert ledger.status is MintedStatus.REVOKED


def test_without_use_the_deadline_revokes_the_old_one(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    deps, handoff = _started(gitlab, uow, clock)
    handoffs = HandoffDeps(deps.requests)
    clock.now = START + timedelta(hours=72)
    assert advance_handoffs(deps=handoffs).completed == []  # nobody holds the new secret yet
    clock.now = START
    reveal_now(handoff.request_id, OWNER, deps=deps.requests)
    clock.now = START + timedelta(hours=71, minutes=59)
    assert advance_handoffs(deps=handoffs).completed == []
    clock.now = START + timedelta(hours=72)
    assert advance_handoffs(deps=handoffs).completed == [handoff.request_id]
    with uow() as unit:
        done = unit.handoffs.get(handoff.request_id)
    assert done is not None
    assert done.outcome is HandoffOutcome.DEADLINE


def test_of_two_workers_only_one_revokes(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    deps, handoff = _started(gitlab, uow, clock)
    handoffs = HandoffDeps(deps.requests)
    first = finish(handoff, HandoffOutcome.NOW, OWNER.chat_id, deps=handoffs)
    second = finish(handoff, HandoffOutcome.DEADLINE, "tokenbot", deps=handoffs)  # stale copy
    assert first is not None
    assert second is None
    assert len(gitlab.revoked) == 1


def test_a_lost_revoke_answer_stays_pending_and_is_sent_again(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    deps, handoff = _started(gitlab, uow, clock)
    gitlab.lost = 1
    assert revoke_old_now(handoff.request_id, OWNER, deps=HandoffDeps(deps.requests))
    with uow() as unit:
        ledger = unit.minted.get(TokenType.PROJECT_ACCESS_TOKEN, 1)
    assert ledger is not None
    assert ledger.status is MintedStatus.REVOKING
    assert retry_revokes(deps=deps.requests) == (1, 0)  # the reconciler's step


def test_cancel_revokes_the_successor_and_keeps_the_old(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    deps, handoff = _started(gitlab, uow, clock)
    handoffs = HandoffDeps(deps.requests)
    with pytest.raises(NotAllowedError):
        cancel_handoff(handoff.request_id, DEV, deps=handoffs)  # neither owner nor manager
    done = cancel_handoff(handoff.request_id, OWNER, deps=handoffs)
    assert done.state is HandoffState.CANCELLED
    assert [r.gitlab_id for r in gitlab.revoked] == [handoff.successor_gitlab_id]
    with pytest.raises(HandoffError, match="cancelled"):
        revoke_old_now(handoff.request_id, OWNER, deps=handoffs)
    with pytest.raises(RequestError):
        reveal_now(handoff.request_id, OWNER, deps=deps.requests)  # its secret is gone too
    with uow() as unit:
        old = unit.inventory.get(KEY)
        new = unit.inventory.get(handoff.successor_key)
    assert old is not None
    assert old.status is TrackedStatus.ACTIVE
    assert new is not None
    assert new.status is TrackedStatus.REVOKED


def test_a_rotation_never_waits_for_approval_to_extend_it_keeps_the_date_instead(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    """Renew is how a token's life is extended with approval; Rotate asks no more than an
    in-place rotation did: where the extension would need approval, the successor keeps the
    old expiry and nothing waits."""
    owners = {"acme": OWNER.chat_id}
    sync_inventory(["acme"], deps=SyncDeps(uow=uow, gitlab=gitlab, clock=clock, owners=owners))
    deps = replace(_deps(gitlab, uow, clock), approval=RenewApproval.ALWAYS)
    request = rotate_tracked_token(KEY, OWNER, deps=deps)
    assert request.state is RequestState.APPROVED
    assert request.draft.expires_on == START.date() + timedelta(days=5)
    assert request.renews is not None
    assert request.renews.handoff


def test_two_rotate_clicks_at_once_store_one_renewal(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    """Both clicks pass the "under way already" read before either stored its request (two
    replicas, or a double click); the database keeps the second out."""
    owners = {"acme": OWNER.chat_id}
    sync_inventory(["acme"], deps=SyncDeps(uow=uow, gitlab=gitlab, clock=clock, owners=owners))
    deps = _deps(gitlab, uow, clock)
    barrier = threading.Barrier(2)
    real = uow

    class Racing(SqlUnitOfWork):
        """Each click meets the other once it has read the open requests, before it writes."""

        def __enter__(self) -> Racing:
            super().__enter__()
            read = self.requests.open_requests

            def then_meet() -> list[TokenRequest]:
                found = read()
                barrier.wait(timeout=5)
                return found

            self.requests.open_requests = then_meet  # type: ignore[method-assign]
            return self

    racing = RenewDeps(
        deps.actions,
        replace(deps.requests, uow=lambda: Racing(real()._engine, real()._box)),
        deps.approval,
    )
    outcomes: list[object] = []

    def click() -> None:
        try:
            outcomes.append(rotate_tracked_token(KEY, OWNER, deps=racing))
        except RequestError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=click, name=f"click-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    refused = [o for o in outcomes if isinstance(o, RequestError)]
    assert len(outcomes) == 2
    assert len(refused) == 1
    assert "under way already" in str(refused[0])
    with uow() as unit:
        assert len([r for r in unit.requests.open_requests() if r.renews is not None]) == 1


# ---------------------------------------------------------------- found by the attack review


def test_a_new_secret_nobody_revealed_in_time_ends_the_hand_off_keeping_the_old(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    """Else the deadline would revoke the old token and leave a successor nobody holds."""
    deps, handoff = _started(gitlab, uow, clock)
    clock.now = START + timedelta(hours=2)  # past TOKENBOT_SECRET_TTL_MINUTES (60)
    assert discard_unrevealed(deps=deps.requests) == [handoff.request_id]
    assert [r.gitlab_id for r in gitlab.revoked] == [handoff.successor_gitlab_id]
    clock.now = START + timedelta(hours=73)
    assert advance_handoffs(deps=HandoffDeps(deps.requests)).completed == []
    with uow() as unit:
        ended = unit.handoffs.get(handoff.request_id)
        old = unit.inventory.get(KEY)
    assert ended is not None
    assert ended.outcome is HandoffOutcome.UNREVEALED
    assert old is not None
    assert old.status is TrackedStatus.ACTIVE


def test_a_successor_revoked_in_gitlab_ends_the_hand_off_keeping_the_old(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    deps, handoff = _started(gitlab, uow, clock)
    reveal_now(handoff.request_id, OWNER, deps=deps.requests)
    gone: list[Handoff] = []

    class Notes:
        def successor_used(self, h: Handoff) -> None:
            raise AssertionError("not used")

        def old_revoked(self, h: Handoff) -> None:
            raise AssertionError("the old one must stay")

        def successor_gone(self, h: Handoff) -> None:
            gone.append(h)

    gitlab.revoked.append(
        TokenRef(TokenType.PROJECT_ACCESS_TOKEN, handoff.successor_gitlab_id, None)
    )
    clock.now = START + timedelta(hours=73)
    assert advance_handoffs(deps=HandoffDeps(deps.requests, Notes())).completed == []
    assert [h.outcome for h in gone] == [HandoffOutcome.GONE]
    assert [r.gitlab_id for r in gitlab.revoked] == [handoff.successor_gitlab_id]  # only that


def test_rotating_in_place_or_revoking_a_token_being_handed_off_is_refused(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    """Else the hand-off would watch and revoke a token that no longer exists."""
    deps, handoff = _started(gitlab, uow, clock)
    with pytest.raises(RequestError, match="hand-off of this token is under way"):
        rotate_request_token(handoff.request_id, OWNER, deps=deps.requests)
    for key in (KEY, handoff.successor_key):
        with pytest.raises(RequestError, match="hand-off of this token is under way"):
            revoke_tracked(key, OWNER, deps=deps.actions)
    assert gitlab.revoked == []
    assert gitlab.rotated == []


def test_a_hand_off_into_a_ci_variable_keeps_both_when_the_variable_cannot_be_written(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    """Its answer may be lost after GitLab wrote it: revoking the successor could break the
    variable, and the old token still works, so both stay and the secret waits for Reveal.
    Cancel is refused: the variable may hold the new secret and tokenbot never had the old."""
    deps = _deps(gitlab, uow, clock)
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        "deployer",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        START.date() + timedelta(days=20),
        "deploys the api from CI",
        Delivery.CI_VARIABLE,
        "acme/api",
        "DEPLOY_TOKEN",
    )
    origin = submit_request(OWNER, draft, deps=deps.requests)
    approve_request(origin.id, APPROVER, deps=deps.requests)
    created = provision_request(origin.id, deps=deps.requests).request
    assert created.gitlab_token_id is not None
    gitlab.fail_variable = UnavailableError("GitLab answered 502 after writing it")
    handed = hand_off_request_token(origin.id, OWNER, deps=deps)
    assert handed is not None
    done = provision_request(handed.id, deps=deps.requests)
    assert done.request.state is RequestState.PROVISIONED
    assert done.problem is not None
    assert "could not be updated" in done.problem
    assert created.gitlab_token_id not in {r.gitlab_id for r in gitlab.revoked}
    assert gitlab.revoked == []  # neither token
    _, secret = reveal_now(handed.id, OWNER, deps=deps.requests)
    assert secret.reveal().startswith("glpat-")
    with pytest.raises(HandoffError, match="CI/CD variable"):
        cancel_handoff(handed.id, OWNER, deps=HandoffDeps(deps.requests))


def test_after_a_cancel_the_old_tokens_request_is_listed_again(
    gitlab: FlakyRevokes, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> None:
    deps = _deps(gitlab, uow, clock)
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        "reporting",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        START.date() + timedelta(days=20),
        "the ledger report reads the API",
    )
    origin = submit_request(OWNER, draft, deps=deps.requests)
    approve_request(origin.id, APPROVER, deps=deps.requests)
    provision_request(origin.id, deps=deps.requests)
    handed = hand_off_request_token(origin.id, OWNER, deps=deps)
    assert handed is not None
    provision_request(handed.id, deps=deps.requests)
    assert [r.id for r in requests_of(OWNER.chat_id, deps=deps.requests)] == [handed.id]
    cancel_handoff(handed.id, OWNER, deps=HandoffDeps(deps.requests))
    assert [r.id for r in requests_of(OWNER.chat_id, deps=deps.requests)] == [origin.id]


def test_a_token_with_scopes_tokenbot_cannot_name_rotates_in_place() -> None:
    base = TrackedToken(
        KEY,
        TokenType.PROJECT_ACCESS_TOKEN,
        1,
        "odd",
        Namespace(NamespaceKind.PROJECT, 5, "acme/api"),
        ("read_api",),
        AccessLevel.REPORTER,
        START.date(),
    )
    assert can_hand_off(base)
    assert not can_hand_off(replace(base, scopes=("read_api", "ai_features")))
    assert not can_hand_off(replace(base, access_level=None))
