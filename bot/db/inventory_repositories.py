"""Repositories for the inventory, the reminders posted and the job leases."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db.tables import (
    JobLeaseRow,
    ReminderPostRow,
    SyncPlaceRow,
    SyncRunRow,
    TokenRequestRow,
    TrackedTokenRow,
)
from bot.domain.credentials import Namespace, NamespaceKind, PlaceTokens, TokenRecord
from bot.domain.reminders import (
    OwnerSource,
    Reminder,
    TrackedStatus,
    TrackedToken,
    token_key,
)
from bot.domain.requests import RequestState
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.ports import PlaceChange

T = TypeVar("T")
OwnerLookup = Callable[[str], str | None]  # namespace path -> configured owner
_LIVE_REQUESTS = [RequestState.PROVISIONED.value, RequestState.ROTATING.value]
# What a sync may change; owner fields follow their own rules, muted is never touched.
_SYNCED = (
    "name",
    "namespace_path",
    "namespace_url",
    "scopes",
    "access_level",
    "expires_on",
    "last_used_at",
    "user_id",
    "status",
)


_TOKENS: Any = TrackedTokenRow.__table__  # type: ignore[attr-defined]
# The columns a TrackedToken is made of.
_TOKEN_FIELDS = (
    "key",
    "token_type",
    "gitlab_id",
    "name",
    "namespace_kind",
    "namespace_id",
    "namespace_path",
    "namespace_url",
    "scopes",
    "access_level",
    "expires_on",
    "last_used_at",
    "user_id",
    "status",
    "owner",
    "owner_source",
    "muted",
    "request_id",
)
_POSTS: Any = ReminderPostRow.__table__  # type: ignore[attr-defined]
_KEY_ARRAY = postgresql.ARRAY(sa.String)
# Built once: a sweep marks every reminder it posts, so these run once per reminder.
_ONE_CLAIM = (
    _POSTS.c.token_key == sa.bindparam("p_key"),
    _POSTS.c.expires_on == sa.bindparam("p_expires"),
    _POSTS.c.level == sa.bindparam("p_level"),
)
_MARK_POSTED = (
    sa.update(_POSTS)
    .where(*_ONE_CLAIM)
    .values(state="posted", channel=sa.bindparam("p_channel"), ts=sa.bindparam("p_ts"))
)
_GIVE_BACK = sa.delete(_POSTS).where(*_ONE_CLAIM, _POSTS.c.state == "claimed")


class SqlInventory:
    def __init__(self, session: Session) -> None:
        self._session = session

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
        if not place.readable:
            self._session.flush()
            return PlaceChange()
        existing = {
            row.key: row
            for row in self._session.exec(
                select(TrackedTokenRow).where(TrackedTokenRow.place_key == place.key)
            )
        }
        creators = self._creators(place.records)
        added = changed = gone = 0
        listed = set()
        for record in place.records:
            key = token_key(record.token_type, record.gitlab_id)
            listed.add(key)
            values = _values(record, place.namespace)
            row = existing.get(key)
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
                _set_owner(row, creators.get(key), owner_of(place.namespace.path))
            else:
                differs = {n: v for n, v in values.items() if getattr(row, n) != v}
                for name, value in differs.items():
                    setattr(row, name, value)
                if _set_owner(row, creators.get(key), owner_of(place.namespace.path)) or differs:
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
        return None if row is None else _token(row)

    def tokens(self) -> list[TrackedToken]:
        rows = self._session.exec(select(TrackedTokenRow).order_by(col(TrackedTokenRow.expires_on)))
        return [_token(row) for row in rows]

    def due_between(self, low: date, high: date) -> list[TrackedToken]:
        """Active, not muted tokens expiring from `low` to `high` (uses the due index).

        Plain rows, not ORM objects: a sweep reads every token in the reminder window, and
        building (and later discarding) an identity-mapped object for each costs more than
        the query itself.
        """
        table = _TOKENS
        rows = self._session.execute(
            sa.select(*(table.c[name] for name in _TOKEN_FIELDS)).where(
                table.c.status == TrackedStatus.ACTIVE.value,
                table.c.expires_on >= low,
                table.c.expires_on <= high,
                table.c.muted.is_(False),
            )
        ).all()
        return [_token(row) for row in rows]

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

    def _creators(self, records: Iterable[TokenRecord]) -> dict[str, tuple[str, str]]:
        """Tokens tokenbot created: key -> (requester, request id)."""
        ids = [r.gitlab_id for r in records]
        if not ids:
            return {}
        rows = self._session.exec(
            select(TokenRequestRow).where(
                col(TokenRequestRow.gitlab_token_id).in_(ids),
                col(TokenRequestRow.state).in_(_LIVE_REQUESTS),
            )
        )
        return {
            token_key(TokenType(row.token_type), row.gitlab_token_id): (row.requester, row.id)
            for row in rows
            if row.gitlab_token_id is not None
        }


class SqlReminderLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def levels_posted(self, keys: Sequence[str]) -> dict[tuple[str, date], set[int]]:
        """Levels already claimed or posted, per token and expiry date."""
        table = _POSTS
        found: dict[tuple[str, date], set[int]] = {}
        # Only the columns of the unique key: its index answers without reading the rows.
        query = sa.select(table.c.token_key, table.c.expires_on, table.c.level)
        for chunk in self._key_batches(keys):
            for key, expires_on, level in self._session.execute(query.where(chunk)).all():
                found.setdefault((key, expires_on), set()).add(level)
        return found

    def _key_batches(self, keys: Sequence[str]) -> Iterable[Any]:
        """`token_key` conditions for `keys`, 500 at a time (each one index lookup).

        On PostgreSQL each batch is one array parameter: an IN list of 500 placeholders
        costs the driver more to send than the query costs to run.
        """
        column = _POSTS.c.token_key
        postgres = self._session.get_bind().dialect.name == "postgresql"
        for chunk in _chunks(keys, 500):
            if postgres:
                yield column == sa.any_(sa.bindparam("keys", list(chunk), _KEY_ARRAY))
            else:
                yield column.in_(chunk)

    def claim(self, reminders: Sequence[Reminder], now: datetime) -> list[Reminder]:
        """Claim each reminder; those another process claimed first are left out."""
        table = _POSTS
        dialect = self._session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # One statement for every batch (compiled once); the rows go as its parameters.
        statement = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["token_key", "expires_on", "level"])
            .returning(table.c.token_key, table.c.expires_on, table.c.level)
        )
        won: list[Reminder] = []
        for chunk in _chunks(reminders, 500):
            by_key = {(r.token.key, r.expires_on, r.level): r for r in chunk}
            rows = [
                {
                    "token_key": k,
                    "expires_on": e,
                    "level": lv,
                    "state": "claimed",
                    "claimed_at": now,
                }
                for (k, e, lv) in by_key
            ]
            result = self._session.execute(statement, rows)
            won += [by_key[(k, e, lv)] for k, e, lv in result.all()]
        return won

    def posted(self, reminder: Reminder, channel: str, ts: str) -> None:
        self._session.execute(_MARK_POSTED, {**_same(reminder), "p_channel": channel, "p_ts": ts})

    def posted_all(self, reminders: Sequence[Reminder], channel: str, ts: str) -> None:
        if reminders:
            self._session.execute(
                _MARK_POSTED, [{**_same(r), "p_channel": channel, "p_ts": ts} for r in reminders]
            )

    def not_reminded(self, low: date, bands: Sequence[tuple[date, int]]) -> list[TrackedToken]:
        """Active, not muted tokens in the window whose current level nobody claimed yet.

        The database decides (an anti-join on reminder_posts), so only the tokens due come
        back to Python, however many the reminder window holds.
        """
        if not bands:
            return []
        tokens, posts = _TOKENS, _POSTS
        level = sa.case(*((tokens.c.expires_on <= last, lv) for last, lv in bands))
        reminded = sa.exists().where(
            posts.c.token_key == tokens.c.key,
            posts.c.expires_on == tokens.c.expires_on,
            posts.c.level <= level,
        )
        rows = self._session.execute(
            sa.select(*(tokens.c[name] for name in _TOKEN_FIELDS)).where(
                tokens.c.status == TrackedStatus.ACTIVE.value,
                tokens.c.expires_on >= low,
                tokens.c.expires_on <= bands[-1][0],
                tokens.c.muted.is_(False),
                ~reminded,
            )
        ).all()
        return [_token(row) for row in rows]

    def release(self, reminders: Sequence[Reminder]) -> None:
        """Give claims back after a failed post, so the next sweep tries again."""
        if reminders:
            self._session.execute(_GIVE_BACK, [_same(reminder) for reminder in reminders])

    def release_stale(self, claimed_before: datetime) -> int:
        """Claims whose process died before posting; they are due again."""
        table = ReminderPostRow.__table__  # type: ignore[attr-defined]
        result = self._session.execute(
            sa.delete(table).where(table.c.state == "claimed", table.c.claimed_at < claimed_before)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


class SqlJobLeases:
    def __init__(self, session: Session) -> None:
        self._session = session

    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the lease if it is free, expired or already ours; the database decides."""
        table = JobLeaseRow.__table__  # type: ignore[attr-defined]
        result = self._session.execute(
            sa.update(table)
            .where(
                table.c.name == name, sa.or_(table.c.expires_at <= now, table.c.holder == holder)
            )
            .values(holder=holder, expires_at=until)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return True
        try:
            with self._session.begin_nested():
                self._session.add(JobLeaseRow(name=name, holder=holder, expires_at=until))
        except IntegrityError:
            return False
        return True

    def release(self, name: str, holder: str) -> None:
        table = JobLeaseRow.__table__  # type: ignore[attr-defined]
        self._session.execute(
            sa.delete(table).where(table.c.name == name, table.c.holder == holder)
        )


def _values(record: TokenRecord, where: Namespace) -> dict[str, Any]:
    status = TrackedStatus.REVOKED if record.revoked else TrackedStatus.ACTIVE
    return {
        "name": record.name,
        "namespace_path": where.path,
        "namespace_url": where.web_url,
        "scopes": list(record.scopes),
        "access_level": int(record.access_level) if record.access_level else None,
        "expires_on": record.expires_on,
        "last_used_at": record.last_used_at,
        "user_id": record.user_id,
        "status": status.value,
    }


def _set_owner(
    row: TrackedTokenRow, creator: tuple[str, str] | None, configured: str | None
) -> bool:
    """Who owns it: its requester, else a claim, else the namespace's configured owner."""
    if creator is not None:
        owner, source, request_id = creator[0], OwnerSource.REQUESTER.value, creator[1]
    elif row.owner_source == OwnerSource.CLAIMED.value:
        return False
    elif configured is not None:
        owner, source, request_id = configured, OwnerSource.CONFIGURED.value, None
    else:
        owner, source, request_id = None, None, None
    if (row.owner, row.owner_source, row.request_id) == (owner, source, request_id):
        return False
    row.owner, row.owner_source, row.request_id = owner, source, request_id
    return True


def _token(row: TrackedTokenRow | sa.Row[Any]) -> TrackedToken:
    """The domain token of an ORM row, or of a plain row of the `_TOKEN_FIELDS` columns."""
    return TrackedToken(
        key=row.key,
        token_type=TokenType(row.token_type),
        gitlab_id=row.gitlab_id,
        name=row.name,
        namespace=Namespace(
            NamespaceKind(row.namespace_kind),
            row.namespace_id,
            row.namespace_path,
            row.namespace_url,
        ),
        scopes=tuple(row.scopes),
        access_level=AccessLevel(row.access_level) if row.access_level else None,
        expires_on=row.expires_on,
        last_used_at=row.last_used_at,
        user_id=row.user_id,
        status=TrackedStatus(row.status),
        owner=row.owner,
        owner_source=OwnerSource(row.owner_source) if row.owner_source else None,
        muted=row.muted,
        request_id=row.request_id,
    )


def _same(reminder: Reminder) -> dict[str, Any]:
    """Parameters of `_MARK_POSTED` and `_GIVE_BACK` that pick this reminder's claim."""
    return {
        "p_key": reminder.token.key,
        "p_expires": reminder.expires_on,
        "p_level": reminder.level,
    }


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
