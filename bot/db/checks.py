"""The database side of `tokenbot check`: can we connect, and is the schema the latest?

It changes nothing: a SQLite file that does not exist yet is reported, not created, and
nothing is migrated (that is `tokenbot db upgrade`).
"""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.db.engine import create_db_engine, normalise_url
from bot.db.migrate import MIGRATIONS, current_revision, head_revision
from bot.services.checks import DatabaseUnavailableError, SchemaState

CONNECT_TIMEOUT_SECONDS = 10


class SqlSchemaProbe:
    """`SchemaProbe` for a SQLAlchemy URL (SQLite or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self._url = normalise_url(url)

    @property
    def where(self) -> str:
        """The URL with its password hidden, for people and logs."""
        try:
            return make_url(self._url).render_as_string(hide_password=True)
        except ArgumentError:
            return "DATABASE_URL (not a database URL)"

    def schema(self) -> SchemaState:
        try:
            url = make_url(self._url)
        except ArgumentError:
            raise DatabaseUnavailableError(
                "DATABASE_URL is not a database URL (e.g. postgresql://user@host/db)"
            ) from None
        head = head_revision()
        if _missing_sqlite_file(url):
            return SchemaState(current=None, head=head, exists=False)
        try:
            engine = create_db_engine(
                _with_timeout(url).render_as_string(hide_password=False), private=False
            )
        except SQLAlchemyError as exc:  # an unknown driver, for example
            raise DatabaseUnavailableError(_first_line(exc)) from None
        try:
            current = current_revision(engine)
        except SQLAlchemyError as exc:
            raise DatabaseUnavailableError(_first_line(exc)) from None
        finally:
            engine.dispose()
        return SchemaState(current, head, known=current is None or _known(current))


def _missing_sqlite_file(url: URL) -> bool:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    return not Path(url.database).expanduser().exists()


def _with_timeout(url: URL) -> URL:
    """PostgreSQL waits for a dead host as long as TCP does; a check should not."""
    if url.get_backend_name() != "postgresql" or "connect_timeout" in url.query:
        return url
    return url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)})


def _known(revision: str) -> bool:
    script = ScriptDirectory(str(MIGRATIONS))
    return any(step.revision == revision for step in script.walk_revisions())


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's own first line (no SQL, no parameters, no URL with a password)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__
