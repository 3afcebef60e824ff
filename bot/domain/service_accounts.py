"""May tokenbot create a service account in a group? GitLab's rules, as far as it can see.

GitLab's rules (docs.gitlab.com/user/profile/service_accounts/, the GroupPolicy of
gitlab-org/gitlab's EE code, and MR 163726): an administrator may always; a group Owner may on
GitLab.com, and on GitLab Self-Managed or Dedicated only where an administrator turned on
"Allow top-level group owners to create service accounts"
(`allow_top_level_group_owners_to_create_service_accounts`, off by default). Service accounts
of subgroups exist from GitLab 18.10 (MR 225485); before that only top-level groups have them.

Only administrators may read the instance setting, so for an Owner who is not one the answer
may be "cannot tell": such a request goes ahead, and when GitLab refuses the creation that
refusal is remembered and the next request is refused at once, with the administrator's fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.gitlab_feature_rows import ROWS
from bot.domain.gitlab_features import Feature
from bot.domain.platform import Version
from bot.domain.tokens import AccessLevel

_SUBGROUPS = ROWS[Feature.SUBGROUP_SERVICE_ACCOUNTS].since
assert _SUBGROUPS is not None  # noqa: S101 - the feature table gives the version
SUBGROUP_ACCOUNTS_SINCE: Version = _SUBGROUPS
OWNERS_MAY_CREATE = "allow_top_level_group_owners_to_create_service_accounts"
# At most 150 characters with what precedes it: Slack shows it under a form field.
ADMIN_FIX = (
    "A GitLab admin must turn on 'Allow top-level group owners to create service accounts'"
    " (Admin area > Settings > General > Account and limit)"
)


class Creation(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    UNKNOWN = "unknown"  # it depends on an instance setting tokenbot may not read


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What GitLab shows tokenbot about creating a service account in `group`."""

    group: str  # full path
    admin: bool  # tokenbot's account is an administrator
    role: AccessLevel | None  # tokenbot's role on the group
    version: Version | None  # GitLab's major and minor version, if known
    owners_may_create: bool | None = None  # the instance setting (None: not readable)
    refused_recently: bool = False  # GitLab refused tokenbot a creation here a moment ago
    gitlab_com: bool = False


@dataclass(frozen=True, slots=True)
class CreationVerdict:
    creation: Creation
    reason: str  # for people: why, and what to do

    @property
    def refused(self) -> bool:
        return self.creation is Creation.REFUSED


def creation_verdict(facts: AccountFacts) -> CreationVerdict:
    """Can tokenbot create a service account in `facts.group`, and if not, who can fix it?"""
    refusal = _refusal(facts)
    if refusal is not None:
        return _refused(refusal)
    if facts.admin:
        return CreationVerdict(Creation.ALLOWED, "tokenbot's account is an administrator")
    if facts.gitlab_com or facts.owners_may_create:
        return CreationVerdict(Creation.ALLOWED, f"tokenbot is an Owner of {facts.group}")
    return CreationVerdict(
        Creation.UNKNOWN,
        f"tokenbot is an Owner of {facts.group}; whether Owners may create service accounts"
        " depends on an instance setting only administrators can read. If GitLab refuses: "
        + ADMIN_FIX,
    )


def _refusal(facts: AccountFacts) -> str | None:
    """Why GitLab would certainly refuse, or None."""
    subgroup = "/" in facts.group
    if subgroup and facts.version is not None and facts.version < SUBGROUP_ACCOUNTS_SINCE:
        top = facts.group.split("/", 1)[0]
        return (
            f"GitLab {facts.version[0]}.{facts.version[1]} has service accounts only in"
            f" top-level groups (subgroups from {SUBGROUP_ACCOUNTS_SINCE[0]}."
            f"{SUBGROUP_ACCOUNTS_SINCE[1]}): request it for {top}"
        )
    if facts.refused_recently:
        return ADMIN_FIX  # GitLab said so a moment ago
    if facts.admin:
        return None
    if facts.role is not AccessLevel.OWNER:
        return (
            f"tokenbot's GitLab account is not an Owner of {facts.group}, so it cannot create"
            " service accounts there"
        )
    if facts.owners_may_create is False and not facts.gitlab_com:
        return ADMIN_FIX
    return None


def _refused(reason: str) -> CreationVerdict:
    return CreationVerdict(Creation.REFUSED, reason)
