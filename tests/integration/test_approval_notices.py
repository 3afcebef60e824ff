"""Approval notices in the database (SQLite; PostgreSQL with TEST_DATABASE_URL): each nudge
is claimed by one process only, whatever the number of processes or restarts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.approval_notices import ApprovalNotice, Nudge, Surface
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import (
    MessageRef,
    RequestDraft,
    RequestState,
    TokenRequest,
)
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.approval_nudges import nudge_waiting
from bot.services.request_deps import RequestDeps
from tests.fake_gitlab import FakeGitLab

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
Factory = Callable[[], SqlUnitOfWork]


def _announce(sql_uow: Factory, request_id: str = "r1") -> None:
    with sql_uow() as uow:
        uow.approval_notices.put(
            ApprovalNotice(request_id, Surface.SHELL, "U0ADA", ("U0MEI", "subteam:S0OPS"))
        )
        uow.commit()


def test_an_announcement_is_kept_as_first_recorded(sql_uow: Factory) -> None:
    _announce(sql_uow)
    with sql_uow() as uow:
        uow.approval_notices.put(ApprovalNotice("r1", Surface.SLACK, None))
        uow.commit()
    with sql_uow() as uow:
        notice = uow.approval_notices.get("r1")
    assert notice == ApprovalNotice("r1", Surface.SHELL, "U0ADA", ("U0MEI", "subteam:S0OPS"))


def test_each_nudge_is_claimed_once_and_its_time_kept(sql_uow: Factory) -> None:
    _announce(sql_uow)
    results = []
    for nudge, at in ((Nudge.REMINDER, NOW), (Nudge.REMINDER, NOW + timedelta(hours=1))):
        with sql_uow() as uow:
            results.append(uow.approval_notices.claim("r1", nudge, at))
            uow.commit()
    with sql_uow() as uow:
        results.append(uow.approval_notices.claim("r1", Nudge.ESCALATION, NOW))
        uow.commit()
        notice = uow.approval_notices.of_requests(["r1", "r2"])["r1"]
    assert results == [True, False, True]
    assert notice.reminded_at == NOW
    assert notice.escalated_at == NOW


def test_of_many_processes_claiming_at_once_one_wins(sql_uow: Factory) -> None:
    _announce(sql_uow)
    barrier = threading.Barrier(4)
    won: list[bool] = []

    def claim() -> None:
        with sql_uow() as uow:
            barrier.wait()
            won.append(uow.approval_notices.claim("r1", Nudge.ESCALATION, NOW))
            uow.commit()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]


def test_an_unannounced_request_cannot_be_claimed(sql_uow: Factory) -> None:
    with sql_uow() as uow:
        assert not uow.approval_notices.claim("nobody-knows", Nudge.REMINDER, NOW)


def test_the_latest_message_to_each_approver_is_kept(sql_uow: Factory) -> None:
    _announce(sql_uow)
    with sql_uow() as uow:
        uow.approval_notices.add_message("r1", "U0MEI", MessageRef("D1", "1.1"))
        uow.approval_notices.add_message("r1", "U0OLA", MessageRef("D2", "2.1"))
        uow.commit()
    with sql_uow() as uow:
        uow.approval_notices.add_message("r1", "U0MEI", MessageRef("D1", "1.2"))  # a reminder
        uow.commit()
    with sql_uow() as uow:
        assert uow.approval_notices.messages("r1") == {
            "U0MEI": MessageRef("D1", "1.2"),
            "U0OLA": MessageRef("D2", "2.1"),
        }


def _waiting(sql_uow: Factory, request_id: str, made: datetime) -> None:
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        request_id,
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        None,
        "release notes",
    )
    request = TokenRequest(
        request_id, "U0ADA", 11, draft, RequestState.PENDING, made, made + timedelta(days=7), 1
    )
    with sql_uow() as uow:
        uow.requests.add(request)
        uow.commit()


def test_the_sweep_sends_each_due_nudge_once_even_when_sending_failed(sql_uow: Factory) -> None:
    """Claimed before sent: a failed send is logged, not repeated; a request never announced
    in chat is not chased."""
    _waiting(sql_uow, "r1", NOW - timedelta(hours=25))
    _waiting(sql_uow, "r2", NOW - timedelta(hours=49))
    _waiting(sql_uow, "quiet", NOW - timedelta(hours=49))
    _announce(sql_uow, "r1")
    _announce(sql_uow, "r2")
    clock = [NOW]
    deps = RequestDeps(
        uow=sql_uow,  # type: ignore[arg-type]
        gitlab=FakeGitLab(),  # type: ignore[arg-type]
        policy=RequestPolicy(),
        clock=lambda: clock[0],
        new_id=lambda: "unused",
    )
    tried: list[tuple[str, Nudge]] = []

    def send(request: TokenRequest, nudge: Nudge) -> None:
        tried.append((request.id, nudge))
        if request.id == "r2" and nudge is Nudge.REMINDER:
            raise OSError("Slack is down")

    sent = nudge_waiting(deps=deps, after=timedelta(hours=24), send=send)
    assert sorted(sent) == [("r1", Nudge.REMINDER), ("r2", Nudge.ESCALATION)]
    assert ("r2", Nudge.REMINDER) in tried
    clock[0] = NOW + timedelta(hours=24)  # r1's escalation is due now, nothing else
    assert nudge_waiting(deps=deps, after=timedelta(hours=24), send=send) == [
        ("r1", Nudge.ESCALATION)
    ]
    assert nudge_waiting(deps=deps, after=timedelta(hours=24), send=send) == []
    assert all(request_id != "quiet" for request_id, _ in tried)
