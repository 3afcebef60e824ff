"""The port through which use cases reach GitLab; `bot.gitlab` implements it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Protocol

from bot.domain.credentials import (
    BotCredential,
    GitLabUser,
    InventoryProgress,
    IssuedToken,
    Namespace,
    Secret,
    TokenRecord,
    TokenRef,
    TokenSpec,
)
from bot.domain.tokens import AccessLevel

ProgressCallback = Callable[[InventoryProgress], None]


class GitLabGateway(Protocol):
    def namespace(self, path: str) -> Namespace:
        """The project or group at `path` (projects first); NotFoundError if neither."""

    def create_token(self, spec: TokenSpec) -> IssuedToken: ...

    def rotate_token(self, ref: TokenRef, *, expires_on: date | None = None) -> IssuedToken: ...

    def revoke_token(self, ref: TokenRef) -> None: ...

    def allow_job_token(self, project: str, *, from_project: str) -> None:
        """Let CI jobs of `from_project` reach `project` with their job token (no new secret)."""

    def set_ci_variable(
        self, project: str, key: str, value: Secret, *, environment_scope: str = "*"
    ) -> None:
        """Write a masked, protected CI/CD variable (creating or replacing it)."""

    def inventory(
        self, groups: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Iterator[TokenRecord]:
        """Every credential in the group trees, including revoked and expired ones."""

    def effective_role(self, user_id: int, where: str) -> AccessLevel | None: ...

    def find_user(
        self, *, username: str | None = None, email: str | None = None
    ) -> GitLabUser | None: ...

    def bot_credential(self) -> BotCredential: ...
