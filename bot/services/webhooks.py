"""What a GitLab webhook sets off: re-read the watched groups it names, then the sweep.

The credentials are read again from GitLab's API (the delivery only says where to look), by
the same incremental sync the schedule runs and under its lease, so a webhook never writes
the inventory beside a scheduled sync. The reminders then go out through the ordinary sweep,
whose claims in `reminder_posts` keep every reminder exactly-once: a duplicate delivery, or a
webhook racing the daily sweep, posts nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.services.inventory_sync import SyncDeps, SyncError, sync_inventory
from bot.services.leases import run_exclusively
from bot.services.reminders import ReminderDeps, sweep

log = logging.getLogger(__name__)
SYNC_LEASE = "inventory-sync"  # the scheduled sync's lease (bot/scheduler.py)
LONGEST_SYNC = timedelta(hours=2)


class RefreshOutcome(StrEnum):
    DONE = "done"
    BUSY = "busy"  # another sync holds the lease: try again soon
    FAILED = "failed"  # GitLab stopped the sync; what was read is kept


@dataclass(frozen=True, slots=True)
class RefreshReport:
    outcome: RefreshOutcome
    groups: tuple[str, ...]
    posted: int = 0


@dataclass(frozen=True, slots=True)
class WebhookDeps:
    sync: SyncDeps
    reminders: ReminderDeps | None  # None: reminders are off, only the inventory follows


def refresh_and_remind(groups: Sequence[str], *, deps: WebhookDeps) -> RefreshReport:
    """Sync `groups` now (one process at a time), then post whatever became due."""
    named = tuple(groups)
    try:
        synced = run_exclusively(
            SYNC_LEASE,
            lambda: sync_inventory(named, deps=deps.sync),
            uow=deps.sync.uow,
            clock=deps.sync.clock,
            longest=LONGEST_SYNC,
        )
    except SyncError as exc:
        log.warning("webhook refresh of %s stopped: %s", ", ".join(named), exc)
        return RefreshReport(RefreshOutcome.FAILED, named)
    if synced is None:
        return RefreshReport(RefreshOutcome.BUSY, named)
    if deps.reminders is None:
        return RefreshReport(RefreshOutcome.DONE, named)
    # No lease for the sweep: its claims already make two sweeps at once safe.
    report = sweep(deps=deps.reminders)
    return RefreshReport(RefreshOutcome.DONE, named, report.posted)
