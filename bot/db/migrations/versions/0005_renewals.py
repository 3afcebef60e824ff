"""Requests that rotate or renew an existing token instead of creating one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("token_requests") as batch:
        batch.add_column(sa.Column("renews_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("renews_gitlab_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("renews_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("renews_asked_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("token_requests") as batch:
        batch.drop_column("renews_asked_by")
        batch.drop_column("renews_user_id")
        batch.drop_column("renews_gitlab_id")
        batch.drop_column("renews_key")
