"""What `tokenbot run` does for itself at start: a private data directory, named jobs."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.sandbox import GitlabSimulator, SandboxServer, add_personal_token
from tests.support.bot_process import BotProcess, start_bot
from tests.support.slack_api import SlackRecorder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def gitlab_env() -> Iterator[dict[str, str]]:
    """GitLab configured, so the job reading GitLab's version runs at once."""
    sim = GitlabSimulator()
    bot = sim.state.add_user("tokenbot", name="tokenbot")
    _, token = add_personal_token(sim.state, bot, name="tokenbot")
    with SandboxServer(sim) as server:
        yield {"GITLAB_URL": server.url, "GITLAB_TOKEN": token}


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The bot inherits it: with umask 000, files are made 0666 unless tokenbot says else."""
    old = os.umask(0)
    yield
    os.umask(old)


@contextmanager
def _running(data_dir: Path, env: dict[str, str]) -> Iterator[BotProcess]:
    with SlackRecorder() as slack:
        bot = start_bot(slack_api_url=slack.url, data_dir=data_dir, extra_env=env)
        try:
            yield bot
        finally:
            bot.stop()


def _messages(bot: BotProcess) -> list[str]:
    return [json.loads(line)["message"] for line in bot.stop().splitlines() if line.strip()]


@pytest.mark.usefixtures("permissive_umask")
def test_a_new_data_directory_is_private_and_jobs_log_by_name(
    tmp_path: Path, gitlab_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    with _running(data, gitlab_env) as bot:
        bot.wait_for_line("read-gitlab-version (trigger")
        database = data / "tokenbot.db"
        wal, shm = (data / "tokenbot.db-wal", data / "tokenbot.db-shm")
        assert mode(data) == 0o700
        assert {p.name: mode(p) for p in (database, wal, shm)} == {
            "tokenbot.db": 0o600,
            "tokenbot.db-wal": 0o600,
            "tokenbot.db-shm": 0o600,
        }
        said = _messages(bot)
        assert any(m.startswith('Running job "read-gitlab-version (trigger') for m in said)
        assert not any("_logged" in m for m in said)
        assert not any("tightened" in m for m in said)


@pytest.mark.usefixtures("permissive_umask")
def test_looser_permissions_left_by_an_older_tokenbot_are_tightened_and_logged(
    tmp_path: Path, gitlab_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    database = data / "tokenbot.db"
    sqlite3.connect(database).close()  # what an older tokenbot left, with the umask's 0644
    database.chmod(0o644)
    with _running(data, gitlab_env) as bot:
        assert (mode(data), mode(database)) == (0o700, 0o600)
        said = _messages(bot)
        assert f"tightened the permissions of {data} from 0755 to 0700" in said
        assert f"tightened the permissions of {database} from 0644 to 0600" in said
