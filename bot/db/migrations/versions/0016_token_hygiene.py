"""Token hygiene: when each credential was created, group sizes, and silenced findings.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracked_tokens") as batch:
        batch.add_column(sa.Column("created_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_tracked_tokens_owner", ["owner"])
    op.create_table(
        "hygiene_silences",
        sa.Column("token_key", sa.String(96), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("basis", sa.String(255), nullable=False),
    )
    op.create_table(
        "group_sizes",
        sa.Column("place_key", sa.String(64), primary_key=True),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("group_sizes")
    op.drop_table("hygiene_silences")
    with op.batch_alter_table("tracked_tokens") as batch:
        batch.drop_index("ix_tracked_tokens_owner")
        batch.drop_column("created_at")
