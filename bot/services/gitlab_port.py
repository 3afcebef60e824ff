"""The port through which use cases reach GitLab; `bot.gitlab` implements it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date
from typing import Protocol

from bot.domain.credentials import (
    BotCredential,
    GitLabUser,
    InventoryProgress,
    IssuedToken,
    Namespace,
    PlaceTokens,
    Secret,
    TokenRecord,
    TokenRef,
    TokenSpec,
)
from bot.domain.job_token_access import Allowlist, Place, SourceKind
from bot.domain.job_token_policies import JobPolicies
from bot.domain.service_accounts import CreationVerdict
from bot.domain.tokens import AccessLevel
from bot.services.checks import GitLabAccount, GitLabInstance

ProgressCallback = Callable[[InventoryProgress], None]


class GitLabGateway(Protocol):
    def namespace(self, path: str) -> Namespace:
        """The project or group at `path` (projects first); NotFoundError if neither."""

    def create_token(self, spec: TokenSpec) -> IssuedToken: ...

    def marked_tokens(self, spec: TokenSpec, request_id: str) -> list[TokenRecord]:
        """Live credentials of `spec`'s type at `spec.where` whose mark names the request
        (bot/domain/provenance.py): what an earlier attempt made although its answer was lost.
        Raises GitLabError when GitLab cannot be read: no answer is not "none"."""

    def service_account_creation(self, group: str) -> CreationVerdict:
        """May tokenbot create a service account in `group`? (domain/service_accounts.py)"""

    def rotate_token(self, ref: TokenRef, *, expires_on: date | None = None) -> IssuedToken: ...

    def revoke_token(self, ref: TokenRef) -> None: ...

    def allow_job_token(self, project: str, *, from_project: str) -> None:
        """Let CI jobs of `from_project` reach `project` with their job token (no new secret)."""

    def job_token_allowlist(self, project_id: int) -> Allowlist:
        """The project's job token allowlist: the projects and groups whose jobs may reach it."""

    def add_job_token_source(self, project_id: int, kind: SourceKind, source_id: int) -> bool:
        """Add a project or group to the allowlist; False if it was there already.
        OutcomeUnknownError: the answer was lost; read the allowlist to know."""

    def remove_job_token_source(self, project_id: int, kind: SourceKind, source_id: int) -> bool:
        """Remove it from the allowlist; False if it was not there."""

    def add_job_token_source_with_policies(
        self, target: Place, kind: SourceKind, source: Place, policies: JobPolicies
    ) -> JobPolicies | None:
        """Add the source with exactly these fine-grained policies, in one GraphQL mutation;
        the permissions GitLab then lists for the entry, or None if GitLab had it already.
        OutcomeUnknownError: the answer was lost; read the entry to know."""

    def job_token_entry_policies(
        self, target: Place, kind: SourceKind, source: Place
    ) -> JobPolicies | None:
        """The permissions of the source's entry on the target's allowlist; None if unlisted."""

    def set_ci_variable(
        self, project: str, key: str, value: Secret, *, environment_scope: str = "*"
    ) -> None:
        """Write a masked, protected CI/CD variable (creating or replacing it)."""

    def inventory(
        self, groups: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Iterator[TokenRecord]:
        """Every credential in the group trees, including revoked and expired ones."""

    def inventory_places(
        self,
        groups: Sequence[str],
        *,
        skip: Collection[str] = (),
        progress: ProgressCallback | None = None,
    ) -> Iterator[PlaceTokens]:
        """The credentials of each place (group or project) under the watched groups, one
        place at a time; places whose `PlaceTokens.key` is in `skip` are not read again."""

    def rotate_own_token(self, *, expires_on: date) -> IssuedToken:
        """Rotate the bot's own token (`personal_access_tokens/self/rotate`); from now on the
        gateway authenticates with the new secret."""

    def effective_role(self, user_id: int, where: str) -> AccessLevel | None: ...

    def find_user(
        self, *, username: str | None = None, email: str | None = None
    ) -> GitLabUser | None: ...

    def bot_credential(self) -> BotCredential: ...

    # `tokenbot check` (bot/services/checks.py)
    def instance_metadata(self) -> GitLabInstance:
        """GitLab's version (`GET /metadata`): does GITLAB_URL answer like GitLab?"""

    def current_account(self) -> GitLabAccount:
        """The user behind the bot's credential (`GET /user`)."""

    def group_role(self, group: str, user_id: int) -> AccessLevel | None:
        """The user's effective role on the group (`GET /groups/:id/members/all/:user_id`);
        None if not a member; NotFoundError if the group does not exist or is not visible."""
