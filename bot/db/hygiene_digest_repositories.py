"""The hygiene digest log: which channel got which week's digest, so each is posted once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.db.tables import HygieneDigestRow

_DIGESTS: Any = HygieneDigestRow.__table__  # type: ignore[attr-defined]


class SqlHygieneDigestLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(self, week_start: date, channel: str, now: datetime) -> bool:
        """Claim this week's digest for `channel`: True for the one process that may post it."""
        dialect = self._session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(_DIGESTS)
            .values(week_start=week_start, channel=channel, state="claimed", claimed_at=now)
            .on_conflict_do_nothing(index_elements=["week_start", "channel"])
            .returning(_DIGESTS.c.id)
        )
        return self._session.execute(statement).first() is not None

    def posted(self, week_start: date, channel: str, ts: str) -> None:
        self._session.execute(
            sa.update(_DIGESTS)
            .where(_DIGESTS.c.week_start == week_start, _DIGESTS.c.channel == channel)
            .values(state="posted", ts=ts)
        )

    def release(self, week_start: date, channel: str) -> None:
        """Give a claim back after a post Slack refused, so the next run tries again."""
        self._session.execute(
            sa.delete(_DIGESTS).where(
                _DIGESTS.c.week_start == week_start,
                _DIGESTS.c.channel == channel,
                _DIGESTS.c.state == "claimed",
            )
        )

    def posted_ts(self, week_start: date, channel: str) -> str | None:
        """The message of this week's digest in `channel`, if it was posted."""
        return self._session.execute(
            sa.select(_DIGESTS.c.ts).where(
                _DIGESTS.c.week_start == week_start,
                _DIGESTS.c.channel == channel,
                _DIGESTS.c.state == "posted",
            )
        ).scalar_one_or_none()
