"""`tokenbot shell`: a whole chat typed at the terminal, on a fresh data directory."""

from __future__ import annotations

from pathlib import Path

from bot.db.migrate import head_revision
from tests.cli_runner import run_tokenbot


def test_a_fresh_machine_can_chat_to_a_recommendation(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "which token should I use?",
            "1",  # automation that calls the API
            "no",  # not in CI
            "yes",  # single project
            "2",  # no admin actions
            "1, 3",  # clone, pull images
            "quit",
        ]
    )
    result = run_tokenbot(
        "shell",
        "--user",
        "ada",
        stdin=script + "\n",
        env={"TOKENBOT_DATA_DIR": str(tmp_path / "fresh")},
    )
    assert result.code == 0, result.err
    assert "Hi ada, I'm tokenbot." in result.out
    assert "(1) What do you need the credential for?" in result.out
    assert "Recommendation: Project access token" in result.out
    assert "Scopes:   read_repository, read_registry" in result.out
    assert "Role:     Reporter (20)" in result.out
    assert (tmp_path / "fresh" / "tokenbot.db").exists()


def test_back_and_start_over_in_the_shell(tmp_path: Path) -> None:
    script = "\n".join(
        ["which token?", "1", "yes", "back", "no", "start over", "8", "read_api", "quit"]
    )
    result = run_tokenbot(
        "shell", "--user", "bo", stdin=script + "\n", env={"TOKENBOT_DATA_DIR": str(tmp_path)}
    )
    assert result.code == 0, result.err
    assert result.out.count("(2) Will it run inside a GitLab CI/CD pipeline?") == 2
    assert "(3) Is the automation about a single project only?" in result.out
    assert "Recommendation: Personal access token" in result.out


def test_the_shell_picks_up_where_it_stopped_after_a_restart(tmp_path: Path) -> None:
    env = {"TOKENBOT_DATA_DIR": str(tmp_path)}
    first = run_tokenbot("shell", "--user", "cy", stdin="which token?\n1\nyes\n", env=env)
    assert first.code == 0
    assert "Bye." in first.out  # end of input ends the chat cleanly
    second = run_tokenbot("shell", "--user", "cy", stdin="yes\nquit\n", env=env)
    assert "We were in the middle of choosing a token" in second.out
    assert "Recommendation: CI/CD job token" in second.out


def test_the_shell_explains_what_it_expects(tmp_path: Path) -> None:
    script = "hello\nwhich token?\nbanana\nhelp\nback\nback\nquit\n"
    result = run_tokenbot(
        "shell", "--user", "di", stdin=script, env={"TOKENBOT_DATA_DIR": str(tmp_path)}
    )
    assert 'ask "which token should I use?"' in result.out
    assert "Type a number from 1 to 8" in result.out
    assert "start over                  begin again" in result.out
    assert "There is nothing to go back to." in result.out


def test_db_commands_report_the_schema_revision(tmp_path: Path) -> None:
    env = {"TOKENBOT_DATA_DIR": str(tmp_path)}
    assert "schema revision: none" in run_tokenbot("db", "current", env=env).out
    upgraded = run_tokenbot("db", "upgrade", env=env)
    assert upgraded.code == 0
    head = head_revision()
    assert f"schema revision: {head} (latest: {head})" in upgraded.out


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = run_tokenbot("db", "upgrade", env=env)
    assert result.code == 1
    assert result.err.startswith("tokenbot: database error: OperationalError:")
    assert "Traceback" not in result.err
