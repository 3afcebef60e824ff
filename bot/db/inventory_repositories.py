"""The inventory repository: sync runs, the places they read, and the tracked tokens."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db.group_sizes import save_group_size
from bot.db.inventory_owners import account_holders, creators, lives_elsewhere
from bot.db.tables import SyncPlaceRow, SyncRunRow, TrackedTokenRow
from bot.db.tracked_token_rows import TOKEN_FIELDS, TOKENS, set_owner, synced_values, token_of
from bot.domain.credentials import PlaceTokens
from bot.domain.reminders import TrackedStatus, TrackedToken, token_key
from bot.services.ports import PlaceChange

OwnerLookup = Callable[[str], str | None]  # namespace path -> configured owner


class SqlInventory:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._skipped: set[str] = set()  # tokens a lower place keeps (see lives_elsewhere)

    # --- sync runs
    def open_run(self, groups: str, now: datetime) -> tuple[int, bool]:
        """The unfinished run for these groups to resume, else a new one."""
        unfinished = self._session.exec(
            select(SyncRunRow)
            .where(SyncRunRow.groups == groups, col(SyncRunRow.state).in_(["running", "failed"]))
            .order_by(col(SyncRunRow.id).desc())
        ).first()
        if unfinished is not None and unfinished.id is not None:
            unfinished.state = "running"
            unfinished.error = None
            self._session.add(unfinished)
            self._session.flush()
            return unfinished.id, True
        run = SyncRunRow(groups=groups, state="running", started_at=now)
        self._session.add(run)
        self._session.flush()
        assert run.id is not None  # noqa: S101 - set by the flush
        return run.id, False

    def places_done(self, run_id: int) -> set[str]:
        rows = self._session.exec(
            select(SyncPlaceRow.place_key).where(SyncPlaceRow.run_id == run_id)
        )
        return set(rows)

    def save_place(
        self, run_id: int, place: PlaceTokens, now: datetime, owner_of: OwnerLookup
    ) -> PlaceChange:
        """Write what changed in one place; tokens it no longer lists are gone."""
        self._session.add(SyncPlaceRow(run_id=run_id, place_key=place.key, readable=place.readable))
        save_group_size(self._session, place, now)
        if not place.readable:
            self._session.flush()
            return PlaceChange()
        existing = {
            row.key: row
            for row in self._session.exec(
                select(TrackedTokenRow).where(TrackedTokenRow.place_key == place.key)
            )
        }
        made_by = creators(self._session, place.records)
        holders = account_holders(self._session, place.records)
        configured = owner_of(place.namespace.path)
        added = changed = gone = 0
        listed = set()
        for record in place.records:
            key = token_key(record.token_type, record.gitlab_id)
            listed.add(key)
            values = synced_values(record, place.namespace)
            row = existing.get(key) or self._from_elsewhere(key, place)
            if row is None and key in self._skipped:
                continue
            holder = holders.get(record.user_id) if record.user_id is not None else None
            if row is None:
                row = TrackedTokenRow(
                    key=key,
                    token_type=record.token_type.value,
                    gitlab_id=record.gitlab_id,
                    place_key=place.key,
                    namespace_kind=place.namespace.kind.value,
                    namespace_id=place.namespace.id,
                    first_seen_at=now,
                    updated_at=now,
                    **values,
                )
                added += 1
                set_owner(row, made_by.get(key), configured, holder)
            else:
                differs = {n: v for n, v in values.items() if getattr(row, n) != v}
                for name, value in differs.items():
                    setattr(row, name, value)
                if set_owner(row, made_by.get(key), configured, holder) or differs:
                    row.updated_at = now
                    changed += 1
            self._session.add(row)
        for key, row in existing.items():
            if key not in listed and row.status != TrackedStatus.GONE.value:
                row.status = TrackedStatus.GONE.value
                row.updated_at = now
                self._session.add(row)
                gone += 1
        self._session.flush()
        return PlaceChange(added, changed, gone)

    def finish_run(self, run_id: int, groups: Sequence[str], now: datetime) -> int:
        """Close the run; tokens of places that no longer exist under the groups are gone."""
        table = TrackedTokenRow.__table__  # type: ignore[attr-defined]
        places = SyncPlaceRow.__table__  # type: ignore[attr-defined]
        seen = sa.select(places.c.place_key).where(places.c.run_id == run_id)
        under = sa.or_(
            *(
                sa.or_(
                    table.c.namespace_path == g,
                    table.c.namespace_path.like(f"{_like(g)}/%", escape="\\"),
                )
                for g in groups
            )
        )
        result = self._session.execute(
            sa.update(table)
            .where(
                table.c.status != TrackedStatus.GONE.value, table.c.place_key.not_in(seen), under
            )
            .values(status=TrackedStatus.GONE.value, updated_at=now)
        )
        run = self._session.get(SyncRunRow, run_id)
        if run is not None:
            run.state, run.finished_at = "done", now
            self._session.add(run)
        # Older runs' place lists are no longer needed to resume anything.
        self._session.execute(
            sa.delete(SyncPlaceRow.__table__).where(  # type: ignore[attr-defined]
                SyncPlaceRow.__table__.c.run_id != run_id  # type: ignore[attr-defined]
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def fail_run(self, run_id: int, error: str, now: datetime) -> None:
        run = self._session.get(SyncRunRow, run_id)
        if run is not None:
            run.state, run.error, run.finished_at = "failed", error[:2000], now
            self._session.add(run)

    def last_run(self) -> tuple[str, datetime | None, str | None] | None:
        """State, finish time and error of the latest sync run."""
        run = self._session.exec(select(SyncRunRow).order_by(col(SyncRunRow.id).desc())).first()
        return None if run is None else (run.state, run.finished_at, run.error)

    # --- tracked tokens
    def get(self, key: str) -> TrackedToken | None:
        row = self._session.get(TrackedTokenRow, key, populate_existing=True)
        return None if row is None else token_of(row)

    def tokens(self) -> list[TrackedToken]:
        rows = self._session.exec(select(TrackedTokenRow).order_by(col(TrackedTokenRow.expires_on)))
        return [token_of(row) for row in rows]

    def due_between(self, low: date, high: date) -> list[TrackedToken]:
        """Active, not muted tokens expiring from `low` to `high` (uses the due index).

        Plain rows, not ORM objects: a sweep reads every token in the reminder window, and
        building (and later discarding) an identity-mapped object for each costs more than
        the query itself.
        """
        table = TOKENS
        rows = self._session.execute(
            sa.select(*(table.c[name] for name in TOKEN_FIELDS)).where(
                table.c.status == TrackedStatus.ACTIVE.value,
                table.c.expires_on >= low,
                table.c.expires_on <= high,
                table.c.muted.is_(False),
            )
        ).all()
        return [token_of(row) for row in rows]

    def update(self, token: TrackedToken, now: datetime) -> None:
        """Write what people change: owner, muted, status."""
        row = self._session.get(TrackedTokenRow, token.key)
        if row is None:
            raise LookupError(token.key)
        row.owner = token.owner
        row.owner_source = token.owner_source.value if token.owner_source else None
        row.muted = token.muted
        row.status = token.status.value
        row.updated_at = now
        self._session.add(row)
        self._session.flush()

    def track(self, token: TrackedToken, place_key: str, now: datetime) -> None:
        """Insert or refresh one token outside the synced places (the bot's own token)."""
        row = self._session.get(TrackedTokenRow, token.key)
        values: dict[str, Any] = {
            "name": token.name,
            "namespace_path": token.namespace.path,
            "namespace_url": token.namespace.web_url,
            "scopes": list(token.scopes),
            "access_level": int(token.access_level) if token.access_level else None,
            "expires_on": token.expires_on,
            "last_used_at": token.last_used_at,
            "user_id": token.user_id,
            "status": token.status.value,
        }
        if token.owner is not None:  # a successor tokenbot made by rotating keeps its owner
            values["owner"] = token.owner
            values["owner_source"] = token.owner_source.value if token.owner_source else None
            values["request_id"] = token.request_id
        if row is None:
            row = TrackedTokenRow(
                key=token.key,
                token_type=token.token_type.value,
                gitlab_id=token.gitlab_id,
                place_key=place_key,
                namespace_kind=token.namespace.kind.value,
                namespace_id=token.namespace.id,
                first_seen_at=now,
                updated_at=now,
                **values,
            )
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.gitlab_id = token.gitlab_id
            row.updated_at = now
        self._session.add(row)
        self._session.flush()

    def _from_elsewhere(self, key: str, place: PlaceTokens) -> TrackedTokenRow | None:
        """A row another place holds: moved here, or None (and noted) if it stays there."""
        row = self._session.get(TrackedTokenRow, key)
        if row is None:
            return None
        if lives_elsewhere(row, place.key):
            self._skipped.add(key)
            return None
        row.place_key = place.key
        row.namespace_kind, row.namespace_id = place.namespace.kind.value, place.namespace.id
        return row


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
