"""Approval notices and the direct messages that asked people to approve (`ApprovalNotices`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db.tables import ApprovalNoticeRow, ApproverMessageRow
from bot.domain.approval_notices import ApprovalNotice, Nudge, Surface
from bot.domain.requests import MessageRef

_NOTICES: Any = ApprovalNoticeRow.__table__  # type: ignore[attr-defined]
_CLAIMED = {Nudge.REMINDER: "reminded_at", Nudge.ESCALATION: "escalated_at"}


class SqlApprovalNotices:
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, notice: ApprovalNotice) -> None:
        """Record a request's announcement (once: a second one keeps the first)."""
        if self._session.get(ApprovalNoticeRow, notice.request_id) is not None:
            return
        self._session.add(
            ApprovalNoticeRow(
                request_id=notice.request_id,
                surface=notice.surface.value,
                requester_chat=notice.requester_chat,
                asked=list(notice.asked),
            )
        )
        self._session.flush()

    def get(self, request_id: str) -> ApprovalNotice | None:
        row = self._session.get(ApprovalNoticeRow, request_id, populate_existing=True)
        return None if row is None else _notice(row)

    def of_requests(self, request_ids: list[str]) -> dict[str, ApprovalNotice]:
        if not request_ids:
            return {}
        rows = self._session.exec(
            select(ApprovalNoticeRow).where(col(ApprovalNoticeRow.request_id).in_(request_ids))
        )
        return {row.request_id: _notice(row) for row in rows}

    def claim(self, request_id: str, nudge: Nudge, now: datetime) -> bool:
        """Mark the nudge sent, if nobody did: of two processes, one gets True."""
        column = _NOTICES.c[_CLAIMED[nudge]]
        result = self._session.execute(
            sa.update(_NOTICES)
            .where(_NOTICES.c.request_id == request_id, column.is_(None))
            .values({column: now})
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_message(self, request_id: str, approver: str, where: MessageRef) -> None:
        row = self._session.get(ApproverMessageRow, (request_id, approver))
        if row is None:
            self._session.add(
                ApproverMessageRow(
                    request_id=request_id, approver=approver, channel=where.channel, ts=where.ts
                )
            )
        else:
            row.channel, row.ts = where.channel, where.ts
        self._session.flush()

    def messages(self, request_id: str) -> dict[str, MessageRef]:
        rows = self._session.exec(
            select(ApproverMessageRow).where(ApproverMessageRow.request_id == request_id)
        )
        return {row.approver: MessageRef(row.channel, row.ts) for row in rows}


def _notice(row: ApprovalNoticeRow) -> ApprovalNotice:
    return ApprovalNotice(
        row.request_id,
        Surface(row.surface),
        row.requester_chat,
        tuple(row.asked),
        row.reminded_at,
        row.escalated_at,
    )
