"""A hand-written GitLab for use-case tests: places, roles, and what was done to it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.domain.credentials import (
    BotCredential,
    GitLabUser,
    IssuedToken,
    Namespace,
    NamespaceKind,
    Secret,
    TokenRecord,
    TokenRef,
    TokenSpec,
)
from bot.domain.tokens import AccessLevel
from bot.services.gitlab_errors import GitLabError, NotFoundError
from bot.services.gitlab_port import ProgressCallback


@dataclass
class FakeGitLab:
    places: dict[str, Namespace] = field(default_factory=dict)
    roles: dict[tuple[int, str], AccessLevel] = field(default_factory=dict)
    created: list[TokenSpec] = field(default_factory=list)
    revoked: list[TokenRef] = field(default_factory=list)
    variables: dict[tuple[str, str], Secret] = field(default_factory=dict)
    fail_create: GitLabError | None = None
    fail_variable: GitLabError | None = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(100))

    def project(self, path: str) -> None:
        self.places[path] = Namespace(NamespaceKind.PROJECT, next(self._ids), path)

    def group(self, path: str) -> None:
        self.places[path] = Namespace(NamespaceKind.GROUP, next(self._ids), path)

    def member(self, user_id: int, path: str, role: AccessLevel) -> None:
        self.roles[(user_id, path)] = role

    def namespace(self, path: str) -> Namespace:
        if path not in self.places:
            raise NotFoundError(f"project or group '{path}'")
        return self.places[path]

    def create_token(self, spec: TokenSpec) -> IssuedToken:
        if self.fail_create is not None:
            error, self.fail_create = self.fail_create, None
            raise error
        self.created.append(spec)
        record = TokenRecord(
            spec.token_type,
            next(self._ids),
            spec.name,
            self.namespace(spec.where),
            tuple(spec.scopes),
            spec.access_level,
            spec.expires_on,
        )
        return IssuedToken(record, Secret(f"glpat-fake{record.gitlab_id:016d}"))

    def rotate_token(self, ref: TokenRef, *, expires_on: date | None = None) -> IssuedToken:
        self.revoked.append(ref)
        record = TokenRecord(
            ref.token_type, next(self._ids), "rotated", ref.namespace, expires_on=expires_on
        )
        return IssuedToken(record, Secret(f"glpat-fake{record.gitlab_id:016d}"))

    def revoke_token(self, ref: TokenRef) -> None:
        self.revoked.append(ref)

    def allow_job_token(self, project: str, *, from_project: str) -> None:
        self.namespace(project)

    def set_ci_variable(
        self, project: str, key: str, value: Secret, *, environment_scope: str = "*"
    ) -> None:
        if self.fail_variable is not None:
            raise self.fail_variable
        self.variables[(project, key)] = value

    def inventory(
        self, groups: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Iterator[TokenRecord]:
        return iter(())

    def effective_role(self, user_id: int, where: str) -> AccessLevel | None:
        self.namespace(where)
        return self.roles.get((user_id, where))

    def find_user(
        self, *, username: str | None = None, email: str | None = None
    ) -> GitLabUser | None:
        return None

    def bot_credential(self) -> BotCredential:
        return BotCredential(1, "tokenbot", ("api",), None, 1)
