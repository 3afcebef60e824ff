"""Where the simulated GitLab runs and which groups pay for what: GitLab.com or self-managed,
Ultimate top-level groups and their enterprise users (the credentials inventory's reach)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Offering:
    """`gitlab_com` turns on what only GitLab.com has (`Gitlab::Saas.feature_available?`)."""

    gitlab_com: bool = False
    ultimate_group_ids: set[int] = field(default_factory=set)  # top-level groups on Ultimate
    # group id -> its enterprise users (accounts claimed through the group's verified domain)
    enterprise_user_ids: dict[int, set[int]] = field(default_factory=dict)

    def has_credentials_inventory(self, group_id: int) -> bool:
        return self.gitlab_com and group_id in self.ultimate_group_ids
