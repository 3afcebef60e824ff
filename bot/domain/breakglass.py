"""Break-glass: a short-lived token made at once, without approval, then reviewed.

Who may break glass is the policy (`BreakGlassPolicy.groups`: GitLab groups); what they may
get is still bounded by their own role and the request policy (bot/domain/access.py). The
token ends `hours` after it was made: tokenbot revokes it then, and GitLab's expiry date,
the first midnight UTC at or after that moment, is the backstop (GitLab ends a token at the
start of its expiry date). Its review must be acknowledged by an approver within
`review_hours`, or it escalates, once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

MAX_HOURS = 24  # a break-glass token lives at most one day
DEFAULT_HOURS = 24
DEFAULT_REVIEW_HOURS = 4
BREAK_GLASS = "break-glass"  # the risk flag every break-glass request carries


class ReviewError(ValueError):
    """An acknowledgement the review's state does not allow."""


@dataclass(frozen=True, slots=True)
class BreakGlassPolicy:
    """TOKENBOT_BREAKGLASS_*: who may, for how long, and how soon it must be reviewed."""

    groups: tuple[str, ...] = ()  # GitLab group paths whose members may; empty: nobody
    hours: int = DEFAULT_HOURS
    review_hours: int = DEFAULT_REVIEW_HOURS

    def __post_init__(self) -> None:
        if not 1 <= self.hours <= MAX_HOURS:
            raise ValueError(f"a break-glass token lives 1 to {MAX_HOURS} hours, not {self.hours}")
        if self.review_hours < 1:
            raise ValueError("a break-glass review needs at least 1 hour")

    @property
    def enabled(self) -> bool:
        return bool(self.groups)

    def lifetime(self, now: datetime) -> Lifetime:
        """When a token made `now` ends: tokenbot revokes it at `ends_at`; GitLab's expiry
        date is the first midnight UTC at or after it."""
        ends_at = now + timedelta(hours=self.hours)
        return Lifetime(ends_at, expiry_date_at_or_after(ends_at))


@dataclass(frozen=True, slots=True)
class Lifetime:
    ends_at: datetime
    expires_on: date


def expiry_date_at_or_after(moment: datetime) -> date:
    """The GitLab expiry date that ends a token at the first midnight UTC at or after
    `moment` (GitLab ends it at the start of that date)."""
    utc = moment.astimezone(UTC)
    day = utc.date()
    return day if utc.timetz().replace(tzinfo=None) == time(0) else day + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class BreakGlassReview:
    """The review of one break-glass request (its id is the request's)."""

    request_id: str
    requester: str
    target: str
    created_at: datetime
    review_due: datetime  # unacknowledged after this, it escalates
    ends_at: datetime  # tokenbot revokes the token then
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    escalated_at: datetime | None = None
    ended_at: datetime | None = None  # the end-of-lifetime revoke was claimed
    card_channel: str | None = None
    card_ts: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def overdue(self, now: datetime) -> bool:
        return not self.acknowledged and self.escalated_at is None and now >= self.review_due

    def lifetime_over(self, now: datetime) -> bool:
        return self.ended_at is None and now >= self.ends_at

    def acknowledge(self, who: str, now: datetime) -> BreakGlassReview:
        if who == self.requester:
            raise ReviewError("you cannot acknowledge your own break-glass")
        if self.acknowledged:
            raise ReviewError(f"already acknowledged by {self.acknowledged_by}")
        return replace(self, acknowledged_by=who, acknowledged_at=now)


def new_review(
    request_id: str, requester: str, target: str, now: datetime, policy: BreakGlassPolicy
) -> BreakGlassReview:
    return BreakGlassReview(
        request_id=request_id,
        requester=requester,
        target=target,
        created_at=now,
        review_due=now + timedelta(hours=policy.review_hours),
        ends_at=policy.lifetime(now).ends_at,
    )
