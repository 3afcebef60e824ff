"""The ports use cases depend on: storage and the clock. Adapters implement them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bot.domain.conversation import Conversation

Clock = Callable[[], datetime]


class ConcurrentUpdateError(RuntimeError):
    """Someone else changed the record since it was read; read again and retry."""


class ConversationRepository(Protocol):
    def get(self, key: str) -> Conversation | None: ...

    def add(self, conversation: Conversation) -> None:
        """Insert a new conversation; ConcurrentUpdateError if the key exists already."""

    def update(self, conversation: Conversation) -> Conversation:
        """Write if nobody wrote since `conversation.revision`; return it with the new revision."""

    def delete(self, key: str) -> None: ...


class UnitOfWork(Protocol):
    @property
    def conversations(self) -> ConversationRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
