"""Keeping the SQLite database private whatever the umask: its directory 0700, its files 0600.

The database holds the audit log and the encrypted secrets waiting to be revealed. SQLite
creates its `-wal`, `-shm` and `-journal` files with the permissions of the database file
(os_unix.c, `findCreateFileMode`), so a database file made 0600 before SQLite opens it keeps
its companions 0600 too; files left looser by an earlier version are tightened at start.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600
COMPANIONS = ("-wal", "-shm", "-journal")


def private_database(database: Path) -> None:
    """Create the database's directory (0700) and file (0600) if missing; tighten its files."""
    directory = database.parent
    if not directory.exists():
        directory.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
        os.chmod(directory, PRIVATE_DIRECTORY)  # mkdir's mode went through the umask
    if not database.exists():
        _create_private(database)
    for path in (database, *(database.with_name(database.name + s) for s in COMPANIONS)):
        if path.exists():
            tighten(path, PRIVATE_FILE)


def private_directory(directory: Path) -> None:
    """Make tokenbot's data directory 0700, creating it if missing."""
    if not directory.exists():
        directory.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
        os.chmod(directory, PRIVATE_DIRECTORY)
        return
    tighten(directory, PRIVATE_DIRECTORY)


def tighten(path: Path, allowed: int) -> None:
    """Take away every permission beyond `allowed`, and log that it was done.

    A shared directory (sticky bit, like /tmp) is left alone: it is not tokenbot's to close.
    """
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & ~allowed & 0o777 == 0:
        return
    if path.is_dir() and mode & stat.S_ISVTX:
        log.warning(
            "%s is a shared directory (mode %s); keep tokenbot's data in a directory of its own",
            path,
            _octal(mode),
        )
        return
    tighter = mode & allowed
    try:
        os.chmod(path, tighter)
    except OSError as exc:
        log.warning("could not tighten the permissions of %s (%s): %s", path, _octal(mode), exc)
        return
    log.warning(
        "tightened the permissions of %s from %s to %s", path, _octal(mode), _octal(tighter)
    )


def _create_private(database: Path) -> None:
    """An empty file is an empty SQLite database; made here, it is 0600 from the start."""
    try:
        descriptor = os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    except FileExistsError:  # another process made it a moment ago
        return
    try:
        os.fchmod(descriptor, PRIVATE_FILE)
    finally:
        os.close(descriptor)


def _octal(mode: int) -> str:
    return f"{mode:04o}"
