"""Repositories: map rows to domain objects and back, with the writes guarded by revision."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.db.tables import ConversationRow
from bot.domain.conversation import Conversation
from bot.services.ports import ConcurrentUpdateError


class SqlConversationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, key: str) -> Conversation | None:
        row = self._session.get(ConversationRow, key, populate_existing=True)
        if row is None:
            return None
        return Conversation(
            key=row.key,
            answers=tuple((qid, value) for qid, value in row.answers),
            tree_version=row.tree_version,
            started_at=row.started_at,
            updated_at=row.updated_at,
            revision=row.revision,
        )

    def add(self, conversation: Conversation) -> None:
        row = ConversationRow(
            key=conversation.key,
            answers=[[qid, value] for qid, value in conversation.answers],
            tree_version=conversation.tree_version,
            revision=conversation.revision,
            started_at=conversation.started_at,
            updated_at=conversation.updated_at,
        )
        self._session.add(row)
        try:
            self._session.flush()
        except IntegrityError as exc:
            raise ConcurrentUpdateError(f"conversation {conversation.key} exists") from exc

    def update(self, conversation: Conversation) -> Conversation:
        table = ConversationRow.__table__  # type: ignore[attr-defined]
        result = self._session.execute(
            sa.update(table)
            .where(table.c.key == conversation.key, table.c.revision == conversation.revision)
            .values(
                answers=[[qid, value] for qid, value in conversation.answers],
                tree_version=conversation.tree_version,
                started_at=conversation.started_at,
                updated_at=conversation.updated_at,
                revision=conversation.revision + 1,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdateError(f"conversation {conversation.key} changed meanwhile")
        return replace(conversation, revision=conversation.revision + 1)

    def delete(self, key: str) -> None:
        table = ConversationRow.__table__  # type: ignore[attr-defined]
        self._session.execute(sa.delete(table).where(table.c.key == key))
