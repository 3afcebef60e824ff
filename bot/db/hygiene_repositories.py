"""Token hygiene storage (`HygieneStore`): the findings' facts in one query, and silences."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.db.hygiene_tables import GroupSizeRow, HygieneSilenceRow
from bot.db.tracked_token_rows import TOKEN_FIELDS, TOKENS, token_of
from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.hygiene import NAMED_CREATOR, CredentialFacts, FindingKind, creator_known
from bot.domain.hygiene_silences import Silence
from bot.domain.reminders import TrackedStatus, TrackedToken
from bot.domain.tokens import AccessLevel, TokenType

_SIZES: Any = GroupSizeRow.__table__  # type: ignore[attr-defined]
_SILENCES: Any = HygieneSilenceRow.__table__  # type: ignore[attr-defined]
_JOINED = TOKENS.outerjoin(_SIZES, _SIZES.c.place_key == TOKENS.c.place_key)
# What the findings, the stacks and the order read, in the order `_Reader.facts` unpacks
# them; then created_at and the group's projects. The rest of a token (its web address, last
# addresses, account, owner source) is read by `tokens` for the few the report shows.
_LIGHT = (
    "key",
    "token_type",
    "gitlab_id",
    "name",
    "namespace_kind",
    "namespace_id",
    "namespace_path",
    "scopes",
    "access_level",
    "expires_on",
    "last_used_at",
    "user_id",
    "owner",
    "request_id",
)
_RAW = frozenset({"scopes", "expires_on", "last_used_at"})  # read as text, parsed by `_Reader`
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
        result = self._session.execute(_select().where(*live))
        assert isinstance(result, sa.CursorResult)  # noqa: S101 - a SELECT's result
        # `_select` leaves no column to a result processor that matters (`_Reader` parses
        # them all), so the driver's own rows serve: no Row object per credential.
        reader = _Reader()
        return [reader.facts(row) for row in result.cursor.fetchall()]

    def facts_of(self, key: str) -> CredentialFacts | None:
        columns = [TOKENS.c[name] for name in TOKEN_FIELDS]
        query = (
            sa.select(*columns, TOKENS.c.created_at, _SIZES.c.projects)
            .select_from(_JOINED)
            .where(TOKENS.c.key == key)
        )
        row = self._session.execute(query).first()
        if row is None:
            return None
        token = token_of(row)
        return CredentialFacts(token, row.created_at, row.projects, creator_known(token))

    def tokens(self, keys: list[str]) -> dict[str, TrackedToken]:
        columns = [TOKENS.c[name] for name in TOKEN_FIELDS]
        rows = self._session.execute(sa.select(*columns).where(TOKENS.c.key.in_(keys)))
        return {row.key: token_of(row) for row in rows}

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
    """The findings' columns, the JSON and time columns raw: `_Reader` parses them, since
    SQLAlchemy's per-value processing costs more than the query itself at 100,000 rows."""
    # As text on both databases: PostgreSQL's driver would decode each row's JSON list and
    # build zoned datetimes; an inventory has few distinct scope lists, each parsed once.
    columns = [
        sa.cast(TOKENS.c[name], sa.Text).label(name) if name in _RAW else TOKENS.c[name]
        for name in _LIGHT
    ]
    created = sa.cast(TOKENS.c.created_at, sa.Text).label("created_at")
    return sa.select(*columns, created, _SIZES.c.projects).select_from(_JOINED)


class _Reader:
    """Rows of `_select()` to facts, remembering what repeats (scopes, places)."""

    def __init__(self) -> None:
        self._scopes: dict[str, tuple[str, ...]] = {}
        self._places: dict[tuple[str, int, str], Namespace] = {}

    def facts(self, row: Any) -> CredentialFacts:  # a driver's row of `_select()`
        (
            key,
            kind_id,
            gitlab_id,
            name,
            place_kind,
            place_id,
            path,
            scopes,
            level,
            expires_on,
            used,
            user_id,
            owner,
            request_id,
            created,
            projects,
        ) = row
        where = (place_kind, place_id, path)
        place = self._places.get(where)
        if place is None:
            place = self._places[where] = Namespace(NamespaceKind(place_kind), place_id, path)
        token_type = _TYPES[kind_id]
        token = TrackedToken(
            key,
            token_type,
            gitlab_id,
            name,
            place,
            self._scopes_of(scopes),
            _LEVELS[level] if level else None,
            None if expires_on is None else _day(expires_on),
            None if used is None else _moment(used),
            user_id,
            owner=owner,
            request_id=request_id,
        )
        known = request_id is not None or (token_type in NAMED_CREATOR and user_id is not None)
        return CredentialFacts(
            token, None if created is None else _moment(created), projects, known
        )

    def _scopes_of(self, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, str):  # a driver that decodes JSON itself
            return tuple(str(v) for v in value)  # type: ignore[attr-defined]
        known = self._scopes.get(value)
        if known is None:
            known = self._scopes[value] = tuple(str(v) for v in json.loads(value) or ())
        return known


def _moment(value: object) -> datetime:
    """A UTC column's text (or a driver's datetime) as an aware UTC datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)  # noqa: S101 - the column's type
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


_TYPES = {t.value: t for t in TokenType}
_LEVELS = {int(level): level for level in AccessLevel}


def _silence(row: sa.Row[Any]) -> Silence:
    return Silence(row.token_key, FindingKind(row.kind), row.reason, row.actor, row.at, row.basis)
