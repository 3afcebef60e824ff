"""`PythonGitlabGateway`: the GitLabGateway port over python-gitlab."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date
from functools import partial
from typing import Any, TypeVar

import gitlab
import gitlab.exceptions as gle
import requests
from gitlab._backends import PrivateTokenAuth

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
from bot.domain.job_token_policies import JobPolicies
from bot.domain.service_accounts import CreationVerdict, creation_verdict
from bot.domain.tokens import AccessLevel, TokenType
from bot.gitlab import (
    check_reads,
    creation,
    group_hooks,
    job_token_graphql,
    job_token_scope,
    lookup,
    mapping,
    rotation,
    service_account_rules,
)
from bot.gitlab.client import ClientOptions, build_client
from bot.gitlab.errors import translate
from bot.gitlab.inventory import walk_inventory, walk_places
from bot.services.checks import GitLabAccount, GitLabInstance
from bot.services.gitlab_errors import (
    NotFoundError,
    OutcomeUnknownError,
    UnavailableError,
)
from bot.services.gitlab_port import ProgressCallback
from bot.services.webhook_port import GroupHookInfo, HookSpec

T = TypeVar("T")
_RESOURCE_TOKENS = {TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN}
_PERSONAL = {TokenType.PERSONAL_ACCESS_TOKEN, TokenType.BOT_USER_PAT}


class PythonGitlabGateway:
    def __init__(self, client: gitlab.Gitlab, *, inventory_workers: int = 16) -> None:
        self._gl = client
        self._workers = inventory_workers
        self._refusals = service_account_rules.RefusalMemory()

    # ---------------------------------------------------------------- plumbing
    def call(self, what: str, operation: Callable[[], T], *, change: str | None = None) -> T:
        """Run one GitLab operation, turning library failures into the project's errors.

        `change` names a write (a create or rotate): if its answer is lost in a way that may
        hide a finished request, the error says so instead of inviting a blind retry.
        """
        try:
            return operation()
        except (gle.GitlabError, requests.RequestException) as exc:
            error = translate(exc, what=what, credential_ok=self._credential_ok)
            if change and isinstance(error, UnavailableError) and _ambiguous(exc):
                raise OutcomeUnknownError(
                    f"GitLab did not confirm {change}; it may have happened."
                ) from None
            raise error from None

    def _credential_ok(self) -> bool:
        """Does GitLab accept the bot's credential at all? (401 means no; outages raise.)"""
        try:
            self._gl.http_get("/user")
        except gle.GitlabAuthenticationError:
            return False
        except (gle.GitlabError, requests.RequestException) as exc:
            raise translate(exc, what="GitLab") from None
        return True

    # ---------------------------------------------------------------- look-ups
    def namespace(self, path: str) -> Namespace:
        for kind, manager in (
            (NamespaceKind.PROJECT, self._gl.projects),
            (NamespaceKind.GROUP, self._gl.groups),
        ):
            try:
                found = self.call(f"{kind.value} '{path}'", partial(manager.get, path))
            except NotFoundError:
                continue
            return mapping.namespace(found.attributes, kind)
        raise NotFoundError(f"project or group '{path}'")

    def effective_role(self, user_id: int, where: str) -> AccessLevel | None:
        ns = self.namespace(where)
        owner = self._owner(ns)
        try:
            member = self.call("membership", lambda: owner.members_all.get(user_id))
        except NotFoundError:
            return None
        return mapping.role(member.attributes.get("access_level"))

    def find_user(
        self, *, username: str | None = None, email: str | None = None
    ) -> GitLabUser | None:
        if username:
            found = self.call("user", lambda: self._gl.users.list(username=username))
            return mapping.user(found[0].attributes) if found else None
        if email:
            return lookup.user_by_email(self, self._gl, email)
        raise ValueError("give a username or an email")

    def bot_credential(self) -> BotCredential:
        attrs = self.call(
            "the bot's own token", lambda: self._gl.personal_access_tokens.get("self")
        ).attributes
        record = mapping.access_token(attrs, TokenType.SERVICE_ACCOUNT_PAT, None)
        return BotCredential(
            record.gitlab_id,
            record.name,
            record.scopes,
            record.expires_on,
            record.user_id or 0,
            record.active,
        )

    def rotate_own_token(self, *, expires_on: date) -> IssuedToken:
        """Rotate the bot's own token; every later request of this gateway uses the new one.

        Never repeated on an unclear answer: GitLab revokes the old token as it rotates, and a
        revoked token sent to a rotate endpoint makes GitLab revoke its successors too.
        """
        data = self.call(
            "the bot's own token",
            lambda: self._gl.personal_access_tokens.rotate(
                "self", expires_at=expires_on.isoformat()
            ),
            change="the rotation of tokenbot's own token (the old one may be revoked now)",
        )
        secret = Secret(str(data["token"]))
        _use_secret(self._gl, secret)  # first: the old token no longer works
        record = mapping.access_token(data, TokenType.SERVICE_ACCOUNT_PAT, None)
        return IssuedToken(record, secret)

    # ---------------------------------------------------------------- create
    def create_token(self, spec: TokenSpec) -> IssuedToken:
        ns = self.namespace(spec.where)
        return service_account_rules.noting_refusals(
            self._refusals, ns, spec, lambda: creation.create(self, self._gl, ns, spec)
        )

    def service_account_creation(self, group: str) -> CreationVerdict:
        """May tokenbot create a service account in `group` (GitLabError if unreadable)?"""
        return creation_verdict(
            service_account_rules.account_facts(self, self._gl, group, self._refusals)
        )

    # ---------------------------------------------------------------- find by mark
    def marked_tokens(self, spec: TokenSpec, request_id: str) -> list[TokenRecord]:
        """Live credentials of `spec`'s type at `spec.where` whose mark names the request."""
        return lookup.marked_tokens(self, self._gl, self.namespace(spec.where), spec, request_id)

    # ---------------------------------------------------------------- rotate / revoke
    def rotate_token(self, ref: TokenRef, *, expires_on: date | None = None) -> IssuedToken:
        return rotation.rotate(self, self._gl, ref, expires_on=expires_on)

    def revoke_token(self, ref: TokenRef) -> None:
        rotation.revoke(self, self._gl, ref)

    # ---------------------------------------------------------------- no-secret paths
    def allow_job_token(self, project: str, *, from_project: str) -> None:
        target, source = self.namespace(project), self.namespace(from_project)
        scope = self.call(project, self._gl.projects.get(target.id, lazy=True).job_token_scope.get)
        listed = self.call(project, lambda: list(scope.allowlist.list(iterator=True)))
        if any(int(p.get_id() or 0) == source.id for p in listed):
            return
        self.call(project, lambda: scope.allowlist.create({"target_project_id": source.id}))

    def job_token_allowlist(self, project_id: int) -> Allowlist:
        return job_token_scope.allowlist(self, self._gl, project_id)

    def add_job_token_source(self, project_id: int, kind: SourceKind, source_id: int) -> bool:
        return job_token_scope.add(self, self._gl, project_id, kind, source_id)

    def remove_job_token_source(self, project_id: int, kind: SourceKind, source_id: int) -> bool:
        return job_token_scope.remove(self, self._gl, project_id, kind, source_id)

    def add_job_token_source_with_policies(
        self, target: Place, kind: SourceKind, source: Place, policies: JobPolicies
    ) -> JobPolicies | None:
        return job_token_graphql.add_with_policies(
            self, self._gl, target, kind, source, policies=policies
        )

    def job_token_entry_policies(
        self, target: Place, kind: SourceKind, source: Place
    ) -> JobPolicies | None:
        return job_token_graphql.entry_policies(self, self._gl, target, kind, source)

    def set_ci_variable(
        self, project: str, key: str, value: Secret, *, environment_scope: str = "*"
    ) -> None:
        ns = self.namespace(project)
        variables = self._gl.projects.get(ns.id, lazy=True).variables
        data = {
            "value": value.reveal(),
            "masked": True,
            "protected": True,
            "environment_scope": environment_scope,
        }
        # The same key may exist once per environment: address exactly this one.
        scope = {"environment_scope": environment_scope}
        try:
            self.call(key, lambda: variables.get(key, filter=scope))
        except NotFoundError:
            self.call(project, lambda: variables.create({"key": key, **data}))
            return
        self.call(project, lambda: variables.update(key, data, filter=scope))

    # ---------------------------------------------------------------- inventory
    def inventory(
        self, groups: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Iterator[TokenRecord]:
        return walk_inventory(self, self._gl, groups, workers=self._workers, progress=progress)

    def inventory_places(
        self,
        groups: Sequence[str],
        *,
        skip: Collection[str] = (),
        progress: ProgressCallback | None = None,
    ) -> Iterator[PlaceTokens]:
        return walk_places(
            self, self._gl, groups, workers=self._workers, progress=progress, skip=skip
        )

    def _owner(self, ns: Namespace) -> Any:
        if ns.kind is NamespaceKind.PROJECT:
            return self._gl.projects.get(ns.id, lazy=True)
        return self._gl.groups.get(ns.id, lazy=True)

    # ---------------------------------------------------------------- tokenbot check
    def instance_metadata(self) -> GitLabInstance:
        """`GET /metadata`: is GITLAB_URL a GitLab at all, and which version?"""
        return check_reads.instance_metadata(self, self._gl)

    def current_account(self) -> GitLabAccount:
        return check_reads.current_account(self, self._gl)

    def group_role(self, group: str, user_id: int) -> AccessLevel | None:
        return check_reads.group_role(self, self._gl, group, user_id)

    # ---------------------------------------------------------------- group webhooks
    def group_hooks(self, group: str) -> list[GroupHookInfo]:
        return group_hooks.list_hooks(self, self._gl, group)

    def create_group_hook(self, group: str, spec: HookSpec) -> GroupHookInfo:
        return group_hooks.create_hook(self, self._gl, group, spec)

    def update_group_hook(self, group: str, hook_id: int, spec: HookSpec) -> GroupHookInfo:
        return group_hooks.update_hook(self, self._gl, group, hook_id, spec)


def _ambiguous(exc: Exception) -> bool:
    """Could GitLab have carried out the request although the client saw a failure?"""
    if isinstance(exc, gle.GitlabError):
        return exc.response_code not in {429, 500}
    return True


def _use_secret(client: gitlab.Gitlab, secret: Secret) -> None:
    """Authenticate every later request of `client` with `secret`.

    python-gitlab sends `client._auth` with each request (the session holds no credential);
    one assignment swaps it, so a request on another thread sends the old token or the new
    one, never none (`_set_auth_info()` would clear it first).
    """
    client.private_token = secret.reveal()
    client._auth = PrivateTokenAuth(secret.reveal())


def build_gateway(options: ClientOptions, *, inventory_workers: int = 16) -> PythonGitlabGateway:
    """The gateway over a client built from `options` (URL, token, CA bundle, budget)."""
    client, _budget = build_client(options)
    return PythonGitlabGateway(client, inventory_workers=inventory_workers)
