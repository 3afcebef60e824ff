"""The ledger of minted credentials (`MintedLedger`) over the `minted_credentials` table."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from bot.db.tables import MintedCredentialRow
from bot.domain.credentials import Namespace, NamespaceKind, TokenRef
from bot.domain.minted import MintedCredential, MintedStatus
from bot.domain.tokens import TokenType


class SqlMintedLedger:
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, credential: MintedCredential) -> None:
        """Insert or overwrite the entry for this credential (type and GitLab id)."""
        row = self._session.get(MintedCredentialRow, credential.key)
        values = _values(credential)
        if row is None:
            self._session.add(MintedCredentialRow(**values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
        self._session.flush()

    def get(self, token_type: TokenType, gitlab_id: int) -> MintedCredential | None:
        row = self._session.get(
            MintedCredentialRow, (token_type.value, gitlab_id), populate_existing=True
        )
        return None if row is None else _credential(row)

    def of_request(self, request_id: str) -> list[MintedCredential]:
        rows = self._session.exec(
            select(MintedCredentialRow)
            .where(MintedCredentialRow.request_id == request_id)
            .order_by(col(MintedCredentialRow.recorded_at))
        )
        return [_credential(row) for row in rows]

    def to_revoke(self) -> list[MintedCredential]:
        rows = self._session.exec(
            select(MintedCredentialRow)
            .where(MintedCredentialRow.status == MintedStatus.REVOKING.value)
            .order_by(col(MintedCredentialRow.recorded_at))
        )
        return [_credential(row) for row in rows]


def _values(credential: MintedCredential) -> dict[str, Any]:
    ref = credential.ref
    where = ref.namespace
    return {
        "token_type": ref.token_type.value,
        "gitlab_id": ref.gitlab_id,
        "request_id": credential.request_id,
        "namespace_kind": where.kind.value if where else None,
        "namespace_id": where.id if where else None,
        "namespace_path": where.path if where else None,
        "user_id": ref.user_id,
        "status": credential.status.value,
        "exposed": credential.exposed,
        "reason": credential.reason,
        "attempts": credential.attempts,
        "last_error": credential.last_error,
        "recorded_at": credential.recorded_at,
    }


def _credential(row: MintedCredentialRow) -> MintedCredential:
    where = None
    if row.namespace_kind and row.namespace_id is not None:
        where = Namespace(
            NamespaceKind(row.namespace_kind), row.namespace_id, row.namespace_path or ""
        )
    return MintedCredential(
        request_id=row.request_id,
        ref=TokenRef(TokenType(row.token_type), row.gitlab_id, where, row.user_id),
        status=MintedStatus(row.status),
        recorded_at=row.recorded_at,
        exposed=row.exposed,
        reason=row.reason,
        attempts=row.attempts,
        last_error=row.last_error,
    )
