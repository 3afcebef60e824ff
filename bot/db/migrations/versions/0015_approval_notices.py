"""Approval notices: who was asked to approve a request, and when approvers were chased.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval_notices",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("surface", sa.String(16), nullable=False),
        sa.Column("requester_chat", sa.String(64), nullable=True),
        sa.Column("asked", sa.JSON(), nullable=False),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "approver_messages",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("approver", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("approver_messages")
    op.drop_table("approval_notices")
