"""Alembic environment: runs migrations on the engine tokenbot hands over."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

import bot.db.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.db.engine import create_db_engine

target_metadata = SQLModel.metadata
# PostgreSQL: one process migrates at a time, the others wait (two replicas starting at once).
_LOCK_ID = 0x70CE7B07


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        context.run_migrations()


engine = context.config.attributes.get("engine")
if engine is None:  # plain `alembic` command line: the URL comes from the config
    engine = create_db_engine(context.config.get_main_option("sqlalchemy.url") or "")
with engine.connect() as conn:
    _run(conn)
