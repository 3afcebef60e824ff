"""Hand-offs in the database; every change is a conditional update on the row's version, so
of two workers (or two replicas) advancing the same hand-off only one moves it on."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.db.tables import HandoffRow
from bot.domain.handoff import Handoff, HandoffOutcome, HandoffState
from bot.domain.tokens import TokenType
from bot.services.ports import ConcurrentUpdateError


class SqlHandoffs:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, handoff: Handoff) -> None:
        self._session.add(HandoffRow(**_columns(handoff), version=handoff.version))

    def get(self, request_id: str) -> Handoff | None:
        row = self._session.get(HandoffRow, request_id)
        return _handoff(row) if row is not None else None

    def active(self) -> list[Handoff]:
        rows = self._session.exec(
            select(HandoffRow)
            .where(HandoffRow.state == HandoffState.ACTIVE.value)
            .order_by(HandoffRow.started_at)  # type: ignore[arg-type]
        )
        return [_handoff(r) for r in rows]

    def active_for(self, token_key: str) -> Handoff | None:
        """The hand-off under way in which this token is the old one or the successor."""
        table = HandoffRow.__table__  # type: ignore[attr-defined]
        row = self._session.exec(
            select(HandoffRow).where(
                table.c.state == HandoffState.ACTIVE.value,
                sa.or_(table.c.old_key == token_key, table.c.successor_key == token_key),
            )
        ).first()
        return _handoff(row) if row is not None else None

    def handing_off(self) -> set[str]:
        """Keys of old tokens whose hand-off is under way (their reminders stop)."""
        table = HandoffRow.__table__  # type: ignore[attr-defined]
        rows = self._session.execute(
            sa.select(table.c.old_key).where(table.c.state == HandoffState.ACTIVE.value)
        )
        return {str(key) for (key,) in rows}

    def update(self, handoff: Handoff) -> Handoff:
        table = HandoffRow.__table__  # type: ignore[attr-defined]
        result = self._session.execute(
            sa.update(table)
            .where(table.c.request_id == handoff.request_id, table.c.version == handoff.version)
            .values(**_columns(handoff), version=handoff.version + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdateError(f"hand-off {handoff.request_id} changed meanwhile")
        return replace(handoff, version=handoff.version + 1)


def _columns(h: Handoff) -> dict[str, Any]:
    return {
        "request_id": h.request_id,
        "token_type": h.token_type.value,
        "target": h.target,
        "name": h.name,
        "old_key": h.old_key,
        "old_gitlab_id": h.old_gitlab_id,
        "old_user_id": h.old_user_id,
        "successor_key": h.successor_key,
        "successor_gitlab_id": h.successor_gitlab_id,
        "successor_user_id": h.successor_user_id,
        "owner": h.owner,
        "started_at": h.started_at,
        "deadline": h.deadline,
        "state": h.state.value,
        "outcome": h.outcome.value if h.outcome else None,
        "successor_used_at": h.successor_used_at,
        "finished_at": h.finished_at,
        "finished_by": h.finished_by,
    }


def _handoff(row: HandoffRow) -> Handoff:
    return Handoff(
        request_id=row.request_id,
        token_type=TokenType(row.token_type),
        target=row.target,
        name=row.name,
        old_key=row.old_key,
        old_gitlab_id=row.old_gitlab_id,
        successor_key=row.successor_key,
        successor_gitlab_id=row.successor_gitlab_id,
        owner=row.owner,
        started_at=row.started_at,
        deadline=row.deadline,
        old_user_id=row.old_user_id,
        successor_user_id=row.successor_user_id,
        state=HandoffState(row.state),
        outcome=HandoffOutcome(row.outcome) if row.outcome else None,
        successor_used_at=row.successor_used_at,
        finished_at=row.finished_at,
        finished_by=row.finished_by,
        version=row.version,
    )
