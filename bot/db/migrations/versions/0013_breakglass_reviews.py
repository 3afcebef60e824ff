"""Break-glass reviews: a break-glass request's review, acknowledged, escalated and ended once.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breakglass_reviews",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("review_due", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("card_channel", sa.String(64), nullable=True),
        sa.Column("card_ts", sa.String(64), nullable=True),
    )
    op.create_index("ix_breakglass_reviews_review_due", "breakglass_reviews", ["review_due"])
    op.create_index("ix_breakglass_reviews_ends_at", "breakglass_reviews", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_breakglass_reviews_ends_at", "breakglass_reviews")
    op.drop_index("ix_breakglass_reviews_review_due", "breakglass_reviews")
    op.drop_table("breakglass_reviews")
