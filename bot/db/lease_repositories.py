"""Job leases: one process at a time runs a scheduled job; the database decides who."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.db.tables import JobLeaseRow


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
