"""Hand-written fakes for the ports: they keep state in memory and record what happened."""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType
from typing import Self

from bot.domain.conversation import Conversation
from bot.services.ports import ConcurrentUpdateError


class FakeConversationRepository:
    def __init__(self) -> None:
        self.rows: dict[str, Conversation] = {}
        self.pending: dict[str, Conversation | None] = {}
        self.conflicts_to_raise = 0  # simulate another writer winning the race

    def get(self, key: str) -> Conversation | None:
        if key in self.pending:
            return self.pending[key]
        return self.rows.get(key)

    def add(self, conversation: Conversation) -> None:
        if self.get(conversation.key) is not None:
            raise ConcurrentUpdateError(conversation.key)
        self.pending[conversation.key] = conversation

    def update(self, conversation: Conversation) -> Conversation:
        stored = self.get(conversation.key)
        if self.conflicts_to_raise:
            self.conflicts_to_raise -= 1
            raise ConcurrentUpdateError(conversation.key)
        if stored is None or stored.revision != conversation.revision:
            raise ConcurrentUpdateError(conversation.key)
        saved = replace(conversation, revision=conversation.revision + 1)
        self.pending[conversation.key] = saved
        return saved

    def delete(self, key: str) -> None:
        self.pending[key] = None


class FakeUnitOfWork:
    """One shared store; each `with` block sees committed data plus its own pending writes."""

    def __init__(self) -> None:
        self.conversations = FakeConversationRepository()
        self.commits = 0

    def __call__(self) -> FakeUnitOfWork:
        return self

    def __enter__(self) -> Self:
        self.conversations.pending = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.conversations.pending = {}

    def commit(self) -> None:
        for key, value in self.conversations.pending.items():
            if value is None:
                self.conversations.rows.pop(key, None)
            else:
                self.conversations.rows[key] = value
        self.conversations.pending = {}
        self.commits += 1

    def rollback(self) -> None:
        self.conversations.pending = {}
