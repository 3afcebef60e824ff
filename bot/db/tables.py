"""sqlmodel tables. Rows stay in this package; repositories turn them into domain objects."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


class ConversationRow(SQLModel, table=True):
    __tablename__ = "conversations"

    key: str = Field(primary_key=True, max_length=255)
    answers: list[list[str]] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    tree_version: int
    revision: int = Field(default=0)
    started_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
