"""Break-glass reviews on a real database (SQLite; PostgreSQL with TEST_DATABASE_URL): each
step is a conditional UPDATE, so of two processes racing for it exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.breakglass import BreakGlassPolicy, new_review
from bot.domain.requests import MessageRef

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
POLICY = BreakGlassPolicy(("acme/oncall",), hours=24, review_hours=4)


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
