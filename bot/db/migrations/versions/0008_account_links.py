"""Slack users linked to GitLab by GitLab sign-in, and the sign-ins under way.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_links",
        sa.Column("chat_id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("gitlab_user_id", sa.Integer(), nullable=False),
        sa.Column("gitlab_username", sa.String(255), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_account_links_gitlab_user_id", "account_links", ["gitlab_user_id"])
    op.create_table(
        "link_states",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("chat_name", sa.String(255), nullable=False, server_default=""),
        sa.Column("gitlab_user_id", sa.Integer(), nullable=True),
        sa.Column("gitlab_username", sa.String(255), nullable=True),
    )
    op.create_index("ix_link_states_chat_id", "link_states", ["chat_id"])
    op.create_index("ix_link_states_expires_at", "link_states", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_link_states_expires_at", "link_states")
    op.drop_index("ix_link_states_chat_id", "link_states")
    op.drop_table("link_states")
    op.drop_index("ix_account_links_gitlab_user_id", "account_links")
    op.drop_table("account_links")
