"""Repositories for token requests, the secret vault and the audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db.request_rows import columns, request_of
from bot.db.secret_box import FernetBox, SecretBoxError
from bot.db.tables import AuditEventRow, PendingSecretRow, TokenRequestRow
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import Secret
from bot.domain.requests import (
    MessageRef,
    RequestError,
    RequestState,
    TokenRequest,
)
from bot.services.ports import ConcurrentUpdateError

_OPEN = [s.value for s in RequestState if s.open]
_CLAIMABLE = [RequestState.APPROVED.value, RequestState.FAILED.value]
_BUSY = [RequestState.PROVISIONING.value, RequestState.ROTATING.value]


class SqlRequestRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, request: TokenRequest) -> None:
        self._session.add(
            TokenRequestRow(**columns(request), id=request.id, revision=request.revision)
        )
        try:
            self._session.flush()
        except IntegrityError as exc:
            raise ConcurrentUpdateError(f"request {request.id} exists") from exc

    def get(self, request_id: str) -> TokenRequest | None:
        row = self._session.get(TokenRequestRow, request_id, populate_existing=True)
        return request_of(row) if row else None

    def update(self, request: TokenRequest) -> TokenRequest:
        table = TokenRequestRow.__table__  # type: ignore[attr-defined]
        result = self._session.execute(
            sa.update(table)
            .where(table.c.id == request.id, table.c.revision == request.revision)
            .values(**columns(request), revision=request.revision + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdateError(f"request {request.id} changed meanwhile")
        return replace(request, revision=request.revision + 1)

    def claim_for_provisioning(self, request_id: str, now: datetime) -> TokenRequest | None:
        # One conditional UPDATE: of two workers (or two processes) only one sees rowcount 1.
        return self._claim(request_id, now, self._table.c.state.in_(_CLAIMABLE))

    def reclaim_stale(
        self, request_id: str, claimed_before: datetime, now: datetime
    ) -> TokenRequest | None:
        """Take over a request a worker left in PROVISIONING before `claimed_before`."""
        table = self._table
        stale = sa.and_(
            table.c.state == RequestState.PROVISIONING.value,
            sa.or_(table.c.claimed_at.is_(None), table.c.claimed_at < claimed_before),
        )
        return self._claim(request_id, now, stale)

    def stale_provisioning(self, claimed_before: datetime) -> list[TokenRequest]:
        rows = self._session.exec(
            select(TokenRequestRow).where(
                TokenRequestRow.state == RequestState.PROVISIONING.value,
                sa.or_(
                    col(TokenRequestRow.claimed_at).is_(None),
                    col(TokenRequestRow.claimed_at) < claimed_before,
                ),
            )
        )
        return [request_of(row) for row in rows]

    def stale_rotations(self, claimed_before: datetime) -> list[TokenRequest]:
        rows = self._session.exec(
            select(TokenRequestRow).where(_left_rotating(self._table, claimed_before))
        )
        return [request_of(row) for row in rows]

    def reclaim_rotation(
        self, request_id: str, claimed_before: datetime, now: datetime
    ) -> TokenRequest | None:
        """Take over a rotation left ROTATING (claimed and last sent before `claimed_before`)."""
        table = self._table
        result = self._session.execute(
            sa.update(table)
            .where(table.c.id == request_id, _left_rotating(table, claimed_before))
            .values(claimed_at=now, revision=table.c.revision + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return self.get(request_id)

    def unsettled(self, unsure_before: datetime) -> list[TokenRequest]:
        """Requests no worker holds whose last create or rotate was sent before then."""
        rows = self._session.exec(
            select(TokenRequestRow)
            .where(
                col(TokenRequestRow.unsure_since) < unsure_before,
                col(TokenRequestRow.state).not_in(_BUSY),
            )
            .order_by(col(TokenRequestRow.unsure_since))
        )
        return [request_of(row) for row in rows]

    def _claim(self, request_id: str, now: datetime, condition: Any) -> TokenRequest | None:
        table = self._table
        result = self._session.execute(
            sa.update(table)
            .where(table.c.id == request_id, condition)
            .values(
                state=RequestState.PROVISIONING.value,
                failure=None,
                claimed_at=now,
                revision=table.c.revision + 1,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return self.get(request_id)

    @property
    def _table(self) -> Any:
        return TokenRequestRow.__table__  # type: ignore[attr-defined]

    def attach_card(self, request_id: str, card: MessageRef) -> None:
        # Not a state change: no revision bump, so it never races with a click on the card.
        table = TokenRequestRow.__table__  # type: ignore[attr-defined]
        self._session.execute(
            sa.update(table)
            .where(table.c.id == request_id)
            .values(card_channel=card.channel, card_ts=card.ts)
        )

    def open_requests(self) -> list[TokenRequest]:
        rows = self._session.exec(
            select(TokenRequestRow)
            .where(col(TokenRequestRow.state).in_(_OPEN))
            .order_by(col(TokenRequestRow.created_at))
        )
        return [request_of(row) for row in rows]

    def of_requester(self, requester: str) -> list[TokenRequest]:
        rows = self._session.exec(
            select(TokenRequestRow)
            .where(TokenRequestRow.requester == requester)
            .order_by(col(TokenRequestRow.created_at))
        )
        return [request_of(row) for row in rows]


def _left_rotating(table: Any, before: datetime) -> Any:
    """ROTATING, claimed before then (or before claims were kept) and sent before then: no
    answer to its rotate can still come."""
    return sa.and_(
        table.c.state == RequestState.ROTATING.value,
        sa.or_(table.c.claimed_at.is_(None), table.c.claimed_at < before),
        sa.or_(table.c.unsure_since.is_(None), table.c.unsure_since < before),
    )


class SqlSecretVault:
    def __init__(self, session: Session, box: FernetBox | None) -> None:
        self._session = session
        self._box = box

    def put(self, request_id: str, secret: Secret, *, expires_at: datetime) -> None:
        # A rotation replaces a secret that was never revealed: the old one no longer works.
        table = PendingSecretRow.__table__  # type: ignore[attr-defined]
        self._session.execute(sa.delete(table).where(table.c.request_id == request_id))
        self._session.add(
            PendingSecretRow(
                request_id=request_id,
                ciphertext=self._require().seal(secret),
                expires_at=expires_at,
            )
        )
        self._session.flush()

    def take(self, request_id: str, *, now: datetime) -> Secret | None:
        table = PendingSecretRow.__table__  # type: ignore[attr-defined]
        # Delete first and read what was deleted: two reveals at once cannot both get it.
        row = self._session.execute(
            sa.delete(table)
            .where(table.c.request_id == request_id)
            .returning(table.c.ciphertext, table.c.expires_at)
        ).first()
        if row is None or row.expires_at <= now:  # UTCDateTime returns aware UTC
            return None
        try:
            return self._require().open(row.ciphertext)
        except SecretBoxError:
            # The unit of work is not committed, so the secret stays for the right key.
            raise RequestError(
                "the secret cannot be read with the current TOKENBOT_SECRET_KEY (it changed"
                " after the token was made); an admin can restore the old key, or rotate the"
                " token to get a fresh secret"
            ) from None

    def expiry(self, request_id: str) -> datetime | None:
        row = self._session.get(PendingSecretRow, request_id)
        return None if row is None else row.expires_at

    def discard_expired(self, *, now: datetime) -> list[str]:
        table = PendingSecretRow.__table__  # type: ignore[attr-defined]
        rows = self._session.execute(
            sa.delete(table).where(table.c.expires_at <= now).returning(table.c.request_id)
        ).all()
        return [str(row.request_id) for row in rows]

    def _require(self) -> FernetBox:
        if self._box is None:
            raise RuntimeError("TOKENBOT_SECRET_KEY is not set: secrets cannot be held")
        return self._box


class SqlAuditLog:
    """Append-only: there is no update or delete here."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def append(self, event: AuditEvent) -> None:
        self._session.add(
            AuditEventRow(
                at=event.at,
                action=event.action.value,
                request_id=event.request_id,
                actor=event.actor,
                details=dict(event.details),
            )
        )

    def events(self) -> list[AuditEvent]:
        rows = self._session.exec(select(AuditEventRow).order_by(col(AuditEventRow.id)))
        return [
            AuditEvent(
                row.at, AuditAction(row.action), row.request_id, row.actor, dict(row.details)
            )
            for row in rows
        ]
