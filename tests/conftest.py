"""Fixtures for every layer: a clean environment, and a migrated database per test session.

The database is SQLite by default; with TEST_DATABASE_URL (a PostgreSQL server URL) each run
creates its own throw-away database there and drops it at the end.

The PostgreSQL pass of `.ci/run` runs only the tests that reach the server: those that use a
database fixture (`database_url`, `migrated_engine`, `db`, `sql_uow`) and those whose module
names TEST_DATABASE_URL or `database_url` in its text (an end-to-end test that hands the
server to the bot it starts). The others keep no data there, so they would only repeat the
SQLite pass; most e2e tests start a bot whose database is SQLite in its own data directory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from bot.db.engine import create_db_engine, normalise_url
from bot.db.migrate import upgrade
from bot.db.unit_of_work import SqlUnitOfWork

_DATABASE_FIXTURES = frozenset({"database_url", "migrated_engine", "db", "sql_uow"})
_NAMES_THE_SERVER = ("TEST_DATABASE_URL", "database_url")
_REPLAYED = "replayed in the SQLite pass: this test keeps no data in TEST_DATABASE_URL's server"
_SCRUBBED_PREFIXES = ("SLACK_", "GITLAB_", "TOKENBOT_")
_SCRUBBED = {"DATABASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    named: dict[Path, bool] = {}
    for item in items:
        if _DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())) and not _names_server(
            Path(str(item.path)), named
        ):
            item.add_marker(pytest.mark.skip(reason=_REPLAYED))


def _names_server(path: Path, seen: dict[Path, bool]) -> bool:
    if path not in seen:
        text = path.read_text(encoding="utf-8")
        seen[path] = any(name in text for name in _NAMES_THE_SERVER)
    return seen[path]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the machine; local state goes to the test's own folder."""
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_PREFIXES) or name in _SCRUBBED:
            monkeypatch.delenv(name)
    monkeypatch.setenv("TOKENBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'tokenbot-test.db'}"
        return
    admin_url = make_url(normalise_url(server))
    name = f"tokenbot_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(migrated_engine: Engine) -> Iterator[Engine]:
    """The migrated engine, emptied after each test."""
    yield migrated_engine
    with migrated_engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def sql_uow(db: Engine) -> Callable[[], SqlUnitOfWork]:
    def factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(db)

    return factory
