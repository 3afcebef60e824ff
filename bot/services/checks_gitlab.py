"""The GitLab checks: reachable, the bot's own credential, and its role on each watched group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.credentials import BotCredential
from bot.domain.expiry import days_left
from bot.domain.tokens import AccessLevel
from bot.services.checks_identity import identity_check, service_account_checks
from bot.services.checks_ports import CheckSetup, GitLabAccount, GitLabProbe
from bot.services.checks_report import CheckResult, Status, skip
from bot.services.gitlab_errors import (
    BotCredentialError,
    GitLabError,
    MissingScopeError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)

REQUIRED_SCOPE = "api"
_REPLACE_GITLAB = (
    "create a new token for tokenbot's GitLab account with the api scope and an expiry date,"
    " and put it in GITLAB_TOKEN (or the file GITLAB_TOKEN_FILE names); see"
    " docs/getting-started.md"
)


@dataclass(frozen=True, slots=True)
class _Bot:
    user_id: int
    username: str | None
    is_admin: bool

    @property
    def who(self) -> str:
        return f"@{self.username}" if self.username else f"tokenbot's account (user {self.user_id})"


def gitlab_checks(gitlab: GitLabProbe | None, setup: CheckSetup, today: date) -> list[CheckResult]:
    if gitlab is None:
        why = "GITLAB_URL and GITLAB_TOKEN are not both set: GitLab is off"
        return [skip("gitlab", why), skip("gitlab.credential", why), *_group_skips(setup, why)]
    reach = check_reachable(gitlab, setup)
    if reach.status is Status.FAIL:
        why = "GitLab could not be reached"
        return [reach, skip("gitlab.credential", why), *_group_skips(setup, why)]
    credential, bot = check_credential(gitlab, setup, today)
    if bot is None:
        return [reach, credential, *_group_skips(setup, "the bot's credential did not work")]
    who = [identity_check(_account(gitlab), setup), *service_account_checks(gitlab, setup)]
    if not setup.watched_groups:
        return [reach, credential, *_group_skips(setup, ""), *who]
    groups = [check_group(gitlab, group, bot) for group in setup.watched_groups]
    return [reach, credential, *groups, *who]


def _group_skips(setup: CheckSetup, why: str) -> list[CheckResult]:
    if not setup.watched_groups:
        return [
            skip(
                "gitlab.group",
                "TOKENBOT_WATCHED_GROUPS is not set: no inventory and no expiry reminders",
            )
        ]
    return [skip("gitlab.group", why, target=group) for group in setup.watched_groups]


def check_reachable(gitlab: GitLabProbe, setup: CheckSetup) -> CheckResult:
    url = setup.gitlab_url or "GITLAB_URL"
    try:
        instance = gitlab.instance_metadata()
    except (BotCredentialError, MissingScopeError, PermissionDeniedError):
        # GitLab answered; what it thinks of the token is the next check's business.
        detail = f"{url} answers (it shows its version only to a working token)"
        return CheckResult("gitlab", Status.PASS, detail, facts={"url": url, "version": None})
    except NotFoundError:
        return CheckResult(
            "gitlab",
            Status.FAIL,
            f"{url} answers, but has no GitLab API at /api/v4 (404)",
            fix="set GITLAB_URL to GitLab's base URL, e.g. https://gitlab.example.com (without"
            " /api/v4)",
            facts={"url": url},
        )
    except UnavailableError as exc:
        return CheckResult(
            "gitlab",
            Status.FAIL,
            f"{url}: {exc}",
            fix="check GITLAB_URL, the network and any proxy between tokenbot and GitLab, and"
            " that GitLab is up",
            facts={"url": url},
        )
    except GitLabError as exc:
        return CheckResult(
            "gitlab", Status.FAIL, f"{url}: {exc}", fix="check GITLAB_URL", facts={"url": url}
        )
    edition = ""
    if instance.enterprise is not None:
        edition = " (Enterprise Edition)" if instance.enterprise else " (Community Edition)"
    return CheckResult(
        "gitlab",
        Status.PASS,
        f"{url} answers: GitLab {instance.version}{edition}",
        facts={"url": url, "version": instance.version, "enterprise": instance.enterprise},
    )


def check_credential(
    gitlab: GitLabProbe, setup: CheckSetup, today: date
) -> tuple[CheckResult, _Bot | None]:
    """The bot's own token: accepted, with the api scope, and how long it has left."""
    name = "gitlab.credential"
    try:
        credential = gitlab.bot_credential()
    except BotCredentialError as exc:
        detail = f"GitLab refuses GITLAB_TOKEN: it {exc.reason}"
        return CheckResult(name, Status.FAIL, detail, fix=_REPLACE_GITLAB), None
    except MissingScopeError:
        detail = "GITLAB_TOKEN cannot even read itself: it lacks the api and read_api scopes"
        return CheckResult(name, Status.FAIL, detail, fix=_REPLACE_GITLAB), None
    except GitLabError as exc:
        return CheckResult(name, Status.FAIL, str(exc), fix="try again in a minute"), None
    account = _account(gitlab)
    bot = _Bot(
        credential.user_id or (account.id if account else 0),
        account.username if account else None,
        account.is_admin if account else False,
    )
    status, notes, fixes = _credential_verdict(credential, setup, today)
    left = days_left(credential.expires_on, today)
    expiry = (
        f"expires {credential.expires_on} ({_days(left)} left)"
        if credential.expires_on
        else "never expires"
    )
    scopes = ", ".join(credential.scopes) or "none"
    detail = f"token '{credential.name}' of {bot.who}: scopes {scopes}; {expiry}"
    facts = {
        "token_id": credential.gitlab_id,
        "token_name": credential.name,
        "username": bot.username,
        "user_id": bot.user_id,
        "scopes": list(credential.scopes),
        "expires_on": credential.expires_on.isoformat() if credential.expires_on else None,
        "days_left": left,
        "active": credential.active,
    }
    result = CheckResult(
        name,
        status,
        "; ".join([detail, *notes]),
        fix="; ".join(fixes) or None,
        facts=facts,
    )
    usable = credential.active and (left is None or left > 0)
    return result, bot if usable and bot.user_id else None


