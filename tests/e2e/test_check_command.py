"""`tokenbot check` against the GitLab simulator, the Slack stand-in and a real database.

Tests using the `tokenbot` fixture run twice: `direct` calls `bot.check_command.run_check` in
this process, and `cli` runs `tokenbot check` in a child process (exit codes included). The
`cli` variants need the command wired into bot/cli.py (`add_check_parser(commands)` and
`"check": run_check`); until then they fail with argparse's "invalid choice: 'check'". Tests
using `direct` run in this process only.
"""

from __future__ import annotations

import argparse
import json
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.bootstrap import utc_now
from bot.check_command import add_check_parser, run_check
from bot.config import load_settings
from bot.db.engine import create_db_engine
from bot.db.migrate import upgrade
from bot.sandbox import (
    AccessLevel,
    GitlabSimulator,
    SandboxServer,
    add_personal_token,
    add_service_account,
)
from tests.cli_runner import Result, run_tokenbot
from tests.support.slack_api import SlackRecorder

SLACK_BOT_TOKEN = "xoxb-check-test-secret"
SLACK_APP_TOKEN = "xapp-check-test-secret"
SECRET_KEY = "k" * 40
OAUTH_SECRET = "gloas-check-test-secret"
APPROVALS, REMINDERS, PAYMENTS = "C0APPROVALS", "C0REMINDERS", "C0PAYMENTS"

Runner = Callable[..., Result]


