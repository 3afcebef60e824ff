"""The identity and service-account checks: which ways of knowing who is who can work with
GITLAB_TOKEN, and whether tokenbot may create service accounts in the watched groups.

See docs/identity.md: an explicit map, then a GitLab sign-in link, then a confirmed e-mail.
GitLab matches private e-mail addresses only for administrators, so with the recommended
non-administrator token the e-mail path finds public e-mails only; an administrator's token
finds everyone, and is more power than tokenbot should hold.
"""

from __future__ import annotations

from bot.domain.service_accounts import Creation
from bot.services.checks_ports import CheckSetup, GitLabAccount, GitLabProbe
from bot.services.checks_report import CheckResult, Status, skip
from bot.services.gitlab_errors import GitLabError

SIGN_IN_FIX = (
    "turn on GitLab sign-in: set TOKENBOT_GITLAB_OAUTH_CLIENT_ID, TOKENBOT_GITLAB_OAUTH_CLIENT_"
    "SECRET and TOKENBOT_PUBLIC_URL (docs/identity.md)"
)
ADMIN_CREDENTIAL_FIX = (
    "give tokenbot a token of a service account that is not an administrator (docs/gitlab.md),"
    " and let people link their accounts by GitLab sign-in"
)


def identity_check(account: GitLabAccount | None, setup: CheckSetup) -> CheckResult:
    """Which identity sources can work; warns about an administrator's token."""
    name = "identity"
    if account is None:
        return skip(name, "tokenbot's GitLab account could not be read")
    sources = _sources(setup, admin=account.is_admin)
    facts = {"sources": sources, "administrator": account.is_admin}
    order = "; then ".join(sources)
    if account.is_admin:
        detail = (
            f"who is who: {order}. GITLAB_TOKEN belongs to an administrator (@{account.username}):"
            " it finds anyone by e-mail, and everything tokenbot does runs with an"
            " administrator's rights"
        )
        return CheckResult(name, Status.WARN, detail, fix=ADMIN_CREDENTIAL_FIX, facts=facts)
    if not setup.sign_in_enabled:
        detail = (
            f"who is who: {order}. GITLAB_TOKEN is not an administrator: e-mail look-up finds"
            " public e-mails only; enable GitLab sign-in"
        )
        return CheckResult(name, Status.WARN, detail, fix=SIGN_IN_FIX, facts=facts)
    return CheckResult(name, Status.PASS, f"who is who: {order}", facts=facts)


def _sources(setup: CheckSetup, *, admin: bool) -> list[str]:
    found = []
    if setup.user_map_size:
        found.append(f"TOKENBOT_USER_MAP ({setup.user_map_size} people)")
    if setup.sign_in_enabled:
        found.append(f"GitLab sign-in (GitLab sends people back to {setup.sign_in_callback})")
    reach = "any GitLab e-mail" if admin else "a GitLab public e-mail"
    found.append(f"a Slack-confirmed e-mail matching {reach}")
    return found


def service_account_checks(gitlab: GitLabProbe, setup: CheckSetup) -> list[CheckResult]:
    """May tokenbot create service accounts in each watched top-level group?"""
    name = "gitlab.service_accounts"
    groups = sorted({g.split("/", 1)[0] for g in setup.watched_groups})
    if not groups:
        return [skip(name, "TOKENBOT_WATCHED_GROUPS is not set: no group to ask about")]
    return [_service_accounts(gitlab, group) for group in groups]


def _service_accounts(gitlab: GitLabProbe, group: str) -> CheckResult:
    name = "gitlab.service_accounts"
    try:
        verdict = gitlab.service_account_creation(group)
    except GitLabError as exc:
        return CheckResult(name, Status.WARN, f"{group}: {exc}", target=group)
    facts = {"creation": verdict.creation.value}
    if verdict.creation is Creation.ALLOWED:
        detail = f"tokenbot may create service accounts in {group}: {verdict.reason}"
        return CheckResult(name, Status.PASS, detail, target=group, facts=facts)
    if verdict.creation is Creation.UNKNOWN:  # as far as tokenbot may see, it can
        return CheckResult(name, Status.PASS, verdict.reason, target=group, facts=facts)
    detail = f"service-account token requests for {group} are refused: {verdict.reason}"
    return CheckResult(name, Status.WARN, detail, target=group, facts=facts)
