"""Break-glass on a real database (SQLite; PostgreSQL with TEST_DATABASE_URL): each review
step is a conditional UPDATE, so of two processes racing for it exactly one wins; the token
it made, once tracked, is never rotated or renewed from its reminder."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.db.secret_box import FernetBox
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.breakglass import BreakGlassPolicy, new_review
from bot.domain.reminders import token_key
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import MessageRef, RequestDraft
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.breakglass import submit_break_glass
from bot.services.inventory_sync import SyncDeps, sync_inventory
from bot.services.people import NotAllowedError, Person
from bot.services.provisioning import provision_request
from bot.services.reminder_actions import ActionDeps, revoke_now
from bot.services.renewals import (
    RenewApproval,
    RenewDeps,
    renew_tracked_token,
    rotate_tracked_token,
)
from bot.services.request_deps import RequestDeps
from tests.fake_gitlab import FakeGitLab

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
POLICY = BreakGlassPolicy(("acme/oncall",), hours=24, review_hours=4)
ADA = Person("U0ADA", 11)


def _stored(sql_uow: Callable[[], SqlUnitOfWork], request_id: str = "bg1") -> None:
    with sql_uow() as uow:
        uow.reviews.add(new_review(request_id, "U0ADA", "acme/api", NOW, POLICY))
        uow.commit()


def _claim(sql_uow: Callable[[], SqlUnitOfWork], step: str, at: datetime) -> bool:
    with sql_uow() as uow:
        claims = {
            "escalate": lambda: uow.reviews.claim_escalation("bg1", at),
            "end": lambda: uow.reviews.claim_end("bg1", at),
            "acknowledge": lambda: uow.reviews.acknowledge("bg1", "U0MEI", at),
        }
        won = claims[step]()
        uow.commit()
    return won


def test_a_review_is_stored_and_read_back_as_it_was(sql_uow: Callable[[], SqlUnitOfWork]) -> None:
    _stored(sql_uow)
    with sql_uow() as uow:
        uow.reviews.attach_card("bg1", MessageRef("C0APPROVALS", "1.2"))
        uow.commit()
    with sql_uow() as uow:
        review = uow.reviews.get("bg1")
    assert review is not None
    assert review.review_due == NOW + timedelta(hours=4)
    assert review.ends_at == NOW + timedelta(hours=24)
    assert (review.card_channel, review.card_ts) == ("C0APPROVALS", "1.2")
    assert review.created_at.tzinfo is not None


def test_each_step_is_won_once(sql_uow: Callable[[], SqlUnitOfWork]) -> None:
    _stored(sql_uow)
    later = NOW + timedelta(hours=5)
    assert [_claim(sql_uow, "escalate", later) for _ in range(2)] == [True, False]
    assert [_claim(sql_uow, "acknowledge", later) for _ in range(2)] == [True, False]
    assert [_claim(sql_uow, "end", later) for _ in range(2)] == [True, False]


def test_an_acknowledged_review_never_escalates(sql_uow: Callable[[], SqlUnitOfWork]) -> None:
    _stored(sql_uow)
    assert _claim(sql_uow, "acknowledge", NOW + timedelta(hours=1))
    assert not _claim(sql_uow, "escalate", NOW + timedelta(hours=5))
    with sql_uow() as uow:
        assert uow.reviews.overdue(NOW + timedelta(hours=5)) == []


def test_what_is_due_is_listed_until_claimed(sql_uow: Callable[[], SqlUnitOfWork]) -> None:
    _stored(sql_uow)
    with sql_uow() as uow:
        assert uow.reviews.overdue(NOW + timedelta(hours=3)) == []
        assert [r.request_id for r in uow.reviews.overdue(NOW + timedelta(hours=4))] == ["bg1"]
        assert uow.reviews.ending(NOW + timedelta(hours=23)) == []
        assert [r.request_id for r in uow.reviews.ending(NOW + timedelta(hours=24))] == ["bg1"]
    _claim(sql_uow, "end", NOW + timedelta(hours=24))
    with sql_uow() as uow:
        assert uow.reviews.ending(NOW + timedelta(hours=25)) == []


def test_of_two_sweeps_at_once_one_escalates(sql_uow: Callable[[], SqlUnitOfWork]) -> None:
    _stored(sql_uow)
    start = threading.Barrier(8)
    won: list[bool] = []

    def sweep() -> None:
        start.wait()
        won.append(_claim(sql_uow, "escalate", NOW + timedelta(hours=5)))

    threads = [threading.Thread(target=sweep) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 7 + [True]


def test_a_reminder_never_rotates_or_renews_a_break_glass_token(db: Engine) -> None:
    """The sync tracks it (its request id travels with it); Rotate and Renew on its reminder
    are refused by the gate, so it cannot outlive its day. Revoke still works."""
    gitlab = FakeGitLab()
    gitlab.group("acme")
    gitlab.project("acme/api")
    gitlab.group("acme/oncall")
    gitlab.member(ADA.gitlab_id, "acme/api", AccessLevel.MAINTAINER)
    gitlab.member(ADA.gitlab_id, "acme/oncall", AccessLevel.DEVELOPER)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(db, FernetBox("test-only-key-0123456789-abcdefghijklmnop"))

    now = datetime.now(UTC)
    ids = (f"bg{n}" for n in itertools.count(1))
    deps = RequestDeps(
        uow, gitlab, RequestPolicy(), lambda: now, lambda: next(ids), breakglass=POLICY
    )
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        "incident-1",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        None,
        "INC-1: the deploy is down and we must read the API",
    )
    request = submit_break_glass(ADA, draft, deps=deps)
    made = provision_request(request.id, deps=deps).request
    gitlab.list_token("acme/api", gitlab.minted[0])
    sync_inventory(["acme"], deps=SyncDeps(uow=uow, gitlab=gitlab, clock=lambda: now))
    key = token_key(TokenType.PROJECT_ACCESS_TOKEN, made.gitlab_token_id or 0)
    actions = ActionDeps(uow, gitlab, lambda: now, gate=deps.gate)
    renew = RenewDeps(actions, deps, RenewApproval.NEVER)
    with uow() as work:
        tracked = work.inventory.get(key)
    assert tracked is not None
    assert tracked.request_id == request.id
    with pytest.raises(NotAllowedError, match="Break glass again"):
        rotate_tracked_token(key, ADA, deps=renew)
    with pytest.raises(NotAllowedError, match="Break glass again"):
        renew_tracked_token(
            key,
            ADA,
            expires_on=now.date() + timedelta(days=60),
            reason="keep it for the quarter",
            deps=renew,
        )
    assert gitlab.rotated == []
    assert len(gitlab.created) == 1
    revoke_now(key, ADA, deps=actions)  # ending it early is fine
    assert len(gitlab.revoked) == 1