class ChannelRecorder(SlackRecorder):
    """The Slack stand-in, also answering `conversations.info` the way Slack does."""

    def __init__(self) -> None:
        super().__init__()
        self.members: dict[str, tuple[str, bool]] = {}  # channel id -> (name, bot is in it)

    def _answer(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, body, headers = super()._answer(method, args)
        if method != "conversations.info" or body != {"ok": True}:
            return status, body, headers  # another method, or a scripted fault
        channel = str(args.get("channel"))
        if channel not in self.members:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        name, member = self.members[channel]
        info = {
            "id": channel,
            "name": name,
            "is_channel": True,
            "is_private": False,
            "is_archived": False,
            "is_member": member,
        }
        return 200, {"ok": True, "channel": info}, {}


@dataclass
class World:
    gitlab_url: str
    bot_token: str
    slack: ChannelRecorder
    database: Path
    sim: GitlabSimulator

    def env(self, **overrides: str) -> dict[str, str]:
        values = {
            "DATABASE_URL": f"sqlite:///{self.database}",
            "GITLAB_URL": self.gitlab_url,
            "GITLAB_TOKEN": self.bot_token,
            "TOKENBOT_WATCHED_GROUPS": "acme",
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
            "SLACK_API_URL": self.slack.url,
            "TOKENBOT_APPROVALS_CHANNEL": APPROVALS,
            "TOKENBOT_REMINDERS_CHANNEL": REMINDERS,
            "TOKENBOT_APPROVALS_ROUTES": f"acme/payments={PAYMENTS}",
            "TOKENBOT_SECRET_KEY": SECRET_KEY,
            "TOKENBOT_GITLAB_OAUTH_CLIENT_ID": "tokenbot-app",
            "TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET": OAUTH_SECRET,
            "TOKENBOT_PUBLIC_URL": "https://tokenbot.example.com",
        }
        return values | overrides

    def bot_token_expiring_in(self, days: int) -> str:
        bot = next(u for u in self.sim.state.users.values() if u.username == "tokenbot")
        _, secret = add_personal_token(
            self.sim.state, bot, name="tokenbot-soon", expires_at=_today() + timedelta(days=days)
        )
        return secret


def _today() -> date:
    return utc_now().date()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    sim = GitlabSimulator()
    state = sim.state
    acme = state.add_group("acme")
    state.add_group("payments", parent=acme)
    partners = state.add_group("partners")
    bot = add_service_account(state, acme, "tokenbot", name="tokenbot")
    state.add_member(bot, acme, AccessLevel.OWNER)
    state.add_member(bot, partners, AccessLevel.DEVELOPER)
    _, bot_token = add_personal_token(
        state, bot, name="tokenbot", scopes=("api",), expires_at=_today() + timedelta(days=90)
    )
    database = tmp_path / "tokenbot.db"
    engine = create_db_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    with SandboxServer(sim) as server, ChannelRecorder() as slack:
        slack.members = {
            APPROVALS: ("token-approvals", True),
            REMINDERS: ("token-reminders", True),
            PAYMENTS: ("payments", True),
        }
        yield World(server.url, bot_token, slack, database, sim)


@pytest.fixture
def direct(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """`direct("check", "--json", env={...})`: run_check in this process."""

    def run(*argv: str, env: dict[str, str]) -> Result:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        parser = argparse.ArgumentParser(prog="tokenbot")
        add_check_parser(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(list(argv))
        capsys.readouterr()
        code = run_check(args, load_settings())
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture(params=["direct", "cli"])
def tokenbot(request: pytest.FixtureRequest, direct: Runner) -> Runner:
    """Both ways: in this process, and `tokenbot check` in a child process (`cli`)."""

    def cli(*argv: str, env: dict[str, str]) -> Result:
        return run_tokenbot(*argv, env=env)  # needs `check` wired into bot/cli.py

    return direct if request.param == "direct" else cli


def lines_of(result: Result) -> dict[str, str]:
    """Each check's line by its label (`gitlab.group acme`), without the verdict line."""
    found = {}
    _table, _, report = result.out.partition("\n\n")  # the feature table comes first
    for line in report.splitlines()[:-1]:
        status, _, rest = line.partition("  ")
        name, _, detail = rest.strip().partition("  ")
        found[name.strip()] = f"{status} {detail.strip()}"
    return found


def assert_no_secrets(result: Result, *secrets: str) -> None:
    for secret in (*secrets, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SECRET_KEY, OAUTH_SECRET):
        assert secret not in result.out + result.err


# ---------------------------------------------------------------- all pass
def test_everything_in_place_passes_with_exit_code_0(world: World, tokenbot: Runner) -> None:
    result = tokenbot("check", env=world.env())
    assert result.code == 0, result.out + result.err
    lines = lines_of(result)
    assert list(lines) == [
        "settings",
        "database",
        "gitlab",
        "gitlab.credential",
        "gitlab.group acme",
        "identity",
        "gitlab.service_accounts acme",
        "slack",
        f"slack.channel {APPROVALS}",
        f"slack.channel {REMINDERS}",
        f"slack.channel {PAYMENTS}",
    ]
    assert all(line.startswith("pass ") for line in lines.values()), result.out
    expiry = _today() + timedelta(days=90)
    assert lines["gitlab.credential"] == (
        f"pass token 'tokenbot' of @tokenbot: scopes api; expires {expiry} (90 days left)"
    )
    assert lines["gitlab"].startswith(f"pass {world.gitlab_url} answers: GitLab ")
    assert lines["gitlab.group acme"] == "pass @tokenbot is Owner"
    assert lines[f"slack.channel {REMINDERS}"] == (
        "pass @tokenbot is in #token-reminders (used by TOKENBOT_REMINDERS_CHANNEL)"
    )
    assert result.out.splitlines()[-1] == "ready: 11 pass, 0 warn, 0 fail, 0 skip"
    assert_no_secrets(result, world.bot_token)
    assert [c.args["channel"] for c in world.slack.calls_to("conversations.info")] == [
        APPROVALS,
        REMINDERS,
        PAYMENTS,
    ]
    assert all(
        c.authorization == f"Bearer {SLACK_BOT_TOKEN}" for c in world.slack.calls_to("auth.test")
    )


def test_json_output_has_every_check_and_the_verdict(world: World, tokenbot: Runner) -> None:
    result = tokenbot("check", "--json", env=world.env())
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["ok"] is True
    assert document["counts"] == {"pass": 11, "warn": 0, "fail": 0, "skip": 0}
    credential = next(c for c in document["checks"] if c["name"] == "gitlab.credential")
    assert credential["facts"]["days_left"] == 90
    assert credential["facts"]["scopes"] == ["api"]
    assert credential["facts"]["username"] == "tokenbot"
    assert {c["target"] for c in document["checks"] if c["name"] == "slack.channel"} == {
        APPROVALS,
        REMINDERS,
        PAYMENTS,
    }
    assert_no_secrets(result, world.bot_token)


def test_nothing_configured_says_tokenbot_run_will_not_start_and_fails(
    world: World, tokenbot: Runner
) -> None:
    result = tokenbot("check", env={"DATABASE_URL": f"sqlite:///{world.database}"})
    assert result.code == 1, result.out
    lines = lines_of(result)
    assert lines["settings"].startswith(
        "fail not configured: `tokenbot run` will not start (neither Slack nor GitLab is set)"
    )
    assert lines["database"].startswith("pass ")
    assert lines["gitlab"] == "skip GITLAB_URL and GITLAB_TOKEN are not both set: GitLab is off"
    assert lines["slack"] == "skip SLACK_BOT_TOKEN is not set: Slack is off"
    assert lines["slack.channel reminders"].startswith("skip TOKENBOT_REMINDERS_CHANNEL is not set")
    assert result.out.splitlines()[-1].startswith(
        "not configured: `tokenbot run` will not start: 1 pass"
    )
    assert world.slack.calls == []


def test_the_config_file_named_by_tokenbot_config_is_named(
    world: World, tokenbot: Runner, tmp_path: Path
) -> None:
    config = tmp_path / "tokenbot.toml"
    config.write_text(f'TOKENBOT_REMINDERS_CHANNEL = "{REMINDERS}"\n', encoding="utf-8")
    env = world.env(TOKENBOT_CONFIG=str(config))
    del env["TOKENBOT_REMINDERS_CHANNEL"]
    result = tokenbot("check", env=env)
    assert result.code == 0, result.out + result.err
    assert lines_of(result)["settings"].startswith(
        f"pass read from {config} and the environment; on: "
    )
    assert "expiry reminders" in lines_of(result)["settings"]


# ---------------------------------------------------------------- the database
def test_a_database_behind_the_latest_migration_fails(
    world: World, tokenbot: Runner, tmp_path: Path
) -> None:
    old = tmp_path / "old.db"
    engine = create_db_engine(f"sqlite:///{old}")
    upgrade(engine, "0001")
    engine.dispose()
    result = tokenbot("check", env=world.env(DATABASE_URL=f"sqlite:///{old}"))
    assert result.code == 1
    line = lines_of(result)["database"]
    assert line.startswith(f"fail sqlite:///{old} is at revision 0001; the latest is ")
    assert line.endswith(
        "; to fix: run `tokenbot db upgrade` (`tokenbot run` also does it when it starts)"
    )
    assert result.out.splitlines()[-1].startswith("not ready: 10 pass, 0 warn, 1 fail")


def test_a_database_that_does_not_exist_yet_fails_and_is_not_created(
    world: World, direct: Runner, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "tokenbot.db"
    result = direct("check", env=world.env(DATABASE_URL=f"sqlite:///{missing}"))
    assert result.code == 1
    assert lines_of(result)["database"].startswith(f"fail sqlite:///{missing} does not exist yet")
    assert not missing.exists()


def test_an_unreachable_database_fails_without_showing_its_password(
    world: World, direct: Runner
) -> None:
    url = "postgresql://tokenbot:hunter2-secret@127.0.0.1:1/tokenbot"
    result = direct("check", env=world.env(DATABASE_URL=url))
    assert result.code == 1
    line = lines_of(result)["database"]
    assert line.startswith(
        "fail cannot connect to postgresql+psycopg://tokenbot:***@127.0.0.1:1/tokenbot: "
    )
    assert "check DATABASE_URL" in line
    assert_no_secrets(result, "hunter2-secret", world.bot_token)


# ---------------------------------------------------------------- GitLab
def test_a_gitlab_token_gitlab_refuses_fails_and_skips_the_groups(
    world: World, tokenbot: Runner
) -> None:
    bad = "glpat-not-a-real-token"
    result = tokenbot("check", env=world.env(GITLAB_TOKEN=bad))
    assert result.code == 1
    lines = lines_of(result)
    assert lines["gitlab"].startswith("pass ")  # GitLab answered: 401
    assert lines["gitlab.credential"].startswith(
        "fail GitLab refuses GITLAB_TOKEN: it is not accepted by GitLab; to fix: create a new"
        " token for tokenbot's GitLab account with the api scope"
    )
    assert lines["gitlab.group acme"] == "skip the bot's credential did not work"
    assert_no_secrets(result, bad, world.bot_token)


def test_a_watched_group_where_the_bot_is_only_developer_fails(
    world: World, tokenbot: Runner
) -> None:
    result = tokenbot("check", env=world.env(TOKENBOT_WATCHED_GROUPS="acme,partners"))
    assert result.code == 1
    lines = lines_of(result)
    assert lines["gitlab.group acme"] == "pass @tokenbot is Owner"
    assert lines["gitlab.group partners"] == (
        "fail @tokenbot is only Developer: it cannot read or manage the tokens there; to fix:"
        " make @tokenbot Owner of partners (Manage > Members)"
    )


def test_a_bot_token_close_to_expiry_warns_and_strict_fails(world: World, tokenbot: Runner) -> None:
    soon = world.bot_token_expiring_in(10)
    result = tokenbot("check", env=world.env(GITLAB_TOKEN=soon))
    assert result.code == 0, result.out
    line = lines_of(result)["gitlab.credential"]
    assert line.startswith("warn token 'tokenbot-soon' of @tokenbot: scopes api; expires ")
    assert "(10 days left); it stops working at 00:00 UTC on" in line
    assert result.out.splitlines()[-1] == "ready, with warnings: 10 pass, 1 warn, 0 fail, 0 skip"
    strict = tokenbot("check", "--strict", env=world.env(GITLAB_TOKEN=soon))
    assert strict.code == 1
    assert_no_secrets(strict, soon)


# ---------------------------------------------------------------- Slack
def test_the_bot_not_in_the_reminders_channel_fails(world: World, tokenbot: Runner) -> None:
    world.slack.members[REMINDERS] = ("token-reminders", False)
    result = tokenbot("check", env=world.env())
    assert result.code == 1
    lines = lines_of(result)
    assert lines[f"slack.channel {REMINDERS}"] == (
        "fail @tokenbot is not in #token-reminders (used by TOKENBOT_REMINDERS_CHANNEL), so it"
        " cannot post there; to fix: in #token-reminders, type `/invite @tokenbot`"
    )
    assert lines[f"slack.channel {APPROVALS}"].startswith("pass ")


def test_slack_refusing_the_bot_token_fails_and_skips_the_channels(
    world: World, tokenbot: Runner
) -> None:
    world.slack.fail_next("auth.test", error="invalid_auth")
    result = tokenbot("check", env=world.env())
    assert result.code == 1
    lines = lines_of(result)
    assert lines["slack"].startswith(
        "fail Slack refuses SLACK_BOT_TOKEN (invalid_auth); to fix: copy the Bot User OAuth Token"
    )
    assert lines[f"slack.channel {APPROVALS}"] == "skip Slack refused the bot token"
    assert world.slack.calls_to("conversations.info") == []
    assert_no_secrets(result, world.bot_token)


def _closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_slack_out_of_reach_is_named_by_its_url_without_retry_lines(
    world: World, tokenbot: Runner
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/"
    result = tokenbot("check", env=world.env(SLACK_API_URL=url))
    assert result.code == 1
    lines = lines_of(result)
    assert lines["slack"].startswith(f"fail Slack cannot be reached at {url} (Connection refused)")
    assert lines[f"slack.channel {APPROVALS}"] == "skip Slack cannot be reached"
    assert "refused the bot token" not in result.out
    assert "retry" not in result.err.lower()
    assert "slack_sdk" not in result.err


class _HangUp(socketserver.BaseRequestHandler):
    """Accepts the connection and closes it without an answer, counting each one."""

    def handle(self) -> None:
        self.server.connections += 1  # type: ignore[attr-defined]


def test_the_check_asks_an_unanswering_slack_only_once(world: World, direct: Runner) -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), _HangUp) as hang_up:
        hang_up.connections = 0  # type: ignore[attr-defined]
        threading.Thread(target=hang_up.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{hang_up.server_address[1]}/api/"
        result = direct("check", env=world.env(SLACK_API_URL=url))
        hang_up.shutdown()
    assert lines_of(result)["slack"].startswith(f"fail Slack cannot be reached at {url} (")
    assert hang_up.connections == 1  # type: ignore[attr-defined]


def test_without_the_channels_read_scope_the_channels_are_a_warning(
    world: World, direct: Runner
) -> None:
    # What Slack answers today: manifest.yml does not grant channels:read.
    for _ in range(3):
        world.slack.fail_next("conversations.info", error="missing_scope")
    result = direct("check", "--json", env=world.env())
    assert result.code == 0
    channels = [c for c in json.loads(result.out)["checks"] if c["name"] == "slack.channel"]
    assert {c["status"] for c in channels} == {"warn"}
    assert "channels:read" in channels[0]["fix"]


# ---------------------------------------------------------------- who is who
def test_a_non_admin_token_without_sign_in_is_told_to_enable_it(world: World) -> None:
    env = world.env(
        TOKENBOT_GITLAB_OAUTH_CLIENT_ID="",
        TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET="",
        TOKENBOT_PUBLIC_URL="",
    )
    env = {k: v for k, v in env.items() if v}
    result = run_tokenbot("check", env=env)
    line = lines_of(result)["identity"]
    assert line.startswith("warn ")
    assert (
        "GITLAB_TOKEN is not an administrator: e-mail look-up finds public e-mails only;"
        " enable GitLab sign-in" in line
    )
    assert_no_secrets(result, world.bot_token)


# ---------------------------------------------------------------- what this GitLab can do
def test_the_feature_table_uses_the_version_gitlab_gives(world: World, tokenbot: Runner) -> None:
    """The simulator answers /metadata with 18.6.0-ee: GitLab's own version beats the
    setting, and the table follows it (subgroup service accounts only from 18.10)."""
    env = world.env() | {"TOKENBOT_GITLAB_VERSION": "19.6", "TOKENBOT_GITLAB_TIER": "premium"}
    result = tokenbot("check", env=env)
    table = result.out.partition("\n\n")[0].splitlines()
    assert table[0] == (
        "What this GitLab can do (GitLab Self-Managed, Premium, GitLab 18.6;"
        " version read from GitLab):"
    )
    rows = {line.split(":")[0].split(None, 1)[1]: line.split()[0] for line in table[1:]}
    assert rows["Service accounts"] == "yes"
    assert rows["Service accounts of subgroups"] == "no"
    assert rows["Fine-grained personal access tokens"] == "no"
    assert rows["Token lifetimes up to 400 days"] == "setting"
    assert all("Source: https://docs.gitlab.com/" in line for line in table[1:])
    assert result.out.splitlines()[-1].startswith("ready")


def test_json_carries_the_feature_table(world: World, direct: Runner) -> None:
    result = direct("check", "--json", env=world.env() | {"TOKENBOT_GITLAB_TIER": "free"})
    gitlab = json.loads(result.out)["gitlab"]
    assert (gitlab["version"], gitlab["version_origin"]) == ("18.6", "read from GitLab")
    features = {f["id"]: f for f in gitlab["features"]}
    assert features["service_accounts"]["availability"] == "no"  # Free before 18.11
    assert features["subgroup_service_accounts"]["since"] == "18.10"
    assert features["runner_registration_tokens"]["until"] == "20.0"


def test_without_gitlab_the_table_says_where_the_version_comes_from(direct: Runner) -> None:
    result = direct(
        "check",
        env={
            "TOKENBOT_GITLAB_OFFERING": "gitlab_com",
            "TOKENBOT_GITLAB_TIER": "free",
            "TOKENBOT_GITLAB_VERSION": "19.2",
        },
    )
    first = result.out.splitlines()[0]
    assert first == (
        "What this GitLab can do (GitLab.com, Free, GitLab 19.2;"
        " version from TOKENBOT_GITLAB_VERSION):"
    )
