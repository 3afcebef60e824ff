"""How many projects each watched group holds, as the sync saw it (for the large-group finding)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.db.hygiene_tables import GroupSizeRow
from bot.domain.credentials import NamespaceKind, PlaceTokens


def save_group_size(session: Session, place: PlaceTokens, now: datetime) -> None:
    """Remember a group place's project count (a place without one leaves the last known)."""
    if place.namespace.kind is not NamespaceKind.GROUP or place.projects is None or place.part:
        return
    row = session.get(GroupSizeRow, place.key) or GroupSizeRow(
        place_key=place.key, path=place.namespace.path, projects=0, seen_at=now
    )
    row.path, row.projects, row.seen_at = place.namespace.path, place.projects, now
    session.add(row)
