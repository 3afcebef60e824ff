"""Who a synced token belongs to, and which place keeps a token several places list."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.db.tables import AccountLinkRow, TokenRequestRow, TrackedTokenRow
from bot.domain.credentials import TokenRecord
from bot.domain.reminders import TrackedStatus, token_key
from bot.domain.requests import RequestState
from bot.domain.tokens import TokenType

_LIVE_REQUESTS = [RequestState.PROVISIONED.value, RequestState.ROTATING.value]
# A person's own credentials: whoever linked that GitLab account is told about them.
_PERSONAL = frozenset({TokenType.PERSONAL_ACCESS_TOKEN})


def creators(session: Session, records: Iterable[TokenRecord]) -> dict[str, tuple[str, str]]:
    """Tokens tokenbot created: key -> (requester, request id)."""
    ids = [r.gitlab_id for r in records]
    if not ids:
        return {}
    rows = session.exec(
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


def account_holders(session: Session, records: Iterable[TokenRecord]) -> dict[int, str]:
    """GitLab user id -> the chat user who linked that account, for people's own tokens."""
    ids = {r.user_id for r in records if r.token_type in _PERSONAL and r.user_id is not None}
    if not ids:
        return {}
    rows = session.exec(select(AccountLinkRow).where(col(AccountLinkRow.gitlab_user_id).in_(ids)))
    return {row.gitlab_user_id: row.chat_id for row in rows}


def lives_elsewhere(row: TrackedTokenRow, place_key: str) -> bool:
    """A token another place lists too (a deploy key enabled in two projects, a person in
    two watched groups) stays with the lowest place while that place still lists it, so
    two places never take it from each other on every sync."""
    if row.place_key == place_key or row.status == TrackedStatus.GONE.value:
        return False
    return _rank(row.place_key) < _rank(place_key)


def _rank(key: str) -> tuple[str, int, str]:
    kind, _, rest = key.partition(":")
    number, _, part = rest.partition("/")
    return (kind, int(number) if number.isdigit() else 0, part)
