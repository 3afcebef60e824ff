"""Inventory of the watched groups, sync runs, reminders posted, and job leases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracked_tokens",
        sa.Column("key", sa.String(96), primary_key=True),
        sa.Column("token_type", sa.String(64), nullable=False),
        sa.Column("gitlab_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("place_key", sa.String(64), nullable=False, index=True),
        sa.Column("namespace_kind", sa.String(16), nullable=False),
        sa.Column("namespace_id", sa.Integer(), nullable=False),
        sa.Column("namespace_path", sa.String(512), nullable=False),
        sa.Column("namespace_url", sa.String(1024), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("access_level", sa.Integer(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("owner_source", sa.String(16), nullable=True),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_tracked_tokens_due", "tracked_tokens", ["status", "expires_on"])
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("groups", sa.String(2048), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_table(
        "sync_places",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("sync_runs.id"), primary_key=True),
        sa.Column("place_key", sa.String(64), primary_key=True),
        sa.Column("readable", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "reminder_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_key", sa.String(96), nullable=False, index=True),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("ts", sa.String(64), nullable=True),
        sa.UniqueConstraint("token_key", "expires_on", "level", name="uq_reminder_once"),
    )
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
    op.drop_table("reminder_posts")
    op.drop_table("sync_places")
    op.drop_table("sync_runs")
    op.drop_index("ix_tracked_tokens_due", table_name="tracked_tokens")
    op.drop_table("tracked_tokens")
