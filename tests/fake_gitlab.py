"""A hand-written GitLab for use-case tests: places, roles, and what was done to it."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.domain.credentials import (
    BotCredential,
    GitLabUser,
    IssuedToken,
    Namespace,
    NamespaceKind,
    PlaceTokens,
    Secret,
    TokenRecord,
    TokenRef,
    TokenSpec,
)
from bot.domain.job_token_access import Allowlist, Place, SourceKind
from bot.domain.job_token_policies import DEFAULT_PERMISSIONS, JobPolicies
from bot.domain.provenance import request_of
from bot.domain.service_accounts import Creation, CreationVerdict
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.gitlab_errors import (
    GitLabError,
    NotFoundError,
    OutcomeUnknownError,
    UnavailableError,
)
from bot.services.gitlab_port import ProgressCallback


@dataclass
class FakeGitLab:
    places: dict[str, Namespace] = field(default_factory=dict)
    roles: dict[tuple[int, str], AccessLevel] = field(default_factory=dict)
    created: list[TokenSpec] = field(default_factory=list)
    minted: list[TokenRecord] = field(default_factory=list)  # what create_token made
    revoked: list[TokenRef] = field(default_factory=list)
    variables: dict[tuple[str, str], Secret] = field(default_factory=dict)
    fail_create: GitLabError | None = None
    fail_variable: GitLabError | None = None
    fail_rotate: GitLabError | None = None
    listed: dict[str, list[TokenRecord]] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)
    outage_after: int | None = None
    rotated: list[tuple[TokenRef, date | None]] = field(default_factory=list)
    own_token: BotCredential = field(
        default_factory=lambda: BotCredential(900, "tokenbot", ("api",), None, 901)
    )
    own_rotations: list[date] = field(default_factory=list)
    fail_own: GitLabError | None = None  # bot_credential() raises it
    fail_own_rotate: GitLabError | None = None  # rotate_own_token() raises it
    # What service_account_creation() answers (a real gateway asks GitLab).
    account_creation: CreationVerdict = field(
        default_factory=lambda: CreationVerdict(Creation.ALLOWED, "an administrator")
    )
    # Job token allowlists: project id -> (kind, source id); every add and remove asked.
    allowlists: dict[int, set[tuple[SourceKind, int]]] = field(default_factory=dict)
    allowlist_writes: list[tuple[str, int, SourceKind, int]] = field(default_factory=list)
    lose_allowlist_answers: int = 0  # the next N adds/removes happen, but their answer is lost
    # (project id, kind, source id) -> the entry's permissions; absent: GitLab's defaults
    entry_policies: dict[tuple[int, SourceKind, int], JobPolicies] = field(default_factory=dict)
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

    def service_account_creation(self, group: str) -> CreationVerdict:
        self.namespace(group)
        return self.account_creation

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
            description=spec.description,
        )
        self.minted.append(record)
        return IssuedToken(record, Secret(f"glpat-fake{record.gitlab_id:016d}"))

    def marked_tokens(self, spec: TokenSpec, request_id: str) -> list[TokenRecord]:
        gone = {(r.token_type, r.gitlab_id) for r in self.revoked}
        return [
            r
            for r in self.minted
            if r.token_type is spec.token_type
            and (r.token_type, r.gitlab_id) not in gone
            and request_of(r.token_type, r.name, r.description) == request_id
        ]

    def rotate_token(self, ref: TokenRef, *, expires_on: date | None = None) -> IssuedToken:
        if self.fail_rotate is not None:
            error, self.fail_rotate = self.fail_rotate, None
            raise error
        self.rotated.append((ref, expires_on))
        self.revoked.append(ref)
        record = TokenRecord(
            ref.token_type, next(self._ids), "rotated", ref.namespace, expires_on=expires_on
        )
        return IssuedToken(record, Secret(f"glpat-fake{record.gitlab_id:016d}"))

    def rotate_own_token(self, *, expires_on: date) -> IssuedToken:
        """Like GitLab: the bot's token gets a new id and expiry, the old one stops working."""
        if self.fail_own_rotate is not None:
            raise self.fail_own_rotate
        old = self.bot_credential()
        new = BotCredential(
            next(self._ids), old.name, old.scopes, expires_on, old.user_id, old.active
        )
        self.own_rotations.append(expires_on)
        self.own_token = new
        record = TokenRecord(
            TokenType.SERVICE_ACCOUNT_PAT,
            new.gitlab_id,
            new.name,
            None,
            new.scopes,
            expires_on=expires_on,
            user_id=new.user_id,
        )
        return IssuedToken(record, Secret(f"glpat-fake{new.gitlab_id:016d}"))

    def revoke_token(self, ref: TokenRef) -> None:
        self.revoked.append(ref)

    def allow_job_token(self, project: str, *, from_project: str) -> None:
        self.namespace(project)

    def job_token_allowlist(self, project_id: int) -> Allowlist:
        entries = self.allowlists.get(project_id, set())
        return Allowlist(
            frozenset(i for k, i in entries if k is SourceKind.PROJECT),
            frozenset(i for k, i in entries if k is SourceKind.GROUP),
        )

    def add_job_token_source(self, project_id: int, kind: SourceKind, source_id: int) -> bool:
        self.allowlist_writes.append(("add", project_id, kind, source_id))
        entries = self.allowlists.setdefault(project_id, set())
        fresh = (kind, source_id) not in entries
        entries.add((kind, source_id))
        self._maybe_lose("the add")
        return fresh

    def add_job_token_source_with_policies(
        self, target: Place, kind: SourceKind, source: Place, policies: JobPolicies
    ) -> JobPolicies | None:
        self.allowlist_writes.append(("add_policies", target.id, kind, source.id))
        entries = self.allowlists.setdefault(target.id, set())
        if (kind, source.id) in entries:
            return None
        entries.add((kind, source.id))
        self.entry_policies[(target.id, kind, source.id)] = policies
        self._maybe_lose("the add")
        return policies

    def job_token_entry_policies(
        self, target: Place, kind: SourceKind, source: Place
    ) -> JobPolicies | None:
        if (kind, source.id) not in self.allowlists.get(target.id, set()):
            return None
        return self.entry_policies.get((target.id, kind, source.id), DEFAULT_PERMISSIONS)

    def remove_job_token_source(self, project_id: int, kind: SourceKind, source_id: int) -> bool:
        self.allowlist_writes.append(("remove", project_id, kind, source_id))
        entries = self.allowlists.setdefault(project_id, set())
        there = (kind, source_id) in entries
        entries.discard((kind, source_id))
        self.entry_policies.pop((project_id, kind, source_id), None)
        self._maybe_lose("the removal")
        return there

    def _maybe_lose(self, what: str) -> None:
        if self.lose_allowlist_answers:
            self.lose_allowlist_answers -= 1
            raise OutcomeUnknownError(f"GitLab did not confirm {what}; it may have happened.")

    def set_ci_variable(
        self, project: str, key: str, value: Secret, *, environment_scope: str = "*"
    ) -> None:
        if self.fail_variable is not None:
            raise self.fail_variable
        self.variables[(project, key)] = value

    def inventory(
        self, groups: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Iterator[TokenRecord]:
        for place in self.inventory_places(groups, progress=progress):
            yield from place.records

    def inventory_places(
        self,
        groups: Sequence[str],
        *,
        skip: Collection[str] = (),
        progress: ProgressCallback | None = None,
    ) -> Iterator[PlaceTokens]:
        """Places under `groups` with the tokens in `listed`; `outage_after` places then fail."""
        served = 0
        for path, ns in sorted(self.places.items()):
            if not any(path == g or path.startswith(g + "/") for g in groups):
                continue
            place = PlaceTokens(ns, tuple(self.listed.get(path, ())), path not in self.unreadable)
            if place.key in skip:
                continue
            if self.outage_after is not None and served >= self.outage_after:
                raise UnavailableError("GitLab answered 502 Bad Gateway")
            served += 1
            yield place

    def list_token(self, path: str, record: TokenRecord) -> None:
        self.listed.setdefault(path, []).append(record)

    def unlist_token(self, path: str, gitlab_id: int) -> None:
        self.listed[path] = [r for r in self.listed.get(path, []) if r.gitlab_id != gitlab_id]

    def effective_role(self, user_id: int, where: str) -> AccessLevel | None:
        self.namespace(where)
        return self.roles.get((user_id, where))

    def find_user(
        self, *, username: str | None = None, email: str | None = None
    ) -> GitLabUser | None:
        return None

    def bot_credential(self) -> BotCredential:
        if self.fail_own is not None:
            raise self.fail_own
        return self.own_token
