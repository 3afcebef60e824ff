"""Account links and sign-in states (`AccountLinks`) over their two tables."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db.tables import AccountLinkRow, LinkStateRow
from bot.domain.links import AccountLink, LinkState


class SqlAccountLinks:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, chat_id: str) -> AccountLink | None:
        row = self._session.get(AccountLinkRow, chat_id, populate_existing=True)
        return None if row is None else _link(row)

    def put(self, link: AccountLink) -> None:
        row = self._session.get(AccountLinkRow, link.chat_id)
        if row is None:
            self._session.add(
                AccountLinkRow(
                    chat_id=link.chat_id,
                    team_id=link.team_id,
                    gitlab_user_id=link.gitlab_user_id,
                    gitlab_username=link.gitlab_username,
                    linked_at=link.linked_at,
                )
            )
        else:
            row.team_id = link.team_id
            row.gitlab_user_id = link.gitlab_user_id
            row.gitlab_username = link.gitlab_username
            row.linked_at = link.linked_at
        self._session.flush()

    def delete(self, chat_id: str) -> bool:
        table = AccountLinkRow.__table__  # type: ignore[attr-defined]
        result = self._session.execute(sa.delete(table).where(table.c.chat_id == chat_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def all(self) -> list[AccountLink]:
        rows = self._session.exec(select(AccountLinkRow).order_by(col(AccountLinkRow.linked_at)))
        return [_link(row) for row in rows]

    def add_state(self, state: LinkState, *, keep: int) -> None:
        """Store a new sign-in state; of this person's, only the newest `keep` stay."""
        self._session.add(
            LinkStateRow(
                digest=state.digest,
                chat_id=state.chat_id,
                team_id=state.team_id,
                created_at=state.created_at,
                expires_at=state.expires_at,
                chat_name=state.chat_name,
                gitlab_user_id=state.gitlab_user_id,
                gitlab_username=state.gitlab_username,
            )
        )
        self._session.flush()
        older = self._session.exec(
            select(LinkStateRow.digest)
            .where(LinkStateRow.chat_id == state.chat_id)
            .order_by(col(LinkStateRow.created_at).desc(), col(LinkStateRow.digest))
            .offset(keep)
        ).all()
        if older:
            table = LinkStateRow.__table__  # type: ignore[attr-defined]
            self._session.execute(sa.delete(table).where(table.c.digest.in_(list(older))))

    def newest_state_at(self, chat_id: str) -> datetime | None:
        return self._session.exec(
            select(LinkStateRow.created_at)
            .where(LinkStateRow.chat_id == chat_id)
            .order_by(col(LinkStateRow.created_at).desc())
            .limit(1)
        ).first()

    def take_state(self, digest: str) -> LinkState | None:
        """The state, deleted as it is read: of two callbacks with one state, one gets it."""
        table = LinkStateRow.__table__  # type: ignore[attr-defined]
        row = self._session.execute(
            sa.delete(table)
            .where(table.c.digest == digest)
            .returning(
                table.c.digest,
                table.c.chat_id,
                table.c.team_id,
                table.c.created_at,
                table.c.expires_at,
                table.c.chat_name,
                table.c.gitlab_user_id,
                table.c.gitlab_username,
            )
        ).first()
        if row is None:
            return None
        return LinkState(
            row.digest,
            row.chat_id,
            row.team_id,
            row.created_at,
            row.expires_at,
            row.chat_name,
            row.gitlab_user_id,
            row.gitlab_username,
        )

    def discard_expired_states(self, now: datetime) -> int:
        table = LinkStateRow.__table__  # type: ignore[attr-defined]
        result = self._session.execute(sa.delete(table).where(table.c.expires_at <= now))
        return int(result.rowcount)  # type: ignore[attr-defined]


def _link(row: AccountLinkRow) -> AccountLink:
    return AccountLink(
        row.chat_id, row.team_id, row.gitlab_user_id, row.gitlab_username, row.linked_at
    )
