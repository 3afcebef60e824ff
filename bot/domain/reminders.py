"""Tracked tokens and when to remind about them: thresholds counted in UTC days.

A token stops working at 00:00 UTC on its expiry date. With thresholds (30, 14, 7, 3, 1) a
token is reminded of when it has 30 days or fewer left, again at 14, 7, 3 and 1, and once
more on its expiry day (level 0). A sweep that finds a token past several thresholds since
the last one posts once, for the nearest. A token found already expired gets the level-0
notice ("expired on ...") if it expired within the last `EXPIRED_NOTICE_DAYS` days; older
ones are history, not news.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain.credentials import Namespace
from bot.domain.expiry import days_left
from bot.domain.tokens import AccessLevel, TokenType

EXPIRED_NOTICE_DAYS = 7
EXPIRY_DAY = 0


class TrackedStatus(StrEnum):
    ACTIVE = "active"  # listed by GitLab and not revoked (it may have expired)
    REVOKED = "revoked"  # GitLab lists it as revoked
    GONE = "gone"  # GitLab no longer lists it: deleted, or its project or group is gone


class OwnerSource(StrEnum):
    REQUESTER = "requester"  # tokenbot created it for this person
    CONFIGURED = "configured"  # TOKENBOT_OWNERS names an owner for its namespace
    CLAIMED = "claimed"  # someone claimed it in chat
    ACCOUNT = "account"  # a user's own token: the person whose GitLab account it is (linked)


@dataclass(frozen=True, slots=True)
class TrackedToken:
    """A credential in a watched group, as the last sync saw it (never its secret)."""

    key: str  # "<token type>:<GitLab id>": ids are unique per kind of credential
    token_type: TokenType
    gitlab_id: int
    name: str
    namespace: Namespace
    scopes: tuple[str, ...] = ()
    access_level: AccessLevel | None = None
    expires_on: date | None = None
    last_used_at: datetime | None = None
    user_id: int | None = None
    status: TrackedStatus = TrackedStatus.ACTIVE
    owner: str | None = None  # chat user id
    owner_source: OwnerSource | None = None
    muted: bool = False  # "let it expire": no more reminders for this expiry date
    request_id: str | None = None  # the tokenbot request that created it
    account: str = ""  # the GitLab username behind it (a person's PAT), where known
    last_used_ips: tuple[str, ...] = ()

    @property
    def place_key(self) -> str:
        return f"{self.namespace.kind.value}:{self.namespace.id}"


def expiry_phrase(left: int, token: TrackedToken) -> str:
    """How a reminder says when: days are UTC days, and the token stops at 00:00 UTC."""
    on = token.expires_on.isoformat() if token.expires_on else "?"
    if left > 1:
        return f"expires in {left} days (on {on}, 00:00 UTC)"
    if left == 1:
        return f"expires tomorrow ({on}, 00:00 UTC)"
    if left == 0:
        return f"expired today ({on}, 00:00 UTC)"
    return f"expired on {on}, {-left} days ago"


def token_key(token_type: TokenType, gitlab_id: int) -> str:
    return f"{token_type.value}:{gitlab_id}"


def reminder_level(left: int, thresholds: Sequence[int]) -> int | None:
    """The nearest threshold a token with `left` days has crossed, or None if none is due."""
    if left <= EXPIRY_DAY:
        return EXPIRY_DAY if left >= -EXPIRED_NOTICE_DAYS else None
    crossed = [t for t in thresholds if left <= t]
    return min(crossed) if crossed else None


def reminder_window(thresholds: Sequence[int]) -> tuple[int, int]:
    """Days left (lowest, highest) for which a reminder can be due."""
    return -EXPIRED_NOTICE_DAYS, max(thresholds, default=EXPIRY_DAY)


def reminder_bands(today: date, thresholds: Sequence[int]) -> list[tuple[date, int]]:
    """(last expiry date, level), nearest first: a token expiring after the previous band's
    date, and on or before this one, is due at this level (the expired are in level 0's)."""
    levels = sorted({EXPIRY_DAY, *(t for t in thresholds if t > EXPIRY_DAY)})
    return [(today + timedelta(days=level), level) for level in levels]


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder due in this sweep."""

    token: TrackedToken
    level: int
    days_left: int
    channel: str

    @property
    def expires_on(self) -> date:
        assert self.token.expires_on is not None  # noqa: S101 - only dated tokens are due
        return self.token.expires_on


def due_reminder(
    token: TrackedToken, *, today: date, thresholds: Sequence[int], channel: str
) -> Reminder | None:
    """The reminder this token is due for today, if any (ignoring what was posted before)."""
    if token.status is not TrackedStatus.ACTIVE or token.muted:
        return None
    left = days_left(token.expires_on, today)
    if left is None:
        return None
    level = reminder_level(left, thresholds)
    return None if level is None else Reminder(token, level, left, channel)


@dataclass(frozen=True, slots=True)
class SyncReport:
    run_id: int
    resumed: bool
    places: int
    tokens: int
    added: int
    changed: int
    gone: int
    unreadable: tuple[str, ...] = field(default_factory=tuple)
    handoffs_done: int = 0  # hand-offs the run finished (their old tokens revoked)
