"""The list filters shared by every PAT-family token listing (state, revoked, dates, sort)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from bot.sandbox.params import ParamReader
from bot.sandbox.token_models import AccessToken

STATES = ("active", "inactive")
SORTS = (
    "created_asc",
    "created_desc",
    "expires_asc",
    "expires_desc",
    "last_used_asc",
    "last_used_desc",
    "name_asc",
    "name_desc",
)
Predicate = Callable[[AccessToken], bool]


def _state_predicate(state: str, now: datetime) -> Predicate:
    # GitLab's scopes disagree on the expiry day itself: `active` needs expires_at > today,
    # `inactive` needs expires_at < today, so a token expiring today matches neither.
    today = now.date()
    if state == "active":
        return lambda t: not t.revoked and (t.expires_at is None or t.expires_at > today)
    return lambda t: t.revoked or (t.expires_at is not None and t.expires_at < today)


def _date_predicates(reader: ParamReader) -> list[Predicate]:
    found: list[Predicate] = []
    expires_before, expires_after = reader.day("expires_before"), reader.day("expires_after")
    if expires_before is not None:
        found.append(lambda t: t.expires_at is not None and t.expires_at < expires_before)
    if expires_after is not None:
        found.append(lambda t: t.expires_at is not None and t.expires_at > expires_after)
    for name, field, later in (
        ("created_before", "created_at", False),
        ("created_after", "created_at", True),
        ("last_used_before", "last_used_at", False),
        ("last_used_after", "last_used_at", True),
    ):
        bound = reader.timestamp(name)
        if bound is not None:
            found.append(_moment_predicate(field, bound, later=later))
    return found


def _moment_predicate(field: str, bound: datetime, *, later: bool) -> Predicate:
    def check(token: AccessToken) -> bool:
        value: datetime | None = getattr(token, field)
        if value is None:
            return False
        return value >= bound if later else value <= bound

    return check


def _sort(tokens: list[AccessToken], order: str | None) -> list[AccessToken]:
    if order is None:
        return tokens
    field, _, direction = order.rpartition("_")
    reverse = direction == "desc"
    if field == "name":
        return sorted(tokens, key=lambda t: t.name, reverse=reverse)
    if field == "created":
        return sorted(tokens, key=lambda t: (t.created_at, t.id), reverse=reverse)
    if field == "expires":
        return sorted(tokens, key=lambda t: t.expires_at or date.max, reverse=reverse)
    return sorted(
        tokens,
        key=lambda t: t.last_used_at or datetime.min.replace(tzinfo=t.created_at.tzinfo),
        reverse=reverse,
    )


def filter_tokens(
    reader: ParamReader, tokens: list[AccessToken], now: datetime
) -> list[AccessToken]:
    """Apply GitLab's PersonalAccessTokensFinder params; raises Grape errors for bad values."""
    predicates: list[Predicate] = []
    state = reader.choice("state", STATES)
    if state is not None:
        predicates.append(_state_predicate(state, now))
    revoked = reader.boolean("revoked")
    if revoked is not None:
        predicates.append(lambda t: t.revoked is revoked)
    search = reader.string("search")
    if search:
        needle = search.lower()
        predicates.append(lambda t: needle in t.name.lower())
    predicates.extend(_date_predicates(reader))
    order = reader.choice("sort", SORTS)
    reader.check()
    return _sort([t for t in tokens if all(p(t) for p in predicates)], order)
