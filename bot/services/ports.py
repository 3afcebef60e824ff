"""The ports use cases depend on: storage and the clock. Adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from bot.domain.approval_notices import ApprovalNotice, Nudge
from bot.domain.audit import AuditEvent
from bot.domain.breakglass import BreakGlassReview
from bot.domain.conversation import Conversation
from bot.domain.credentials import PlaceTokens, Secret
from bot.domain.handoff import Handoff
from bot.domain.job_token_access import JobAccessState, JobTokenAccess
from bot.domain.links import AccountLink, LinkState
from bot.domain.minted import MintedCredential
from bot.domain.reminders import Reminder, TrackedToken
from bot.domain.requests import MessageRef, TokenRequest
from bot.domain.tokens import TokenType
from bot.services.hygiene_ports import HygieneStore

Clock = Callable[[], datetime]


class ConcurrentUpdateError(RuntimeError):
    """Someone else changed the record since it was read; read again and retry."""


class DuplicateEntryError(RuntimeError):
    """The same thing is stored already (the database's unique key said so)."""


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

    def claim_for_provisioning(self, request_id: str, now: datetime) -> TokenRequest | None:
        """Atomically move an approved (or failed) request to PROVISIONING, claimed `now`;
        None if another worker has it or it is in no state to provision. Enforced by the
        database."""

    def reclaim_stale(
        self, request_id: str, claimed_before: datetime, now: datetime
    ) -> TokenRequest | None:
        """Take over a request left in PROVISIONING by a worker that claimed it before
        `claimed_before` (it died, or hangs); None if it moved on or someone else took it."""

    def stale_provisioning(self, claimed_before: datetime) -> list[TokenRequest]: ...

    def stale_rotations(self, claimed_before: datetime) -> list[TokenRequest]:
        """Requests left ROTATING, claimed and last sent before then (a process died)."""

    def reclaim_rotation(
        self, request_id: str, claimed_before: datetime, now: datetime
    ) -> TokenRequest | None:
        """Take over such a request (still ROTATING, claimed `now`); None if it moved on or
        someone else took it. One conditional UPDATE: of two reconcilers, one gets it."""

    def unsettled(self, unsure_before: datetime) -> list[TokenRequest]:
        """Requests no worker holds whose last create or rotate was sent before then."""

    def attach_card(self, request_id: str, card: MessageRef) -> None:
        """Remember where the approval card was posted (not a state change)."""

    def open_requests(self) -> list[TokenRequest]: ...

    def of_requester(self, requester: str) -> list[TokenRequest]: ...


class SecretVault(Protocol):
    """Secrets waiting to be revealed, encrypted at rest, handed out once."""

    def put(self, request_id: str, secret: Secret, *, expires_at: datetime) -> None: ...

    def take(self, request_id: str, *, now: datetime) -> Secret | None:
        """The secret, deleted as it is read; None if absent, taken or expired."""

    def expiry(self, request_id: str) -> datetime | None:
        """Until when the secret waits (None: there is none), to put it back unchanged."""

    def discard_expired(self, *, now: datetime) -> list[str]:
        """Delete secrets past their time; the ids of their requests."""


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> None: ...

    def events(self) -> list[AuditEvent]: ...


@dataclass(frozen=True, slots=True)
class PlaceChange:
    added: int = 0
    changed: int = 0
    gone: int = 0


class Inventory(Protocol):
    """Credentials of the watched groups as the syncs saw them, and the sync runs."""

    def open_run(self, groups: str, now: datetime) -> tuple[int, bool]:
        """(run id, resumed): the unfinished run for these groups, else a new one."""

    def places_done(self, run_id: int) -> set[str]: ...

    def save_place(
        self, run_id: int, place: PlaceTokens, now: datetime, owner_of: Callable[[str], str | None]
    ) -> PlaceChange:
        """Write one place's tokens (what changed); tokens it no longer lists are gone."""

    def finish_run(self, run_id: int, groups: Sequence[str], now: datetime) -> int:
        """Close the run; returns how many tokens vanished with their place."""

    def fail_run(self, run_id: int, error: str, now: datetime) -> None: ...

    def last_run(self) -> tuple[str, datetime | None, str | None] | None: ...

    def get(self, key: str) -> TrackedToken | None: ...

    def tokens(self) -> list[TrackedToken]: ...

    def due_between(self, low: date, high: date) -> list[TrackedToken]: ...

    def update(self, token: TrackedToken, now: datetime) -> None: ...

    def track(self, token: TrackedToken, place_key: str, now: datetime) -> None:
        """Insert or refresh a token that no synced place holds (the bot's own)."""


class ReminderLog(Protocol):
    """Which reminders were posted: at most once per token, expiry date and threshold."""

    def levels_posted(self, keys: Sequence[str]) -> dict[tuple[str, date], set[int]]: ...

    def claim(self, reminders: Sequence[Reminder], now: datetime) -> list[Reminder]:
        """The reminders this process may post; the database refuses a second claim."""

    def posted(self, reminder: Reminder, channel: str, ts: str) -> None: ...

    def posted_all(self, reminders: Sequence[Reminder], channel: str, ts: str) -> None:
        """Mark these claims posted as one message (a digest, or a single reminder)."""

    def not_reminded(self, low: date, bands: Sequence[tuple[date, int]]) -> list[TrackedToken]:
        """Active, not muted tokens expiring from `low` to the last band's date that have no
        claim at their band's level or a nearer one (`bands`: see `reminder_bands`)."""

    def release(self, reminders: Sequence[Reminder]) -> None: ...

    def release_stale(self, claimed_before: datetime) -> int: ...


class MintedLedger(Protocol):
    """Every credential tokenbot minted, and the revokes that must still happen."""

    def put(self, credential: MintedCredential) -> None:
        """Insert or overwrite the entry of this credential (its type and GitLab id)."""

    def get(self, token_type: TokenType, gitlab_id: int) -> MintedCredential | None: ...

    def of_request(self, request_id: str) -> list[MintedCredential]: ...

    def to_revoke(self) -> list[MintedCredential]:
        """Entries whose revoke GitLab has not confirmed yet, oldest first."""


class AccountLinks(Protocol):
    """Chat users linked to GitLab by sign-in, and the sign-ins under way."""

    def get(self, chat_id: str) -> AccountLink | None: ...

    def put(self, link: AccountLink) -> None: ...

    def delete(self, chat_id: str) -> bool:
        """Remove the link; False if there was none."""

    def all(self) -> list[AccountLink]: ...

    def add_state(self, state: LinkState, *, keep: int) -> None:
        """Store a started sign-in; of this person's, only the newest `keep` stay."""

    def newest_state_at(self, chat_id: str) -> datetime | None:
        """When this person last started (or GitLab answered) a sign-in, if one is live."""

    def take_state(self, digest: str) -> LinkState | None:
        """The started sign-in, deleted as it is read (single use); None if absent."""

    def discard_expired_states(self, now: datetime) -> int: ...


class JobLeases(Protocol):
    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool: ...

    def release(self, name: str, holder: str) -> None: ...


class Handoffs(Protocol):
    """Hand-off rotations (bot/domain/handoff.py); `update` raises ConcurrentUpdateError."""

    def add(self, handoff: Handoff) -> None: ...

    def get(self, request_id: str) -> Handoff | None: ...

    def active(self) -> list[Handoff]: ...

    def active_for(self, token_key: str) -> Handoff | None: ...

    def handing_off(self) -> set[str]: ...

    def update(self, handoff: Handoff) -> Handoff: ...


class JobAccessRepository(Protocol):
    """Job token allowlist entries (bot/domain/job_token_access.py)."""

    def add(self, access: JobTokenAccess) -> None:
        """Insert; DuplicateEntryError if the same entry is live already."""

    def get(self, access_id: str) -> JobTokenAccess | None: ...

    def live_for(self, entry_key: str) -> JobTokenAccess | None: ...

    def update(self, access: JobTokenAccess) -> JobTokenAccess:
        """Write if nobody wrote since `access.revision` (else ConcurrentUpdateError)."""

    def in_states(self, *states: JobAccessState) -> list[JobTokenAccess]: ...


class BreakGlassReviews(Protocol):
    """Break-glass reviews (bot/domain/breakglass.py); each claim is true for one caller."""

    def add(self, review: BreakGlassReview) -> None: ...

    def get(self, request_id: str) -> BreakGlassReview | None: ...

    def acknowledge(self, request_id: str, who: str, now: datetime) -> bool: ...

    def claim_escalation(self, request_id: str, now: datetime) -> bool: ...

    def claim_end(self, request_id: str, now: datetime) -> bool: ...

    def attach_card(self, request_id: str, card: MessageRef) -> None: ...

    def overdue(self, now: datetime) -> list[BreakGlassReview]: ...

    def ending(self, now: datetime) -> list[BreakGlassReview]: ...


class ApprovalNotices(Protocol):
    """Announced requests (bot/domain/approval_notices.py) and who was asked by message."""

    def put(self, notice: ApprovalNotice) -> None: ...

    def get(self, request_id: str) -> ApprovalNotice | None: ...

    def of_requests(self, request_ids: list[str]) -> dict[str, ApprovalNotice]: ...

    def claim(self, request_id: str, nudge: Nudge, now: datetime) -> bool:
        """Mark the nudge sent unless it was: True for the one process that may send it."""

    def add_message(self, request_id: str, approver: str, where: MessageRef) -> None: ...

    def messages(self, request_id: str) -> dict[str, MessageRef]: ...


class HygieneDigestLog(Protocol):
    """Which channel got which week's hygiene digest: at most once per week and channel."""

    def claim(self, week_start: date, channel: str, now: datetime) -> bool:
        """True for the one process that may post this digest; the database refuses others."""

    def posted(self, week_start: date, channel: str, ts: str) -> None: ...

    def release(self, week_start: date, channel: str) -> None: ...

    def posted_ts(self, week_start: date, channel: str) -> str | None: ...


class UnitOfWork(Protocol):
    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def requests(self) -> RequestRepository: ...

    @property
    def secrets(self) -> SecretVault: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def inventory(self) -> Inventory: ...

    @property
    def reminders(self) -> ReminderLog: ...

    @property
    def leases(self) -> JobLeases: ...

    @property
    def minted(self) -> MintedLedger: ...

    @property
    def links(self) -> AccountLinks: ...

    @property
    def handoffs(self) -> Handoffs: ...

    @property
    def job_access(self) -> JobAccessRepository: ...

    @property
    def reviews(self) -> BreakGlassReviews: ...

    @property
    def approval_notices(self) -> ApprovalNotices: ...

    @property
    def hygiene_digests(self) -> HygieneDigestLog: ...

    @property
    def hygiene(self) -> HygieneStore: ...

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