def _account(gitlab: GitLabProbe) -> GitLabAccount | None:
    try:
        return gitlab.current_account()
    except GitLabError:
        return None  # only the username in the messages is lost


def _credential_verdict(
    credential: BotCredential, setup: CheckSetup, today: date
) -> tuple[Status, list[str], list[str]]:
    left = days_left(credential.expires_on, today)
    if not credential.active or (left is not None and left <= 0):
        return Status.FAIL, ["it no longer works (expired or revoked)"], [_REPLACE_GITLAB]
    status, notes, fixes = Status.PASS, [], []
    if REQUIRED_SCOPE not in credential.scopes:
        status = Status.FAIL
        notes.append(
            f"it lacks the {REQUIRED_SCOPE} scope tokenbot needs to create and rotate tokens"
        )
        fixes.append(_REPLACE_GITLAB)
    rotates = setup.self_rotate_days is not None and not setup.rotation_problem
    if left is None or left > setup.warn_days:
        return status, notes, fixes
    if rotates and setup.self_rotate_days is not None and left > setup.self_rotate_days:
        notes.append(f"tokenbot rotates it when {setup.self_rotate_days} days are left")
        return status, notes, fixes
    status = Status.FAIL if status is Status.FAIL else Status.WARN
    if rotates:
        notes.append("its rotation is due")
        fixes.append(
            "make sure `tokenbot run` is running: it rotates the token within the hour; its"
            " log says why if it cannot"
        )
    else:
        notes.append(f"it stops working at 00:00 UTC on {credential.expires_on}")
        fixes.append(
            "rotate it before then: create a new token and replace GITLAB_TOKEN, or let tokenbot"
            " do it (TOKENBOT_SELF_ROTATE_DAYS with GITLAB_TOKEN_FILE, see docs/gitlab.md)"
        )
    return status, notes, fixes


def _days(left: int | None) -> str:
    return "1 day" if left == 1 else f"{left} days"


def check_group(gitlab: GitLabProbe, group: str, bot: _Bot) -> CheckResult:
    name = "gitlab.group"
    try:
        level = gitlab.group_role(group, bot.user_id)
    except NotFoundError:
        return CheckResult(
            name,
            Status.FAIL,
            f"there is no group '{group}' that {bot.who} can see",
            fix="check the full path in TOKENBOT_WATCHED_GROUPS (e.g. acme/platform), and add"
            f" {bot.who} to the group as Owner",
            target=group,
        )
    except GitLabError as exc:
        return CheckResult(name, Status.FAIL, str(exc), fix="try again in a minute", target=group)
    return _role_verdict(group, level, bot)


def _role_verdict(group: str, level: AccessLevel | None, bot: _Bot) -> CheckResult:
    name = "gitlab.group"
    facts = {"role": level.label if level else None, "access_level": int(level) if level else None}
    if level is None and bot.is_admin:
        detail = f"{bot.who} is an administrator (not a member, but may do everything)"
        return CheckResult(name, Status.PASS, detail, target=group, facts=facts)
    owner = f"make {bot.who} Owner of {group} (Manage > Members)"
    if level is None:
        return CheckResult(
            name, Status.FAIL, f"{bot.who} is not a member", fix=owner, target=group, facts=facts
        )
    if level >= AccessLevel.OWNER:
        return CheckResult(name, Status.PASS, f"{bot.who} is Owner", target=group, facts=facts)
    if level >= AccessLevel.MAINTAINER:
        detail = (
            f"{bot.who} is Maintainer: enough for project, deploy and trigger tokens, but not"
            " for the group's access tokens and service accounts"
        )
        return CheckResult(name, Status.WARN, detail, fix=owner, target=group, facts=facts)
    detail = f"{bot.who} is only {level.label}: it cannot read or manage the tokens there"
    return CheckResult(name, Status.FAIL, detail, fix=owner, target=group, facts=facts)
