"""Expiry arithmetic in UTC days: a token stops working at 00:00 UTC on its expiry date."""

from __future__ import annotations

from datetime import date


def days_left(expires_on: date | None, today: date) -> int | None:
    """Whole UTC days the credential still works, counting today; 0 or less means expired.

    A token expiring tomorrow works for the rest of today: 1 day left.
    """
    if expires_on is None:
        return None
    return (expires_on - today).days


def shown_expiry(expires_on: date | None) -> str:
    """An expiry date as people read it; a credential GitLab does not expire says so."""
    return expires_on.isoformat() if expires_on is not None else "no expiry date"


def is_expired(expires_on: date | None, today: date) -> bool:
    return expires_on is not None and expires_on <= today
