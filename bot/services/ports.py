"""The ports use cases depend on: storage and the clock. Adapters implement them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bot.domain.audit import AuditEvent
from bot.domain.conversation import Conversation
from bot.domain.credentials import Secret
from bot.domain.requests import TokenRequest

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


class RequestRepository(Protocol):
    def add(self, request: TokenRequest) -> None: ...

    def get(self, request_id: str) -> TokenRequest | None: ...

    def update(self, request: TokenRequest) -> TokenRequest:
        """Write if nobody wrote since `request.revision` (else ConcurrentUpdateError)."""

    def claim_for_provisioning(self, request_id: str) -> TokenRequest | None:
        """Atomically move an approved (or failed) request to PROVISIONING; None if another
        worker has it or it is in no state to provision. Enforced by the database."""

    def open_requests(self) -> list[TokenRequest]: ...

    def of_requester(self, requester: str) -> list[TokenRequest]: ...


class SecretVault(Protocol):
    """Secrets waiting to be revealed, encrypted at rest, handed out once."""

    def put(self, request_id: str, secret: Secret, *, expires_at: datetime) -> None: ...

    def take(self, request_id: str, *, now: datetime) -> Secret | None:
        """The secret, deleted as it is read; None if absent, taken or expired."""

    def discard_expired(self, *, now: datetime) -> list[str]:
        """Delete secrets past their time; the ids of their requests."""


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> None: ...

    def events(self) -> list[AuditEvent]: ...


class UnitOfWork(Protocol):
    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def requests(self) -> RequestRepository: ...

    @property
    def secrets(self) -> SecretVault: ...

    @property
    def audit(self) -> AuditLog: ...

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
