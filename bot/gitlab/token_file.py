"""The file GITLAB_TOKEN is read from: checking it can be replaced, and replacing it atomically."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from pathlib import Path

from bot.domain.credentials import Secret

_MOUNTINFO = Path("/proc/self/mountinfo")
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


class SecretFileError(Exception):
    """The secret file cannot be (or could not be) written; the message never holds the value."""


def check_writable(path: Path) -> None:
    """Raise SecretFileError unless `write_secret_file(path, ...)` can be expected to work."""
    target = _resolve(path)
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        raise SecretFileError(f"{path} no longer exists") from None
    except OSError as exc:
        raise SecretFileError(f"cannot look at {path}: {_reason(exc)}") from None
    if not stat.S_ISREG(mode):
        raise SecretFileError(f"{path} is not a regular file")
    if not os.access(target, os.W_OK):
        raise SecretFileError(f"{path} is read-only for tokenbot; make it writable (mode 0600)")
    _check_directory(target.parent, path)
    if _is_mount_point(target):
        raise SecretFileError(
            f"{path} is mounted on its own (a single-file bind mount or secret), so it cannot be"
            " replaced: mount a writable directory holding the file instead"
        )


def writable_problem(path: Path) -> str | None:
    """`check_writable` as a message for a person, or None when the file can be written."""
    try:
        check_writable(path)
    except SecretFileError as exc:
        return str(exc)
    return None


def write_secret_file(path: Path, secret: Secret) -> None:
    """Replace the file's content with `secret`, atomically and readable by its owner only.

    A temporary file in the same directory is written and flushed to disk, then renamed over
    the old one: a crash leaves either the old or the new value, never a partial one. A
    symbolic link is followed, so the file it points at is replaced and the link kept.
    """
    target = _resolve(path)
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise SecretFileError(f"cannot create a file next to {path}: {_reason(exc)}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(secret.reveal() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise SecretFileError(f"could not replace {path}: {_reason(exc)}") from None
    _sync_directory(target.parent)


def _resolve(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _check_directory(directory: Path, path: Path) -> None:
    """Creating a file is the only reliable test (read-only mounts, ACLs, root)."""
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".tokenbot-probe-")
    except OSError as exc:
        raise SecretFileError(
            f"tokenbot cannot create files in {directory}, so it cannot replace {path}:"
            f" {_reason(exc)}"
        ) from None
    os.close(fd)
    os.unlink(probe)


def _is_mount_point(target: Path) -> bool:
    """Is the file itself a mount point? Renaming over it would fail (EBUSY). Linux only."""
    try:
        lines = _MOUNTINFO.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    wanted = str(target)
    for line in lines:
        fields = line.split()
        if len(fields) > 4 and _unescape(fields[4]) == wanted:
            return True
    return False


def _unescape(field: str) -> str:
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m[1], 8)), field)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable; some file systems cannot, which is no failure."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__
