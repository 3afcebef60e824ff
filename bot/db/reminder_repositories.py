"""The reminder log: which reminders were claimed and posted, so each is posted once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.db.tables import ReminderPostRow
from bot.db.tracked_token_rows import TOKEN_FIELDS, TOKENS, token_of
from bot.domain.reminders import Reminder, TrackedStatus, TrackedToken

T = TypeVar("T")
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
        tokens, posts = TOKENS, _POSTS
        level = sa.case(*((tokens.c.expires_on <= last, lv) for last, lv in bands))
        reminded = sa.exists().where(
            posts.c.token_key == tokens.c.key,
            posts.c.expires_on == tokens.c.expires_on,
            posts.c.level <= level,
        )
        rows = self._session.execute(
            sa.select(*(tokens.c[name] for name in TOKEN_FIELDS)).where(
                tokens.c.status == TrackedStatus.ACTIVE.value,
                tokens.c.expires_on >= low,
                tokens.c.expires_on <= bands[-1][0],
                tokens.c.muted.is_(False),
                ~reminded,
            )
        ).all()
        return [token_of(row) for row in rows]

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


def _same(reminder: Reminder) -> dict[str, Any]:
    """Parameters of `_MARK_POSTED` and `_GIVE_BACK` that pick this reminder's claim."""
    return {
        "p_key": reminder.token.key,
        "p_expires": reminder.expires_on,
        "p_level": reminder.level,
    }


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
