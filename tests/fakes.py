"""Hand-written fakes for the ports: they keep state in memory and record what happened."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from bot.domain.audit import AuditEvent
from bot.domain.breakglass import BreakGlassReview
from bot.domain.conversation import Conversation
from bot.domain.credentials import Secret
from bot.domain.handoff import Handoff
from bot.domain.minted import MintedCredential, MintedStatus
from bot.domain.requests import MessageRef, RequestState, TokenRequest
from bot.domain.tokens import TokenType
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


class FakeRequestStore:
    """Requests, secrets and audit events in memory; the unit of work snapshots them."""

    def __init__(self) -> None:
        self.requests: dict[str, TokenRequest] = {}
        self.secrets: dict[str, tuple[Secret, datetime]] = {}
        self.audit: list[AuditEvent] = []
        self.minted: dict[tuple[str, int], MintedCredential] = {}
        self.claim_refusals = 0  # simulate another worker winning the claim

    # --- RequestRepository
    def add(self, request: TokenRequest) -> None:
        if request.id in self.requests:
            raise ConcurrentUpdateError(request.id)
        self.requests[request.id] = request

    def get(self, request_id: str) -> TokenRequest | None:
        return self.requests.get(request_id)

    def update(self, request: TokenRequest) -> TokenRequest:
        stored = self.requests.get(request.id)
        if stored is None or stored.revision != request.revision:
            raise ConcurrentUpdateError(request.id)
        saved = replace(request, revision=request.revision + 1)
        self.requests[request.id] = saved
        return saved

    def claim_for_provisioning(self, request_id: str, now: datetime) -> TokenRequest | None:
        stored = self.requests.get(request_id)
        if self.claim_refusals:
            self.claim_refusals -= 1
            return None
        if stored is None or stored.state not in {RequestState.APPROVED, RequestState.FAILED}:
            return None
        return self._claim(stored, now)

    def reclaim_stale(
        self, request_id: str, claimed_before: datetime, now: datetime
    ) -> TokenRequest | None:
        stored = self.requests.get(request_id)
        if stored is None or stored not in self.stale_provisioning(claimed_before):
            return None
        return self._claim(stored, now)

    def stale_provisioning(self, claimed_before: datetime) -> list[TokenRequest]:
        return [
            r
            for r in self.requests.values()
            if r.state is RequestState.PROVISIONING
            and (r.claimed_at is None or r.claimed_at < claimed_before)
        ]

    def stale_rotations(self, claimed_before: datetime) -> list[TokenRequest]:
        def before(moment: datetime | None) -> bool:
            return moment is None or moment < claimed_before

        return [
            r
            for r in self.requests.values()
            if r.state is RequestState.ROTATING and before(r.claimed_at) and before(r.unsure_since)
        ]

    def reclaim_rotation(
        self, request_id: str, claimed_before: datetime, now: datetime
    ) -> TokenRequest | None:
        stored = self.requests.get(request_id)
        if stored is None or stored not in self.stale_rotations(claimed_before):
            return None
        taken = replace(stored, claimed_at=now, revision=stored.revision + 1)
        self.requests[request_id] = taken
        return taken

    def unsettled(self, unsure_before: datetime) -> list[TokenRequest]:
        busy = {RequestState.PROVISIONING, RequestState.ROTATING}
        return [
            r
            for r in self.requests.values()
            if r.unsure_since is not None and r.unsure_since < unsure_before and r.state not in busy
        ]

    def _claim(self, stored: TokenRequest, now: datetime) -> TokenRequest:
        claimed = replace(
            stored,
            state=RequestState.PROVISIONING,
            failure=None,
            claimed_at=now,
            revision=stored.revision + 1,
        )
        self.requests[stored.id] = claimed
        return claimed

    def attach_card(self, request_id: str, card: MessageRef) -> None:
        stored = self.requests.get(request_id)
        if stored is not None:
            self.requests[request_id] = replace(stored, card=card)

    def open_requests(self) -> list[TokenRequest]:
        return [r for r in self.requests.values() if r.state.open]

    def of_requester(self, requester: str) -> list[TokenRequest]:
        return [r for r in self.requests.values() if r.requester == requester]


class FakeVault:
    def __init__(self, store: FakeRequestStore) -> None:
        self._store = store

    def put(self, request_id: str, secret: Secret, *, expires_at: datetime) -> None:
        self._store.secrets[request_id] = (secret, expires_at)

    def take(self, request_id: str, *, now: datetime) -> Secret | None:
        held = self._store.secrets.pop(request_id, None)
        if held is None or held[1] <= now:
            return None
        return held[0]

    def expiry(self, request_id: str) -> datetime | None:
        held = self._store.secrets.get(request_id)
        return None if held is None else held[1]

    def discard_expired(self, *, now: datetime) -> list[str]:
        gone = [rid for rid, (_, until) in self._store.secrets.items() if until <= now]
        for rid in gone:
            del self._store.secrets[rid]
        return gone


class FakeMintedLedger:
    def __init__(self, store: FakeRequestStore) -> None:
        self._store = store

    def put(self, credential: MintedCredential) -> None:
        self._store.minted[credential.key] = credential

    def get(self, token_type: TokenType, gitlab_id: int) -> MintedCredential | None:
        return self._store.minted.get((token_type.value, gitlab_id))

    def of_request(self, request_id: str) -> list[MintedCredential]:
        return [c for c in self._store.minted.values() if c.request_id == request_id]

    def to_revoke(self) -> list[MintedCredential]:
        return [c for c in self._store.minted.values() if c.status is MintedStatus.REVOKING]


class FakeAudit:
    def __init__(self, store: FakeRequestStore) -> None:
        self._store = store

    def append(self, event: AuditEvent) -> None:
        self._store.audit.append(event)

    def events(self) -> list[AuditEvent]:
        return list(self._store.audit)


_Snapshot = tuple[
    dict[str, TokenRequest],
    dict[str, tuple[Secret, datetime]],
    list[AuditEvent],
    dict[tuple[str, int], MintedCredential],
]


class FakeHandoffs:
    """Hand-offs in memory (no rollback: the request tests that use it start none)."""

    def __init__(self) -> None:
        self.rows: dict[str, Handoff] = {}

    def add(self, handoff: Handoff) -> None:
        self.rows[handoff.request_id] = handoff

    def get(self, request_id: str) -> Handoff | None:
        return self.rows.get(request_id)

    def active(self) -> list[Handoff]:
        return [h for h in self.rows.values() if h.active]

    def active_for(self, token_key: str) -> Handoff | None:
        keys = ("old_key", "successor_key")
        found = [h for h in self.active() if token_key in {getattr(h, k) for k in keys}]
        return found[0] if found else None

    def handing_off(self) -> set[str]:
        return {h.old_key for h in self.active()}

    def update(self, handoff: Handoff) -> Handoff:
        known = self.rows.get(handoff.request_id)
        if known is None or known.version != handoff.version:
            raise ConcurrentUpdateError(f"hand-off {handoff.request_id} changed meanwhile")
        self.rows[handoff.request_id] = replace(handoff, version=handoff.version + 1)
        return self.rows[handoff.request_id]


class FakeBreakGlassReviews:
    """Break-glass reviews in memory, with the claims' conditions (no rollback: the tests
    that use it commit what they change)."""

    def __init__(self) -> None:
        self.rows: dict[str, BreakGlassReview] = {}

    def add(self, review: BreakGlassReview) -> None:
        self.rows[review.request_id] = review

    def get(self, request_id: str) -> BreakGlassReview | None:
        return self.rows.get(request_id)

    def acknowledge(self, request_id: str, who: str, now: datetime) -> bool:
        return self._claim(request_id, "acknowledged_at", acknowledged_by=who, acknowledged_at=now)

    def claim_escalation(self, request_id: str, now: datetime) -> bool:
        known = self.rows.get(request_id)
        if known is None or known.acknowledged_at is not None:
            return False
        return self._claim(request_id, "escalated_at", escalated_at=now)

    def claim_end(self, request_id: str, now: datetime) -> bool:
        return self._claim(request_id, "ended_at", ended_at=now)

    def attach_card(self, request_id: str, card: MessageRef) -> None:
        known = self.rows[request_id]
        self.rows[request_id] = replace(known, card_channel=card.channel, card_ts=card.ts)

    def overdue(self, now: datetime) -> list[BreakGlassReview]:
        return [r for r in self.rows.values() if r.overdue(now)]

    def ending(self, now: datetime) -> list[BreakGlassReview]:
        return [r for r in self.rows.values() if r.lifetime_over(now)]

    def _claim(self, request_id: str, unset: str, **values: Any) -> bool:
        known = self.rows.get(request_id)
        if known is None or getattr(known, unset) is not None:
            return False
        self.rows[request_id] = replace(known, **values)
        return True


class FakeRequestUnitOfWork(FakeUnitOfWork):
    """A unit of work whose request data rolls back unless committed."""

    def __init__(self) -> None:
        super().__init__()
        self.store = FakeRequestStore()
        self.requests = self.store
        self.secrets = FakeVault(self.store)
        self.audit = FakeAudit(self.store)
        self.minted = FakeMintedLedger(self.store)
        self.handoffs = FakeHandoffs()
        self.reviews = FakeBreakGlassReviews()
        self._snapshot: _Snapshot | None = None

    def __enter__(self) -> Self:
        super().__enter__()
        self._snapshot = self._take()
        return self

    def _take(self) -> _Snapshot:
        store = self.store
        return (dict(store.requests), dict(store.secrets), list(store.audit), dict(store.minted))

    def __exit__(self, *exc: object) -> None:
        self.rollback()
        super().__exit__(None, None, None)

    def commit(self) -> None:
        super().commit()
        self._snapshot = None

    def rollback(self) -> None:
        super().rollback()
        if self._snapshot is not None:
            self.store.requests, self.store.secrets, audit, self.store.minted = self._snapshot
            self.store.audit[:] = audit
            self._snapshot = self._take()


def reveal_now(request_id: str, person: Any, *, deps: Any) -> tuple[Any, Secret]:
    """`reveal_secret` with a `show` that keeps what it was shown: (request, secret)."""
    from bot.services.reveal import reveal_secret

    shown: list[tuple[Any, Secret]] = []
    reveal_secret(request_id, person, show=lambda r, s: shown.append((r, s)), deps=deps)
    return shown[0]
