"""`SqlBreakGlassReviews`: break-glass reviews; each step (acknowledge, escalate, end) is a
conditional UPDATE, so it happens once however many clicks, jobs or replicas race for it."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db.tables import BreakGlassReviewRow
from bot.domain.breakglass import BreakGlassReview
from bot.domain.requests import MessageRef

_TABLE: Any = BreakGlassReviewRow.__table__  # type: ignore[attr-defined]


class SqlBreakGlassReviews:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, review: BreakGlassReview) -> None:
        self._session.add(BreakGlassReviewRow(**_columns(review)))
        self._session.flush()

    def get(self, request_id: str) -> BreakGlassReview | None:
        row = self._session.get(BreakGlassReviewRow, request_id, populate_existing=True)
        return None if row is None else _review(row)

    def acknowledge(self, request_id: str, who: str, now: datetime) -> bool:
        """Record the acknowledgement unless someone did already (False then)."""
        return self._claim(
            request_id, _TABLE.c.acknowledged_at.is_(None), acknowledged_by=who, acknowledged_at=now
        )

    def claim_escalation(self, request_id: str, now: datetime) -> bool:
        """Take the one escalation of an unacknowledged review (False: done or not needed)."""
        unacknowledged = _TABLE.c.acknowledged_at.is_(None)
        return self._claim(
            request_id, _TABLE.c.escalated_at.is_(None), unacknowledged, escalated_at=now
        )

    def claim_end(self, request_id: str, now: datetime) -> bool:
        """Take the one end-of-lifetime revoke (False: another process has it)."""
        return self._claim(request_id, _TABLE.c.ended_at.is_(None), ended_at=now)

    def attach_card(self, request_id: str, card: MessageRef) -> None:
        self._session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.request_id == request_id)
            .values(card_channel=card.channel, card_ts=card.ts)
        )

    def overdue(self, now: datetime) -> list[BreakGlassReview]:
        """Unacknowledged reviews past their deadline that have not escalated yet."""
        rows = self._session.exec(
            select(BreakGlassReviewRow)
            .where(col(BreakGlassReviewRow.acknowledged_at).is_(None))
            .where(col(BreakGlassReviewRow.escalated_at).is_(None))
            .where(col(BreakGlassReviewRow.review_due) <= now)
            .order_by(col(BreakGlassReviewRow.review_due))
        )
        return [_review(row) for row in rows]

    def ending(self, now: datetime) -> list[BreakGlassReview]:
        """Reviews whose token's lifetime is over and whose revoke nobody claimed yet."""
        rows = self._session.exec(
            select(BreakGlassReviewRow)
            .where(col(BreakGlassReviewRow.ended_at).is_(None))
            .where(col(BreakGlassReviewRow.ends_at) <= now)
            .order_by(col(BreakGlassReviewRow.ends_at))
        )
        return [_review(row) for row in rows]

    def _claim(self, request_id: str, *conditions: Any, **values: Any) -> bool:
        result = self._session.execute(
            sa.update(_TABLE).where(_TABLE.c.request_id == request_id, *conditions).values(**values)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _columns(review: BreakGlassReview) -> dict[str, Any]:
    return {f.name: getattr(review, f.name) for f in fields(review)}


def _review(row: BreakGlassReviewRow) -> BreakGlassReview:
    return BreakGlassReview(**{f.name: getattr(row, f.name) for f in fields(BreakGlassReview)})
