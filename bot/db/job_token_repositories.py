"""`SqlJobTokenAccess`: job token allowlist entries, one live entry per source and target."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db.tables import JobTokenAccessRow
from bot.domain.job_token_access import JobAccessState, JobTokenAccess, Place, SourceKind
from bot.domain.job_token_policies import DEFAULT_PERMISSIONS, JobPolicies, from_gitlab
from bot.domain.requests import MessageRef
from bot.services.ports import ConcurrentUpdateError, DuplicateEntryError


class SqlJobTokenAccess:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, access: JobTokenAccess) -> None:
        """Insert; DuplicateEntryError when the same entry is live already (the database's
        unique `live_key` decides, so two bots cannot both store it)."""
        self._session.add(JobTokenAccessRow(id=access.id, **_columns(access)))
        try:
            self._session.flush()
        except IntegrityError:
            raise DuplicateEntryError(access.entry_key) from None

    def get(self, access_id: str) -> JobTokenAccess | None:
        row = self._session.get(JobTokenAccessRow, access_id, populate_existing=True)
        return None if row is None else _access(row)

    def live_for(self, entry_key: str) -> JobTokenAccess | None:
        row = self._session.exec(
            select(JobTokenAccessRow).where(JobTokenAccessRow.live_key == entry_key)
        ).first()
        return None if row is None else _access(row)

    def update(self, access: JobTokenAccess) -> JobTokenAccess:
        """Write if nobody wrote since `access.revision` (else ConcurrentUpdateError)."""
        table = JobTokenAccessRow.__table__  # type: ignore[attr-defined]
        result = self._session.execute(
            sa.update(table)
            .where(table.c.id == access.id, table.c.revision == access.revision)
            .values(**_columns(replace(access, revision=access.revision + 1)))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdateError(f"job token access {access.id} changed meanwhile")
        return replace(access, revision=access.revision + 1)

    def in_states(self, *states: JobAccessState) -> list[JobTokenAccess]:
        rows = self._session.exec(
            select(JobTokenAccessRow)
            .where(col(JobTokenAccessRow.state).in_([s.value for s in states]))
            .order_by(col(JobTokenAccessRow.created_at))
        )
        return [_access(row) for row in rows]


def _columns(access: JobTokenAccess) -> dict[str, Any]:
    return {
        "requester": access.requester,
        "requester_gitlab_id": access.requester_gitlab_id,
        "source_kind": access.source_kind.value,
        "source": access.source.path,
        "source_id": access.source.id,
        "target": access.target.path,
        "target_id": access.target.id,
        "reason": access.reason,
        "state": access.state.value,
        "live_key": access.entry_key if access.state.live else None,
        "created_at": access.created_at,
        "decided_by": access.decided_by,
        "decided_at": access.decided_at,
        "removed_by": access.removed_by,
        "finished_at": access.finished_at,
        "failure": access.failure,
        "card_channel": access.card.channel if access.card else None,
        "card_ts": access.card.ts if access.card else None,
        "revision": access.revision,
        "job_token_policies": None
        if access.policies.default
        else ",".join(access.policies.policies),
    }


def _access(row: JobTokenAccessRow) -> JobTokenAccess:
    card = MessageRef(row.card_channel, row.card_ts) if row.card_channel and row.card_ts else None
    return JobTokenAccess(
        id=row.id,
        requester=row.requester,
        requester_gitlab_id=row.requester_gitlab_id,
        source_kind=SourceKind(row.source_kind),
        source=Place(row.source, row.source_id),
        target=Place(row.target, row.target_id),
        reason=row.reason,
        state=JobAccessState(row.state),
        created_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        removed_by=row.removed_by,
        finished_at=row.finished_at,
        failure=row.failure,
        card=card,
        revision=row.revision,
        policies=_policies(row.job_token_policies),
    )


def _policies(stored: str | None) -> JobPolicies:
    if stored is None:
        return DEFAULT_PERMISSIONS
    return from_gitlab(False, [p for p in stored.split(",") if p])
