"""The reminder sweep: which tokens are due today, claimed once in the database, then posted.

Claims come before posts: of two processes sweeping at once only one wins each reminder (a
unique key in the database), and a restart never posts one twice. A post that fails gives its
claim back, so the next sweep tries again; a claim whose process died before posting is given
back after `STALE_CLAIM`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from functools import partial
from typing import Protocol

from bot.domain.reminders import (
    Reminder,
    TrackedToken,
    due_reminder,
    reminder_bands,
    reminder_window,
)
from bot.services.ports import Clock, UnitOfWorkFactory

STALE_CLAIM = timedelta(minutes=10)


class PostError(RuntimeError):
    """The chat refused or failed a post (the adapter says why)."""


class ReminderPoster(Protocol):
    def post(self, reminder: Reminder) -> str:
        """Post one reminder; the id (Slack `ts`) of the message."""

    def post_digest(self, channel: str, reminders: Sequence[Reminder]) -> str:
        """Post one digest of many reminders, grouped by days left; its message id."""


@dataclass(frozen=True, slots=True)
class ReminderDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    poster: ReminderPoster
    channel_of: Callable[[TrackedToken], str | None]  # None: nowhere to post it
    thresholds: tuple[int, ...] = (30, 14, 7, 3, 1)
    digest_threshold: int = 5
    # tokenbot's own token as the sync lists it: reminded of once, as `own:<id>`, not twice
    is_own: Callable[[TrackedToken], bool] = field(default=lambda token: False)
    # Channels posted to at the same time: the poster paces each channel on its own (about
    # one message a second), so one busy channel does not hold up the others.
    channels_at_once: int = 8


@dataclass(frozen=True, slots=True)
class SweepReport:
    due: tuple[Reminder, ...]
    posted: int = 0
    digests: int = 0
    lost_to_another_process: int = 0
    failed: tuple[str, ...] = field(default_factory=tuple)


def plan_reminders(*, deps: ReminderDeps) -> list[Reminder]:
    """Reminders due today that nobody claimed or posted yet, nearest expiry first."""
    today = deps.clock().astimezone(UTC).date()
    low, _ = reminder_window(deps.thresholds)
    with deps.uow() as uow:
        # The database leaves out what was reminded of already: only what is due comes back.
        candidates = uow.reminders.not_reminded(
            today + timedelta(days=low), reminder_bands(today, deps.thresholds)
        )
        handing_off = uow.handoffs.handing_off()  # their successors are reminded of instead
    due = []
    for token in candidates:
        if token.key in handing_off:
            continue
        if deps.is_own(token) and not token.key.startswith("own:"):
            continue
        channel = deps.channel_of(token)
        if channel is None:
            continue
        reminder = due_reminder(token, today=today, thresholds=deps.thresholds, channel=channel)
        if reminder is not None:
            due.append(reminder)
    return sorted(due, key=lambda r: (r.days_left, r.token.namespace.path, r.token.name))


def sweep(*, deps: ReminderDeps, dry_run: bool = False) -> SweepReport:
    """Post what is due: one message per reminder, or one digest for a busy channel."""
    due = plan_reminders(deps=deps)
    if dry_run or not due:
        return SweepReport(tuple(due))
    now = deps.clock()
    with deps.uow() as uow:
        uow.reminders.release_stale(now - STALE_CLAIM)
        won = uow.reminders.claim(due, now)
        uow.commit()
    by_channel: dict[str, list[Reminder]] = {}
    for reminder in won:
        by_channel.setdefault(reminder.channel, []).append(reminder)
    groups = list(by_channel.items())
    workers = max(1, min(deps.channels_at_once, len(groups)))
    if workers == 1:
        outcomes = [_post_channel(deps, channel, reminders) for channel, reminders in groups]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reminder-post") as pool:
            outcomes = list(pool.map(lambda group: _post_channel(deps, *group), groups))
    return SweepReport(
        tuple(due),
        sum(o.posted for o in outcomes),
        sum(o.digests for o in outcomes),
        len(due) - len(won),
        tuple(f for o in outcomes for f in o.failed),
    )


@dataclass(frozen=True, slots=True)
class _ChannelOutcome:
    posted: int
    digests: int
    failed: tuple[str, ...]


def _post_channel(deps: ReminderDeps, channel: str, reminders: list[Reminder]) -> _ChannelOutcome:
    """One channel's reminders in order: one digest for a busy channel, else one by one."""
    failed: list[str] = []
    if len(reminders) > deps.digest_threshold:
        sent = _deliver(
            deps, reminders, partial(deps.poster.post_digest, channel, reminders), failed
        )
        return _ChannelOutcome(len(reminders) if sent else 0, 1 if sent else 0, tuple(failed))
    posted = sum(
        1
        for reminder in reminders
        if _deliver(deps, [reminder], partial(deps.poster.post, reminder), failed)
    )
    return _ChannelOutcome(posted, 0, tuple(failed))


def _deliver(
    deps: ReminderDeps,
    reminders: list[Reminder],
    send: Callable[[], str],
    failed: list[str],
) -> bool:
    try:
        ts = send()
    except PostError as exc:
        with deps.uow() as uow:
            uow.reminders.release(reminders)
            uow.commit()
        failed.append(f"{reminders[0].channel}: {exc}")
        return False
    with deps.uow() as uow:
        uow.reminders.posted_all(reminders, reminders[0].channel, ts)
        uow.commit()
    return True
