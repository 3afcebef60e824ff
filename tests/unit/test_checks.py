"""The `tokenbot check` use case with in-memory ports: every verdict and what it tells you."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TypeVar

import pytest

from bot.domain.credentials import BotCredential
from bot.domain.platform import parse_version
from bot.domain.service_accounts import (
    AccountFacts,
    CreationVerdict,
    creation_verdict,
)
from bot.domain.tokens import AccessLevel
from bot.services.checks import (
    SLACK_UNREACHABLE,
    CheckDeps,
    CheckReport,
    CheckResult,
    CheckSetup,
    DatabaseUnavailableError,
    GitLabAccount,
    GitLabInstance,
    SchemaState,
    SlackChannel,
    SlackIdentity,
    SlackProblemError,
    Status,
    report_json,
    report_lines,
    run_checks,
)
from bot.services.gitlab_errors import (
    BotCredentialError,
    MissingScopeError,
    NotFoundError,
    UnavailableError,
)

TODAY = date(2026, 11, 22)
T = TypeVar("T")


@dataclass
class FakeDatabase:
    state: SchemaState | Exception = field(
        default_factory=lambda: SchemaState(current="0005", head="0005")
    )
    where: str = "sqlite:////data/tokenbot.db"

    def schema(self) -> SchemaState:
        if isinstance(self.state, Exception):
            raise self.state
        return self.state


@dataclass
class FakeGitLab:
    metadata: GitLabInstance | Exception = field(
        default_factory=lambda: GitLabInstance("18.6.0-ee", "abc", enterprise=True)
    )
    credential: BotCredential | Exception = field(
        default_factory=lambda: BotCredential(
            7, "tokenbot", ("api",), TODAY + timedelta(days=60), user_id=42, active=True
        )
    )
    account: GitLabAccount | Exception = field(
        default_factory=lambda: GitLabAccount(42, "tokenbot-svc")
    )
    roles: dict[str, AccessLevel | Exception | None] = field(
        default_factory=lambda: {"acme": AccessLevel.OWNER}
    )
    asked: list[str] = field(default_factory=list)

    def instance_metadata(self) -> GitLabInstance:
        self.asked.append("metadata")
        return _give(self.metadata)

    def bot_credential(self) -> BotCredential:
        self.asked.append("credential")
        return _give(self.credential)

    def current_account(self) -> GitLabAccount:
        self.asked.append("account")
        return _give(self.account)

    def group_role(self, group: str, user_id: int) -> AccessLevel | None:
        self.asked.append(f"group {group} {user_id}")
        value = self.roles.get(group)
        if isinstance(value, Exception):
            raise value
        return value

    def service_account_creation(self, group: str) -> CreationVerdict:
        """As the gateway decides it, from what this GitLab shows tokenbot."""
        account, role = _give(self.account), self.roles.get(group)
        metadata = self.metadata if isinstance(self.metadata, GitLabInstance) else None
        return creation_verdict(
            AccountFacts(
                group,
                admin=account.is_admin,
                role=None if isinstance(role, Exception) else role,
                version=parse_version(metadata.version) if metadata else None,
            )
        )


@dataclass
class FakeSlack:
    who: SlackIdentity | Exception = field(
        default_factory=lambda: SlackIdentity("Acme", "T0ACME", "tokenbot", "U0BOT")
    )
    channels: dict[str, SlackChannel | Exception] = field(
        default_factory=lambda: {
            "C0APPROVE": SlackChannel("C0APPROVE", "token-approvals", is_member=True),
            "C0REMIND": SlackChannel("C0REMIND", "token-reminders", is_member=True),
        }
    )
    asked: list[str] = field(default_factory=list)

    def identity(self) -> SlackIdentity:
        self.asked.append("auth.test")
        return _give(self.who)

    def channel(self, channel_id: str) -> SlackChannel:
        self.asked.append(channel_id)
        found = self.channels.get(channel_id, SlackProblemError("channel_not_found"))
        return _give(found)


def _give(value: T | Exception) -> T:
    if isinstance(value, Exception):
        raise value
    return value


FULL = CheckSetup(
    gitlab_url="https://gitlab.example.com",
    gitlab_token_set=True,
    watched_groups=("acme",),
    slack_token_set=True,
    slack_app_token_set=True,
    slack_api_url="https://slack.com/api/",
    approvals_channel="C0APPROVE",
    reminders_channel="C0REMIND",
    secret_key_set=True,
    sign_in_enabled=True,
    sign_in_callback="https://tokenbot.example.com/gitlab/oauth/callback",
)


def check(
    setup: CheckSetup = FULL,
    *,
    database: FakeDatabase | None = None,
    gitlab: FakeGitLab | None = None,
    slack: FakeSlack | None = None,
    no_gitlab: bool = False,
    no_slack: bool = False,
) -> CheckReport:
    return run_checks(
        CheckDeps(
            setup=setup,
            database=database or FakeDatabase(),
            today=TODAY,
            gitlab=None if no_gitlab else (gitlab or FakeGitLab()),
            slack=None if no_slack else (slack or FakeSlack()),
        )
    )


def one(report: CheckReport, name: str, target: str | None = None) -> CheckResult:
    found = [r for r in report.results if r.name == name and r.target == target]
    assert len(found) == 1, [r.label for r in report.results]
    return found[0]


def statuses(report: CheckReport) -> dict[str, Status]:
    return {r.label: r.status for r in report.results}


# ---------------------------------------------------------------- everything fine
def test_everything_configured_and_working_passes() -> None:
    report = check()
    assert statuses(report) == {
        "settings": Status.PASS,
        "database": Status.PASS,
        "gitlab": Status.PASS,
        "gitlab.credential": Status.PASS,
        "gitlab.group acme": Status.PASS,
        "slack": Status.PASS,
        "slack.channel C0APPROVE": Status.PASS,
        "slack.channel C0REMIND": Status.PASS,
        "identity": Status.PASS,
        "gitlab.service_accounts acme": Status.PASS,
    }
    assert report.passed()
    assert report.passed(strict=True)
    assert all(r.fix is None for r in report.results)
    credential = one(report, "gitlab.credential")
    assert credential.detail == (
        "token 'tokenbot' of @tokenbot-svc: scopes api; expires 2026-01-21 (60 days left)".replace(
            "2026-01-21", str(TODAY + timedelta(days=60))
        )
    )
    assert credential.facts["days_left"] == 60
    assert one(report, "gitlab").detail == (
        "https://gitlab.example.com answers: GitLab 18.6.0-ee (Enterprise Edition)"
    )


def test_the_text_report_has_one_aligned_line_per_check_and_a_verdict() -> None:
    report = check(gitlab=FakeGitLab(roles={"acme": AccessLevel.DEVELOPER}))
    lines = report_lines(report)
    assert len(lines) == len(report.results) + 1
    group_line = next(line for line in lines if "gitlab.group acme" in line)
    assert group_line.startswith("fail  gitlab.group acme")
    assert "; to fix: make @tokenbot-svc Owner of acme" in group_line
    # the detail column starts at the same place on every line
    column = len("fail  ") + max(len(r.label) for r in report.results) + 2
    assert all(
        line[column - 2 : column] == "  " != line[column - 1 : column + 1] for line in lines[:-1]
    )
    assert lines[-1] == "not ready: 8 pass, 1 warn, 1 fail, 0 skip"  # no service accounts


def test_the_json_report_carries_status_fix_and_facts() -> None:
    document = report_json(check(gitlab=FakeGitLab(roles={"acme": AccessLevel.MAINTAINER})))
    assert document["ok"] is True
    assert document["counts"] == {"pass": 8, "warn": 2, "fail": 0, "skip": 0}
    group = next(c for c in document["checks"] if c["name"] == "gitlab.group")
    assert group == {
        "name": "gitlab.group",
        "target": "acme",
        "status": "warn",
        "detail": group["detail"],
        "fix": "make @tokenbot-svc Owner of acme (Manage > Members)",
        "facts": {"role": "Maintainer", "access_level": 40},
    }


def test_strict_makes_warnings_fail() -> None:
    report = check(gitlab=FakeGitLab(roles={"acme": AccessLevel.MAINTAINER}))
    assert report.passed()
    assert report_lines(report)[-1] == "ready, with warnings: 8 pass, 2 warn, 0 fail, 0 skip"
    assert not report.passed(strict=True)
    assert report_lines(report, strict=True)[-1] == (
        "not ready: 8 pass, 2 warn, 0 fail, 0 skip (strict: warnings fail)"
    )


# ---------------------------------------------------------------- settings
def test_nothing_configured_fails_saying_tokenbot_run_will_not_start() -> None:
    report = check(CheckSetup(), no_gitlab=True, no_slack=True)
    assert statuses(report) == {
        "settings": Status.FAIL,
        "database": Status.PASS,
        "gitlab": Status.SKIP,
        "gitlab.credential": Status.SKIP,
        "gitlab.group": Status.SKIP,
        "slack": Status.SKIP,
        "slack.channel approvals": Status.SKIP,
        "slack.channel reminders": Status.SKIP,
    }
    assert not report.passed()
    settings = one(report, "settings")
    assert settings.detail == (
        "not configured: `tokenbot run` will not start (neither Slack nor GitLab is set)"
    )
    assert "SLACK_BOT_TOKEN" in (settings.fix or "")
    assert report_lines(report)[-1].startswith("not configured: `tokenbot run` will not start:")
    assert "TOKENBOT_WATCHED_GROUPS is not set" in one(report, "gitlab.group").detail
    assert one(report, "slack").detail == "SLACK_BOT_TOKEN is not set: Slack is off"


def test_gitlab_without_slack_warns_that_tokenbot_run_will_not_start() -> None:
    setup = CheckSetup(gitlab_url="https://gitlab.example.com", gitlab_token_set=True)
    report = check(setup, no_slack=True)
    settings = one(report, "settings")
    assert settings.status is Status.WARN
    assert settings.detail.startswith("`tokenbot run` will not start: SLACK_BOT_TOKEN is not set")
    assert report.passed()
    assert not report.passed(strict=True)


@pytest.mark.parametrize(
    ("setup", "detail", "fix"),
    [
        (
            CheckSetup(gitlab_url="https://gitlab.example.com"),
            "GITLAB_URL is set but GITLAB_TOKEN is not",
            "set GITLAB_TOKEN too",
        ),
        (
            CheckSetup(gitlab_token_set=True),
            "GITLAB_TOKEN is set but GITLAB_URL is not",
            "set GITLAB_URL too",
        ),
        (
            CheckSetup(watched_groups=("acme",)),
            "TOKENBOT_WATCHED_GROUPS is set but GitLab is not configured",
            "set GITLAB_URL and GITLAB_TOKEN",
        ),
        (
            CheckSetup(reminders_channel="C0REMIND", reminders_routes={"acme/web": "C0WEB"}),
            "TOKENBOT_REMINDERS_CHANNEL, TOKENBOT_REMINDERS_ROUTES set but SLACK_BOT_TOKEN is not",
            "set SLACK_BOT_TOKEN",
        ),
        (
            CheckSetup(slack_token_set=True),
            "`tokenbot run` needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)",
            "set SLACK_APP_TOKEN (see docs/slack.md)",
        ),
    ],
)
def test_settings_that_need_each_other_fail(setup: CheckSetup, detail: str, fix: str) -> None:
    result = one(check(setup, no_gitlab=True, no_slack=True), "settings")
    assert (result.status, result.detail, result.fix) == (Status.FAIL, detail, fix)


def test_an_approvals_channel_without_the_secret_key_warns_that_requests_are_off() -> None:
    result = one(check(replace(FULL, secret_key_set=False)), "settings")
    assert result.status is Status.WARN
    assert result.detail == (
        "TOKENBOT_APPROVALS_CHANNEL is set but token requests are off (TOKENBOT_SECRET_KEY not set)"
    )
    assert result.fix == "set TOKENBOT_SECRET_KEY"


def test_self_rotation_that_could_not_save_the_new_token_warns() -> None:
    setup = replace(
        FULL, self_rotate_days=7, rotation_problem="GITLAB_TOKEN was not read from a file"
    )
    result = one(check(setup), "settings")
    assert result.status is Status.WARN
    assert "GITLAB_TOKEN was not read from a file" in result.detail
    assert "GITLAB_TOKEN_FILE" in (result.fix or "")


def test_settings_say_what_is_on() -> None:
    result = one(check(replace(FULL, self_rotate_days=7), gitlab=FakeGitLab()), "settings")
    assert result.detail == (
        "read from the environment; on: GitLab at https://gitlab.example.com,"
        " 1 watched group(s), Slack (Socket Mode), token requests, expiry reminders,"
        " self-rotation"
    )
    with_file = one(check(replace(FULL, config_file="/etc/tokenbot.toml")), "settings")
    assert with_file.detail.startswith("read from /etc/tokenbot.toml and the environment;")


# ---------------------------------------------------------------- database
UPGRADE = "run `tokenbot db upgrade` (`tokenbot run` also does it when it starts)"


@pytest.mark.parametrize(
    ("state", "detail", "fix"),
    [
        (
            SchemaState(current=None, head="0005", exists=False),
            "sqlite:////data/tokenbot.db does not exist yet",
            UPGRADE,
        ),
        (
            SchemaState(current=None, head="0005"),
            "sqlite:////data/tokenbot.db has no tables yet",
            UPGRADE,
        ),
        (
            SchemaState(current="0003", head="0005"),
            "sqlite:////data/tokenbot.db is at revision 0003; the latest is 0005",
            UPGRADE,
        ),
        (
            SchemaState(current="0099", head="0005", known=False),
            "sqlite:////data/tokenbot.db is at revision 0099, which this tokenbot does not know"
            " (a newer tokenbot migrated it?)",
            "run the tokenbot version that migrated it, or a newer one",
        ),
        (
            DatabaseUnavailableError("connection refused"),
            "cannot connect to sqlite:////data/tokenbot.db: connection refused",
            "check DATABASE_URL and that the database server is running and reachable",
        ),
    ],
)
def test_a_database_not_at_the_latest_revision_fails(
    state: SchemaState | Exception, detail: str, fix: str
) -> None:
    report = check(database=FakeDatabase(state))
    result = one(report, "database")
    assert (result.status, result.detail, result.fix) == (Status.FAIL, detail, fix)
    assert not report.passed()


def test_a_migrated_database_passes_with_its_revision() -> None:
    result = one(check(), "database")
    assert result.detail == "sqlite:////data/tokenbot.db, at the latest revision (0005)"
    assert result.facts == {
        "where": "sqlite:////data/tokenbot.db",
        "revision": "0005",
        "latest": "0005",
    }


# ---------------------------------------------------------------- GitLab: reachable
def test_unreachable_gitlab_fails_and_skips_what_needs_it() -> None:
    gitlab = FakeGitLab(metadata=UnavailableError("GitLab could not be reached; try again."))
    report = check(gitlab=gitlab)
    result = one(report, "gitlab")
    assert result.status is Status.FAIL
    assert "check GITLAB_URL, the network" in (result.fix or "")
    assert one(report, "gitlab.credential").status is Status.SKIP
    assert one(report, "gitlab.group", "acme").detail == "GitLab could not be reached"
    assert gitlab.asked == ["metadata"]


def test_a_url_without_gitlabs_api_fails_with_the_base_url_advice() -> None:
    result = one(check(gitlab=FakeGitLab(metadata=NotFoundError("GitLab's API"))), "gitlab")
    assert result.status is Status.FAIL
    assert (
        result.detail
        == "https://gitlab.example.com answers, but has no GitLab API at /api/v4 (404)"
    )
    assert "without /api/v4" in (result.fix or "")


def test_gitlab_answering_401_is_reachable_and_the_credential_check_says_why() -> None:
    refused = BotCredentialError("is not accepted by GitLab")
    report = check(gitlab=FakeGitLab(metadata=refused, credential=refused))
    assert one(report, "gitlab").status is Status.PASS
    credential = one(report, "gitlab.credential")
    assert credential.status is Status.FAIL
    assert credential.detail == "GitLab refuses GITLAB_TOKEN: it is not accepted by GitLab"
    assert "create a new token" in (credential.fix or "")
    assert "api scope" in (credential.fix or "")
    assert one(report, "gitlab.group", "acme").status is Status.SKIP
    assert not report.passed()


# ---------------------------------------------------------------- GitLab: the credential
def credential(
    days: int | None, *, scopes: tuple[str, ...] = ("api",), active: bool = True
) -> BotCredential:
    expires = TODAY + timedelta(days=days) if days is not None else None
    return BotCredential(7, "tokenbot", scopes, expires, user_id=42, active=active)


def test_a_token_without_the_api_scope_fails_but_groups_are_still_checked() -> None:
    gitlab = FakeGitLab(credential=credential(60, scopes=("read_api",)))
    report = check(gitlab=gitlab)
    result = one(report, "gitlab.credential")
    assert result.status is Status.FAIL
    assert "scopes read_api" in result.detail
    assert "it lacks the api scope tokenbot needs to create and rotate tokens" in result.detail
    assert one(report, "gitlab.group", "acme").status is Status.PASS


def test_a_token_that_cannot_read_itself_fails() -> None:
    report = check(gitlab=FakeGitLab(credential=MissingScopeError("api read_api")))
    assert one(report, "gitlab.credential").status is Status.FAIL
    assert one(report, "gitlab.group", "acme").status is Status.SKIP


@pytest.mark.parametrize(
    ("days", "status", "words"),
    [
        (None, Status.PASS, "never expires"),
        (31, Status.PASS, "31 days left"),
        (30, Status.WARN, "30 days left"),
        (1, Status.WARN, "expires 2026-11-23 (1 day left)"),
        (0, Status.FAIL, "it no longer works"),
        (-5, Status.FAIL, "it no longer works"),
    ],
)
def test_days_to_expiry_in_utc_days_warn_from_the_first_reminder_day(
    days: int | None, status: Status, words: str
) -> None:
    result = one(check(gitlab=FakeGitLab(credential=credential(days))), "gitlab.credential")
    assert result.status is status
    assert words in result.detail
    assert result.facts["days_left"] == days


def test_the_warning_threshold_is_the_largest_reminder_day() -> None:
    setup = replace(FULL, reminder_days=(7, 3))
    gitlab = FakeGitLab(credential=credential(8))
    assert one(check(setup, gitlab=gitlab), "gitlab.credential").status is Status.PASS
    gitlab = FakeGitLab(credential=credential(7))
    result = one(check(setup, gitlab=gitlab), "gitlab.credential")
    assert result.status is Status.WARN
    assert "it stops working at 00:00 UTC on 2026-11-29" in result.detail
    assert "TOKENBOT_SELF_ROTATE_DAYS" in (result.fix or "")


def test_with_self_rotation_an_expiry_before_the_rotation_day_is_fine() -> None:
    setup = replace(FULL, self_rotate_days=14)
    result = one(check(setup, gitlab=FakeGitLab(credential=credential(20))), "gitlab.credential")
    assert result.status is Status.PASS
    assert "tokenbot rotates it when 14 days are left" in result.detail
    due = one(check(setup, gitlab=FakeGitLab(credential=credential(10))), "gitlab.credential")
    assert due.status is Status.WARN
    assert "its rotation is due" in due.detail
    assert "`tokenbot run`" in (due.fix or "")


def test_a_revoked_token_fails() -> None:
    gitlab = FakeGitLab(credential=credential(60, active=False))
    report = check(gitlab=gitlab)
    assert one(report, "gitlab.credential").status is Status.FAIL
    assert one(report, "gitlab.group", "acme").status is Status.SKIP


def test_without_the_account_name_the_user_id_is_named() -> None:
    gitlab = FakeGitLab(account=MissingScopeError("read_user"), roles={"acme": None})
    report = check(gitlab=gitlab)
    assert "of tokenbot's account (user 42)" in one(report, "gitlab.credential").detail
    assert (
        one(report, "gitlab.group", "acme").detail == "tokenbot's account (user 42) is not a member"
    )


# ---------------------------------------------------------------- GitLab: watched groups
@pytest.mark.parametrize(
    ("level", "status", "detail"),
    [
        (AccessLevel.OWNER, Status.PASS, "@tokenbot-svc is Owner"),
        (
            AccessLevel.MAINTAINER,
            Status.WARN,
            "@tokenbot-svc is Maintainer: enough for project, deploy and trigger tokens, but"
            " not for the group's access tokens and service accounts",
        ),
        (
            AccessLevel.DEVELOPER,
            Status.FAIL,
            "@tokenbot-svc is only Developer: it cannot read or manage the tokens there",
        ),
        (None, Status.FAIL, "@tokenbot-svc is not a member"),
    ],
)
def test_the_bots_role_on_each_watched_group(
    level: AccessLevel | None, status: Status, detail: str
) -> None:
    setup = replace(FULL, watched_groups=("acme", "partners"))
    gitlab = FakeGitLab(roles={"acme": AccessLevel.OWNER, "partners": level})
    report = check(setup, gitlab=gitlab)
    assert one(report, "gitlab.group", "acme").status is Status.PASS
    result = one(report, "gitlab.group", "partners")
    assert (result.status, result.detail) == (status, detail)
    if status is not Status.PASS:
        assert result.fix == "make @tokenbot-svc Owner of partners (Manage > Members)"
    assert "group partners 42" in gitlab.asked


def test_a_watched_group_that_does_not_exist_fails() -> None:
    gitlab = FakeGitLab(roles={"acme": NotFoundError("group 'acme'")})
    result = one(check(gitlab=gitlab), "gitlab.group", "acme")
    assert result.status is Status.FAIL
    assert result.detail == "there is no group 'acme' that @tokenbot-svc can see"
    assert "TOKENBOT_WATCHED_GROUPS" in (result.fix or "")


def test_an_administrator_needs_no_membership() -> None:
    gitlab = FakeGitLab(account=GitLabAccount(42, "root", is_admin=True), roles={"acme": None})
    result = one(check(gitlab=gitlab), "gitlab.group", "acme")
    assert result.status is Status.PASS
    assert "administrator" in result.detail


# ---------------------------------------------------------------- Slack
def test_slack_refusing_the_token_fails_and_skips_the_channels() -> None:
    slack = FakeSlack(who=SlackProblemError("invalid_auth"))
    report = check(slack=slack)
    result = one(report, "slack")
    assert result.status is Status.FAIL
    assert result.detail == "Slack refuses SLACK_BOT_TOKEN (invalid_auth)"
    assert "Bot User OAuth Token" in (result.fix or "")
    assert one(report, "slack.channel", "C0APPROVE").status is Status.SKIP
    assert one(report, "slack.channel", "C0REMIND").detail == "Slack refused the bot token"
    assert slack.asked == ["auth.test"]


def test_slack_out_of_reach_fails() -> None:
    slack = FakeSlack(who=SlackProblemError(SLACK_UNREACHABLE, detail="Connection refused"))
    report = check(slack=slack)
    result = one(report, "slack")
    assert result.status is Status.FAIL
    assert result.detail == "Slack cannot be reached at https://slack.com/api/ (Connection refused)"
    assert one(report, "slack.channel", "C0REMIND").detail == "Slack cannot be reached"


def test_the_bot_not_in_the_reminders_channel_fails_with_the_invite_command() -> None:
    slack = FakeSlack()
    slack.channels["C0REMIND"] = SlackChannel("C0REMIND", "token-reminders", is_member=False)
    report = check(slack=slack)
    result = one(report, "slack.channel", "C0REMIND")
    assert result.status is Status.FAIL
    assert result.detail == (
        "@tokenbot is not in #token-reminders (used by TOKENBOT_REMINDERS_CHANNEL), so it cannot"
        " post there"
    )
    assert result.fix == "in #token-reminders, type `/invite @tokenbot`"
    assert one(report, "slack.channel", "C0APPROVE").status is Status.PASS
    assert not report.passed()


def test_a_channel_named_by_several_settings_is_checked_once() -> None:
    setup = replace(
        FULL,
        approvals_routes={"acme/payments": "C0PAY", "acme/web": "C0APPROVE"},
        reminders_routes={"acme/payments": "C0PAY"},
    )
    slack = FakeSlack()
    slack.channels["C0PAY"] = SlackChannel("C0PAY", "payments", is_member=True)
    report = check(setup, slack=slack)
    assert slack.asked == ["auth.test", "C0APPROVE", "C0REMIND", "C0PAY"]
    approve = one(report, "slack.channel", "C0APPROVE")
    assert approve.facts["settings"] == [
        "TOKENBOT_APPROVALS_CHANNEL",
        "TOKENBOT_APPROVALS_ROUTES acme/web",
    ]
    pay = one(report, "slack.channel", "C0PAY")
    assert pay.detail == (
        "@tokenbot is in #payments (used by TOKENBOT_APPROVALS_ROUTES acme/payments,"
        " TOKENBOT_REMINDERS_ROUTES acme/payments)"
    )


def test_a_missing_read_scope_is_a_warning_naming_the_scope() -> None:
    slack = FakeSlack()
    slack.channels["C0APPROVE"] = SlackProblemError("missing_scope", needed="channels:read")
    report = check(slack=slack)
    result = one(report, "slack.channel", "C0APPROVE")
    assert result.status is Status.WARN
    assert "the Slack app lacks the channels:read scope" in result.detail
    assert "add channels:read to oauth_config.scopes.bot in manifest.yml" in (result.fix or "")
    assert report.passed()
    assert not report.passed(strict=True)


def test_an_unknown_or_archived_channel_fails() -> None:
    slack = FakeSlack()
    del slack.channels["C0APPROVE"]
    slack.channels["C0REMIND"] = SlackChannel("C0REMIND", "old", is_member=True, is_archived=True)
    report = check(slack=slack)
    unknown = one(report, "slack.channel", "C0APPROVE")
    assert unknown.status is Status.FAIL
    assert unknown.detail == (
        "no channel C0APPROVE that @tokenbot can see (used by TOKENBOT_APPROVALS_CHANNEL)"
    )
    archived = one(report, "slack.channel", "C0REMIND")
    assert archived.status is Status.FAIL
    assert archived.fix == "unarchive #old, or name another channel in TOKENBOT_REMINDERS_CHANNEL"


def test_unset_channels_are_skipped_with_what_that_turns_off() -> None:
    report = check(replace(FULL, approvals_channel=None, reminders_channel=None))
    assert one(report, "slack").status is Status.PASS
    assert one(report, "slack.channel", "approvals").detail == (
        "TOKENBOT_APPROVALS_CHANNEL is not set: token requests are off in Slack"
    )
    assert one(report, "slack.channel", "reminders").status is Status.SKIP
    assert report.passed()


# ---------------------------------------------------------------- identity and service accounts
def test_without_gitlab_sign_in_a_non_admin_token_warns_that_e_mail_finds_public_ones_only() -> (
    None
):
    report = check(replace(FULL, sign_in_enabled=False, sign_in_callback=None, user_map_size=2))
    identity = one(report, "identity")
    assert identity.status is Status.WARN
    assert (
        "GITLAB_TOKEN is not an administrator: e-mail look-up finds public e-mails only;"
        " enable GitLab sign-in" in identity.detail
    )
    assert "TOKENBOT_USER_MAP (2 people)" in identity.detail
    assert identity.fix is not None
    assert "TOKENBOT_GITLAB_OAUTH_CLIENT_ID" in identity.fix


def test_an_administrators_token_warns_even_with_sign_in() -> None:
    admin = FakeGitLab(account=GitLabAccount(42, "root", is_admin=True))
    identity = one(check(gitlab=admin), "identity")
    assert identity.status is Status.WARN
    assert "belongs to an administrator (@root)" in identity.detail
    assert identity.facts["administrator"] is True


def test_sign_in_listed_in_the_order_tokenbot_asks() -> None:
    identity = one(check(replace(FULL, user_map_size=1)), "identity")
    assert identity.detail.index("TOKENBOT_USER_MAP") < identity.detail.index("GitLab sign-in")
    assert identity.detail.index("GitLab sign-in") < identity.detail.index("e-mail")
    assert "https://tokenbot.example.com/gitlab/oauth/callback" in identity.detail


def test_service_accounts_are_reported_per_watched_top_level_group() -> None:
    owner = one(
        check(replace(FULL, watched_groups=("acme/platform", "acme"))),
        "gitlab.service_accounts",
        "acme",
    )
    assert (owner.target, owner.status) == ("acme", Status.PASS)
    assert "only administrators can read" in owner.detail  # an Owner on Self-Managed: it depends
    maintainer = check(gitlab=FakeGitLab(roles={"acme": AccessLevel.MAINTAINER}))
    refused = one(maintainer, "gitlab.service_accounts", "acme")
    assert refused.status is Status.WARN
    assert "not an Owner of acme" in refused.detail
    admin = FakeGitLab(account=GitLabAccount(42, "root", is_admin=True))
    assert one(check(gitlab=admin), "gitlab.service_accounts", "acme").status is Status.PASS
