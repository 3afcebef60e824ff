"""Rotation with a hand-off: the successor is minted beside the old token, which stays live
until the successor is seen in use or a deadline passes; then the old one is revoked.

GitLab's rotate API revokes the old token at once (every consumer breaks until someone
pastes the new secret); GitLab issue 428256 asks for a grace period. tokenbot gets one by
creating a second token of the same type, target, role and scopes, which the types below
allow, and revoking the first later. Pure: time comes in as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.reminders import TrackedToken
from bot.domain.tokens import Scope, TokenType

# Types of which GitLab lets a target hold a second live token: resource access tokens,
# a service account's personal access tokens, deploy tokens and pipeline triggers.
HANDOFF_TYPES = frozenset(
    {
        TokenType.PROJECT_ACCESS_TOKEN,
        TokenType.GROUP_ACCESS_TOKEN,
        TokenType.SERVICE_ACCOUNT_PAT,
        TokenType.DEPLOY_TOKEN,
        TokenType.PIPELINE_TRIGGER_TOKEN,
    }
)
# GitLab reports no use of these: their hand-off ends at the deadline (or at once, by hand).
USE_UNSEEN = frozenset({TokenType.DEPLOY_TOKEN})

_SCOPES = frozenset(s.value for s in Scope)
_ROLE_BEARING = frozenset({TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN})

IN_PLACE_ONLY = (
    "tokenbot can only rotate this kind of token in place: the old secret stops working the"
    " moment the new one exists, so update everything that uses it straight away."
)


def hands_off(token_type: TokenType) -> bool:
    """Can a rotation of this type keep the old token live beside its successor?"""
    return token_type in HANDOFF_TYPES


def can_hand_off(token: TrackedToken) -> bool:
    """Can this token's rotation hand off? Only where the successor can have exactly its power
    (known scopes, a role where the type has one), and, for a service account's token, the
    account's id (the sync records it)."""
    if not hands_off(token.token_type):
        return False
    if any(s not in _SCOPES for s in token.scopes):
        return False  # a successor would lack what tokenbot cannot name: rotate it in place
    if token.token_type in _ROLE_BEARING and token.access_level is None:
        return False  # GitLab would default a new one to Maintainer
    return token.token_type is not TokenType.SERVICE_ACCOUNT_PAT or token.user_id is not None


class HandoffState(StrEnum):
    ACTIVE = "active"  # both tokens live
    COMPLETED = "completed"  # the old token revoked
    CANCELLED = "cancelled"  # the successor revoked, the old token kept


class HandoffOutcome(StrEnum):
    USED = "used"  # the successor was seen in use
    DEADLINE = "deadline"  # TOKENBOT_HANDOFF_HOURS passed
    NOW = "now"  # someone chose "Revoke the old one now"
    CANCELLED = "cancelled"  # someone chose "Cancel hand-off"
    GONE = "gone"  # GitLab no longer lists the successor (revoked elsewhere): old one kept
    UNREVEALED = "unrevealed"  # nobody revealed the successor's secret in time: old one kept


class HandoffError(ValueError):
    """A hand-off step that does not apply (already finished); str() is for the person."""


@dataclass(frozen=True, slots=True)
class Handoff:
    request_id: str  # the rotation request that minted the successor
    token_type: TokenType
    target: str  # the project or group path both tokens belong to
    old_key: str
    old_gitlab_id: int
    successor_key: str
    successor_gitlab_id: int
    owner: str  # the chat id told about each step
    started_at: datetime
    deadline: datetime
    name: str = ""  # the token's name, as the owner knows it
    old_user_id: int | None = None
    successor_user_id: int | None = None
    state: HandoffState = HandoffState.ACTIVE
    outcome: HandoffOutcome | None = None
    successor_used_at: datetime | None = None
    finished_at: datetime | None = None
    finished_by: str | None = None
    version: int = 1

    @property
    def active(self) -> bool:
        return self.state is HandoffState.ACTIVE

    def seen_in_use(self, last_used_at: datetime | None) -> bool:
        """Did GitLab see the successor used after it was made (not just at its creation)?"""
        return last_used_at is not None and last_used_at > self.started_at

    def due(self, now: datetime, *, delivered: bool = True) -> HandoffOutcome | None:
        """Why the old token should go now, if it should. Not at the deadline while the new
        secret still waits to be revealed (`delivered` False): nobody holds it yet."""
        if not self.active:
            return None
        if self.successor_used_at is not None:
            return HandoffOutcome.USED
        if now >= self.deadline and delivered:
            return HandoffOutcome.DEADLINE
        return None

    def used(self, at: datetime) -> Handoff:
        if self.successor_used_at is not None:
            return self
        return replace(self, successor_used_at=at)

    def completed(self, outcome: HandoffOutcome, now: datetime, by: str) -> Handoff:
        self._must_be_active()
        return replace(
            self, state=HandoffState.COMPLETED, outcome=outcome, finished_at=now, finished_by=by
        )

    def cancelled(
        self, now: datetime, by: str, outcome: HandoffOutcome = HandoffOutcome.CANCELLED
    ) -> Handoff:
        """Ended the other way: the old token stays (`outcome` says why)."""
        self._must_be_active()
        return replace(
            self,
            state=HandoffState.CANCELLED,
            outcome=outcome,
            finished_at=now,
            finished_by=by,
        )

    def _must_be_active(self) -> None:
        if not self.active:
            raise HandoffError(ended(self))


def ended(handoff: Handoff) -> str:
    """Why a hand-off step no longer applies, for the person who asked."""
    if handoff.state is HandoffState.CANCELLED:
        return "this hand-off was cancelled: the old token was kept and the new one revoked"
    return "this hand-off is over: the old token was revoked already"


def handoff_deadline(started_at: datetime, hours: int) -> datetime:
    return started_at + timedelta(hours=hours)
