"""Telling approvers about a waiting request: where it came from, and when to chase them.

A request waiting for approval is announced once (the card, a direct message to each person
who may approve). `reminder_hours` after it was made, the approvers who have not acted are
reminded; as long again later, the fallback approvers are asked. Each happens once, claimed
in the database (`reminded_at`, `escalated_at`), whatever the number of processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_REMINDER_HOURS = 24
SUBTEAM_PREFIX = "subteam:"  # a Slack user group among those asked, as "subteam:S0123"


class Surface(StrEnum):
    """Where a request was asked for."""

    SLACK = "slack"
    SHELL = "shell"


class Nudge(StrEnum):
    REMINDER = "reminder"  # to the approvers who have not acted
    ESCALATION = "escalation"  # to the fallback approvers


@dataclass(frozen=True, slots=True)
class ApprovalNotice:
    request_id: str
    surface: Surface
    requester_chat: str | None  # the requester's Slack user, when they have one
    asked: tuple[str, ...] = ()  # whom the card mentions (`SUBTEAM_PREFIX` marks user groups)
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None


def nudges_due(
    notice: ApprovalNotice, created_at: datetime, now: datetime, after: timedelta
) -> list[Nudge]:
    """The nudges due now and not yet sent: the reminder after `after`, escalation after
    twice that."""
    due = []
    if notice.reminded_at is None and now >= created_at + after:
        due.append(Nudge.REMINDER)
    if notice.escalated_at is None and now >= created_at + 2 * after:
        due.append(Nudge.ESCALATION)
    return due
