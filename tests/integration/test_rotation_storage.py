"""Rotations left behind, on a real database (SQLite or PostgreSQL): found, taken over once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.requests import RequestDraft, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=300)
BEFORE = NOW - TIMEOUT


@pytest.fixture
def uow(db: Engine) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(db)


def _stored(uow: Callable[[], SqlUnitOfWork], request_id: str, **changes: object) -> None:
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        request_id,
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        date(2027, 1, 1),
        "release notes",
    )
    request = TokenRequest(
        request_id, "U0ADA", 11, draft, RequestState.PROVISIONED, NOW, NOW, 1, gitlab_token_id=7
    )
    with uow() as u:
        u.requests.add(replace(request, **changes))  # type: ignore[arg-type]
        u.commit()


def _rotating(started: datetime, sent: datetime | None) -> dict[str, object]:
    return {"state": RequestState.ROTATING, "claimed_at": started, "unsure_since": sent}


def test_only_rotations_claimed_and_sent_before_the_timeout_are_stale(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    old = NOW - TIMEOUT - timedelta(seconds=5)
    _stored(uow, "dead", **_rotating(old, old))
    _stored(uow, "never-sent", **_rotating(old, None))
    _stored(uow, "from-before-claims", **_rotating(None, None))  # type: ignore[arg-type]
    _stored(uow, "just-claimed", **_rotating(NOW - timedelta(seconds=5), None))
    _stored(uow, "just-sent", **_rotating(old, NOW - timedelta(seconds=5)))
    _stored(uow, "provisioned", claimed_at=old, unsure_since=old)
    _stored(uow, "provisioning", **_rotating(old, old) | {"state": RequestState.PROVISIONING})
    with uow() as u:
        stale = {r.id for r in u.requests.stale_rotations(BEFORE)}
    assert stale == {"dead", "never-sent", "from-before-claims"}


def test_a_stale_rotation_is_taken_over_once_and_stays_rotating_until_decided(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    old = NOW - TIMEOUT - timedelta(seconds=5)
    _stored(uow, "dead", **_rotating(old, old))
    with uow() as u:
        taken = u.requests.reclaim_rotation("dead", BEFORE, NOW)
        u.commit()
    assert taken is not None
    assert (taken.state, taken.claimed_at, taken.unsure_since) == (RequestState.ROTATING, NOW, old)
    assert taken.revision == 1
    with uow() as u:
        assert u.requests.reclaim_rotation("dead", BEFORE, NOW) is None  # claimed now
        assert u.requests.stale_rotations(BEFORE) == []


def test_two_reconcilers_taking_over_at_once_get_it_once(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    old = NOW - TIMEOUT - timedelta(seconds=5)
    _stored(uow, "dead", **_rotating(old, old))
    start = threading.Barrier(2)
    got: list[TokenRequest | None] = []

    def take() -> None:
        with uow() as u:
            start.wait()
            got.append(u.requests.reclaim_rotation("dead", BEFORE, NOW))
            u.commit()

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(got) == 2
    assert sum(1 for g in got if g is not None) == 1
