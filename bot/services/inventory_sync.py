"""Syncing the watched groups' credentials into the database, place by place.

Each group or project is written in its own transaction once GitLab has listed it completely,
and remembered as done in the current run. An outage in the middle stops the run: what was
written is fresh, nothing else is touched, and the next sync resumes the same run, skipping
the places already done. Only a complete run marks tokens of vanished places as gone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.domain.reminders import SyncReport
from bot.domain.routing import channel_for
from bot.services.gitlab_errors import GitLabError
from bot.services.gitlab_port import GitLabGateway, ProgressCallback
from bot.services.handoffs import HandoffDeps, advance_handoffs
from bot.services.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class SyncDeps:
    uow: UnitOfWorkFactory
    gitlab: GitLabGateway
    clock: Clock
    owners: Mapping[str, str] = field(default_factory=dict)  # namespace path -> chat user id
    handoffs: HandoffDeps | None = None  # advanced after each sync (token requests on)


class SyncError(RuntimeError):
    """The sync stopped; what it wrote stays, and the next sync resumes."""


def sync_inventory(
    groups: Sequence[str], *, deps: SyncDeps, progress: ProgressCallback | None = None
) -> SyncReport:
    """Sync, then move hand-offs on from what GitLab says now (also after a failed sync:
    a hand-off asks GitLab about its own two tokens, not the inventory)."""
    try:
        report = _sync(groups, deps=deps, progress=progress)
    finally:
        done = advance_handoffs(deps=deps.handoffs) if deps.handoffs is not None else None
    return replace(report, handoffs_done=len(done.completed)) if done is not None else report


def _sync(
    groups: Sequence[str], *, deps: SyncDeps, progress: ProgressCallback | None
) -> SyncReport:
    if not groups:
        raise SyncError("no watched groups: set TOKENBOT_WATCHED_GROUPS")
    key = ",".join(sorted(groups))
    with deps.uow() as uow:
        run_id, resumed = uow.inventory.open_run(key, deps.clock())
        done = uow.inventory.places_done(run_id)
        uow.commit()

    def owner_of(path: str) -> str | None:
        return channel_for(path, deps.owners, "") or None

    places = tokens = added = changed = gone = 0
    unreadable: list[str] = []
    try:
        for place in deps.gitlab.inventory_places(groups, skip=done, progress=progress):
            with deps.uow() as uow:
                change = uow.inventory.save_place(run_id, place, deps.clock(), owner_of)
                uow.commit()
            places += 1
            tokens += len(place.records)
            added, changed, gone = (
                added + change.added,
                changed + change.changed,
                gone + change.gone,
            )
            if not place.readable:
                unreadable.append(place.label)
    except GitLabError as exc:
        with deps.uow() as uow:
            uow.inventory.fail_run(run_id, str(exc), deps.clock())
            uow.commit()
        raise SyncError(
            f"the sync stopped after {places} places: {exc}. What was read is saved; the"
            " next sync continues from there."
        ) from exc
    with deps.uow() as uow:
        gone += uow.inventory.finish_run(run_id, groups, deps.clock())
        uow.commit()
    return SyncReport(
        run_id, resumed, places + len(done), tokens, added, changed, gone, tuple(unreadable)
    )
