"""Token hygiene storage (`HygieneStore`): the findings' facts in one query, and silences."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.db.hygiene_tables import GroupSizeRow, HygieneSilenceRow
from bot.db.tracked_token_rows import TOKEN_FIELDS, TOKENS, token_of
from bot.domain.hygiene import CredentialFacts, FindingKind, creator_known
from bot.domain.hygiene_silences import Silence
from bot.domain.reminders import TrackedStatus

_SIZES: Any = GroupSizeRow.__table__  # type: ignore[attr-defined]
_SILENCES: Any = HygieneSilenceRow.__table__  # type: ignore[attr-defined]
OWN_PREFIX = "own:"  # tokenbot's own token: `tokenbot check` watches it, not the findings


class SqlHygiene:
    def __init__(self, session: Session) -> None:
        self._session = session

    def facts(self, *, today: date, owner: str | None = None) -> list[CredentialFacts]:
        live = [
            TOKENS.c.status == TrackedStatus.ACTIVE.value,
            sa.or_(TOKENS.c.expires_on.is_(None), TOKENS.c.expires_on > today),
            sa.not_(TOKENS.c.key.startswith(OWN_PREFIX, autoescape=True)),
        ]
        if owner is not None:
            live.append(TOKENS.c.owner == owner)
        return [_facts(row) for row in self._session.execute(_select().where(*live))]

    def facts_of(self, key: str) -> CredentialFacts | None:
        row = self._session.execute(_select().where(TOKENS.c.key == key)).first()
        return None if row is None else _facts(row)

    def silences(self, keys: list[str] | None = None) -> list[Silence]:
        query = sa.select(_SILENCES)
        if keys is not None:
            query = query.where(_SILENCES.c.token_key.in_(keys))
        return [_silence(row) for row in self._session.execute(query)]

    def keep(self, silence: Silence) -> None:
        values = {
            "reason": silence.reason,
            "actor": silence.actor,
            "at": silence.at,
            "basis": silence.basis[:255],
        }
        where = (_SILENCES.c.token_key == silence.token_key) & (
            _SILENCES.c.kind == silence.kind.value
        )
        changed = self._session.execute(sa.update(_SILENCES).where(where).values(**values))
        if changed.rowcount:  # type: ignore[attr-defined]
            return
        try:
            with self._session.begin_nested():
                self._session.execute(
                    sa.insert(_SILENCES).values(
                        token_key=silence.token_key, kind=silence.kind.value, **values
                    )
                )
        except sa.exc.IntegrityError:  # kept at the same moment elsewhere: the newer wins
            self._session.execute(sa.update(_SILENCES).where(where).values(**values))


def _select() -> sa.Select[Any]:
    columns = [TOKENS.c[name] for name in TOKEN_FIELDS]
    joined = TOKENS.outerjoin(_SIZES, _SIZES.c.place_key == TOKENS.c.place_key)
    return sa.select(*columns, TOKENS.c.created_at, _SIZES.c.projects).select_from(joined)


def _facts(row: sa.Row[Any]) -> CredentialFacts:
    token = token_of(row)
    return CredentialFacts(token, row.created_at, row.projects, creator_known(token))


def _silence(row: sa.Row[Any]) -> Silence:
    return Silence(row.token_key, FindingKind(row.kind), row.reason, row.actor, row.at, row.basis)
