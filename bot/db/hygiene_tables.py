"""Tables of token hygiene: silenced findings, and the size of each group the sync saw."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


class HygieneSilenceRow(SQLModel, table=True):
    """ "Keep, it is right": one finding silenced for one tracked credential (migration 0016)."""

    __tablename__ = "hygiene_silences"

    token_key: str = Field(primary_key=True, max_length=96)
    kind: str = Field(primary_key=True, max_length=32)
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    actor: str = Field(max_length=64)
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    basis: str = Field(max_length=255)  # what the finding judged when it was kept


class GroupSizeRow(SQLModel, table=True):
    """How many projects a group holds (with its subgroups'), as the last sync saw it."""

    __tablename__ = "group_sizes"

    place_key: str = Field(primary_key=True, max_length=64)  # "group:<id>"
    path: str = Field(max_length=512)
    projects: int
    seen_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
