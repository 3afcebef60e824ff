"""The SQLite database stays private whatever the umask (bot/db/sqlite_files.py)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.engine import create_db_engine
from bot.db.migrate import upgrade
from bot.db.sqlite_files import private_directory


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.usefixtures("permissive_umask")
def test_a_new_database_its_directory_and_its_wal_files_are_private(tmp_path: Path) -> None:
    database = tmp_path / "data" / "tokenbot.db"
    engine = create_db_engine(f"sqlite:///{database}")
    upgrade(engine)
    with engine.connect() as connection:  # WAL mode: -wal and -shm exist while it is open
        connection.execute(sa.text("SELECT count(*) FROM token_requests"))
        companions = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
        assert all(path.exists() for path in companions)
        assert [mode(path) for path in companions] == [0o600, 0o600]
    engine.dispose()
    assert mode(database.parent) == 0o700
    assert mode(database) == 0o600


@pytest.mark.usefixtures("permissive_umask")
def test_looser_permissions_are_tightened_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "data"
    directory.mkdir(mode=0o755)
    database = directory / "tokenbot.db"
    engine = create_db_engine(f"sqlite:///{database}", private=False)
    upgrade(engine)
    engine.dispose()
    wal = database.with_name("tokenbot.db-wal")
    wal.touch()
    for path in (database, wal):
        path.chmod(0o644)
    caplog.set_level(logging.WARNING, logger="bot.db.sqlite_files")
    private_directory(directory)
    create_db_engine(f"sqlite:///{database}").dispose()
    assert (mode(directory), mode(database), mode(wal)) == (0o700, 0o600, 0o600)
    said = [r.getMessage() for r in caplog.records]
    assert f"tightened the permissions of {directory} from 0755 to 0700" in said
    assert f"tightened the permissions of {database} from 0644 to 0600" in said
    assert f"tightened the permissions of {wal} from 0644 to 0600" in said


def test_private_files_are_left_as_they_are_and_nothing_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "data" / "tokenbot.db"
    create_db_engine(f"sqlite:///{database}").dispose()
    database.chmod(0o400)  # tighter than needed: not widened
    caplog.set_level(logging.WARNING, logger="bot.db.sqlite_files")
    create_db_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o400
    assert caplog.records == []


def test_a_shared_sticky_directory_is_not_closed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    caplog.set_level(logging.WARNING, logger="bot.db.sqlite_files")
    private_directory(shared)
    assert mode(shared) == 0o1777
    assert "is a shared directory" in caplog.text


def test_the_check_probe_changes_no_permission(tmp_path: Path) -> None:
    database = tmp_path / "tokenbot.db"
    upgrade(engine := create_db_engine(f"sqlite:///{database}"))
    engine.dispose()
    database.chmod(0o644)
    create_db_engine(f"sqlite:///{database}", private=False).dispose()
    assert mode(database) == 0o644
